from __future__ import annotations

from collections.abc import Iterator

import pytest

from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder, get_embedder
from os1.storage import SQLiteStore


@pytest.fixture
def memory(store: SQLiteStore) -> LongTermMemory:
    """Long-term memory with the instant hashing embedder (logic tests)."""
    return LongTermMemory(store, HashingEmbedder())


@pytest.fixture(scope="session")
def minilm():  # type: ignore[no-untyped-def]
    return get_embedder("minilm")


@pytest.fixture
def real_memory(store: SQLiteStore, minilm) -> Iterator[LongTermMemory]:  # type: ignore[no-untyped-def]
    """Long-term memory with the real bundled all-MiniLM-L6-v2 model."""
    yield LongTermMemory(store, minilm)
