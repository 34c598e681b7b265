"""An in-memory binary index of one user's search vectors: the sign bit of each dimension,
packed into 64-bit words. Hamming distance (XOR + popcount) over all of them picks the
candidates that the exact float vectors then rerank.

384-d MiniLM vectors become 48 bytes: 100,000 memories take under 5 MB and are scanned in
about a millisecond with numpy, where a scan of the vec0 table took about 30 ms.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits of each uint64 (numpy >= 2 has it built in; older ones count bytes)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words)
    return _BYTE_BITS[words.view(np.uint8)].reshape(-1, 8).sum(axis=1, dtype=np.uint8)


def binary_codes(vectors: np.ndarray) -> np.ndarray:
    """(n, dim) float vectors to (n, ceil(dim / 64)) uint64 sign-bit codes."""
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    words = -(-vectors.shape[1] // 64)
    bits = np.zeros((vectors.shape[0], words * 64), dtype=bool)
    bits[:, : vectors.shape[1]] = vectors > 0
    return np.packbits(bits, axis=1, bitorder="little").view(np.uint64)


class BinaryIndex:
    """Sign-bit codes by memory id; thread-safe, grows by doubling, removes by swapping the
    last entry into the hole. Codes are stored word-major, (words, n), so that the scan runs
    over contiguous arrays."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.words = -(-dim // 64)
        self._lock = threading.Lock()
        self._ids = np.empty(0, dtype=np.int64)
        self._codes = np.empty((self.words, 0), dtype=np.uint64)
        self._size = 0
        self._row: dict[int, int] = {}
        # Bookkeeping for the owner: the highest id read from the database, and the marks
        # of others' writes then (SQLite's `others_marks`: another connection's commits or
        # another store's on the same connection move them).
        self.max_id = 0
        self.data_version: tuple[int, int] | None = None

    def __len__(self) -> int:
        return self._size

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Insert or replace the codes of `ids`."""
        self.add_codes(ids, binary_codes(vectors))

    def add_codes(self, ids: Sequence[int], codes: np.ndarray) -> None:
        """Insert or replace codes already packed: (n, words) uint64, as `binary_codes` makes
        them (and as sqlite-vec's vec_quantize_binary does)."""
        if not len(ids):
            return
        with self._lock:
            rows = np.empty(len(ids), dtype=np.int64)
            for i, memory_id in enumerate(ids):
                row = self._row.get(int(memory_id))
                if row is None:
                    row = self._row[int(memory_id)] = self._size
                    self._size += 1
                rows[i] = row
            self._reserve(self._size)
            self._ids[rows] = np.asarray(ids, dtype=np.int64)
            self._codes[:, rows] = codes.T

    def _reserve(self, size: int) -> None:
        if size <= len(self._ids):
            return
        capacity = max(1024, 2 * len(self._ids), size)
        ids = np.empty(capacity, dtype=np.int64)
        codes = np.empty((self.words, capacity), dtype=np.uint64)
        ids[: len(self._ids)] = self._ids
        codes[:, : len(self._ids)] = self._codes
        self._ids, self._codes = ids, codes

    def remove(self, ids: Sequence[int]) -> None:
        with self._lock:
            for memory_id in ids:
                row = self._row.pop(int(memory_id), None)
                if row is None:
                    continue
                last = self._size - 1
                if row != last:
                    moved = int(self._ids[last])
                    self._ids[row] = moved
                    self._codes[:, row] = self._codes[:, last]
                    self._row[moved] = row
                self._size = last

    def search(self, vector: np.ndarray, k: int) -> list[int]:
        """Ids of the (up to) `k` codes nearest to `vector` in Hamming distance, nearest first."""
        query = binary_codes(vector)[0]
        with self._lock:
            n = self._size
            if n == 0:
                return []
            distance = np.zeros(n, dtype=np.uint16)
            scratch = np.empty(n, dtype=np.uint64)
            for word in range(self.words):
                np.bitwise_xor(self._codes[word, :n], query[word], out=scratch)
                distance += _popcount(scratch)
            top = _nearest_rows(distance, k)
            return [int(i) for i in self._ids[top]]


def _nearest_rows(distance: np.ndarray, k: int) -> np.ndarray:
    """The rows of the `k` smallest distances, nearest first, ties in row order.

    A Hamming distance is a small integer (at most the code's bits), so counting how many rows
    lie at each distance finds the cut-off in one pass: 0.16 ms over 100k rows, where
    `argpartition` took 0.98 ms, more than the scan itself (0.44 ms)."""
    if k >= len(distance):
        return np.argsort(distance, kind="stable")
    within = np.cumsum(np.bincount(distance))
    cut = int(np.searchsorted(within, k))  # the first distance at which k rows are reached
    below = np.flatnonzero(distance < cut)
    at_cut = np.flatnonzero(distance == cut)[: k - len(below)]
    rows = np.concatenate([below, at_cut])
    return rows[np.argsort(distance[rows], kind="stable")]
