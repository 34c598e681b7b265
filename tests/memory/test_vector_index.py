"""The in-memory binary index in front of the exact rerank: same answers as the vec0 table,
and in step with everything that adds, replaces or forgets a memory."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from os1.memory import LongTermMemory
from os1.memory.embedders import Embedder, HashingEmbedder
from os1.memory.forgetting import forget_everywhere
from os1.memory.recall import Recall
from os1.memory.store import MemoryStore, NewMemory
from os1.memory.vector_index import BinaryIndex, binary_codes
from os1.storage import SQLiteStore
from os1.storage.sqlite_memory import CATCH_UP_SQL


def unit(rng: np.random.Generator, n: int, dim: int = 384) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def embed_all(memories: MemoryStore, ids: Sequence[int], vectors: np.ndarray) -> None:
    memories.set_embeddings("test", list(zip(ids, vectors, vectors, strict=True)))


def add_episodes(memories: MemoryStore, texts: Sequence[str]) -> list[int]:
    return memories.add_many(
        [NewMemory("episode", t, (f"import:x{i}",)) for i, t in enumerate(texts)]
    )


def embedded_episodes(
    store: SQLiteStore, n: int, seed: int
) -> tuple[MemoryStore, list[int], np.ndarray]:
    """`n` episodes with random unit vectors, in the in-memory index's store."""
    memories = MemoryStore(store)
    ids = add_episodes(memories, [f"memory {i}" for i in range(n)])
    vectors = unit(np.random.default_rng(seed), n)
    embed_all(memories, ids, vectors)
    return memories, ids, vectors


def test_sign_bit_codes_are_the_ones_sqlite_vec_stores(store: SQLiteStore) -> None:
    vector = unit(np.random.default_rng(1), 1)[0]
    blob = store.query("SELECT vec_quantize_binary(?)", (vector.tobytes(),))[0][0]
    assert np.frombuffer(blob, dtype=np.uint64).tolist() == binary_codes(vector)[0].tolist()


def test_the_index_finds_by_hamming_distance_replaces_and_removes() -> None:
    rng = np.random.default_rng(2)
    vectors = unit(rng, 50)
    index = BinaryIndex(384)
    index.add(list(range(1, 51)), vectors)
    assert index.search(vectors[9], 1) == [10]
    index.remove([10, 50, 999])  # removing the last row and an unknown id is fine too
    assert len(index) == 48 and 10 not in index.search(vectors[9], 48)
    assert index.search(vectors[48], 1) == [49]  # the row that moved into the hole
    index.add([7], vectors[[20]])  # a new vector for 7 replaces its old code
    assert len(index) == 48 and set(index.search(vectors[20], 2)) == {7, 21}
    assert index.search(vectors[0], 100)[:1] == [1] and len(index.search(vectors[0], 100)) == 48


def test_the_index_returns_the_k_nearest_codes_nearest_first_and_ties_in_the_order_added() -> None:
    rng = np.random.default_rng(4)
    vectors = unit(rng, 400, dim=64)
    index = BinaryIndex(64)
    ids = list(range(101, 501))
    index.add(ids, vectors)
    codes = binary_codes(vectors)
    for row in (0, 17, 399):
        query = vectors[row]
        distance = np.array(
            [int(np.bitwise_count(code ^ binary_codes(query)[0]).sum()) for code in codes]
        )
        for k in (1, 10, 57, 399, 400, 1000):
            expected = [ids[i] for i in np.argsort(distance, kind="stable")[:k]]
            assert index.search(query, k) == expected


def test_a_second_pass_reuses_the_vectors_the_first_read(store: SQLiteStore) -> None:
    memories, _, vectors = embedded_episodes(store, 120, seed=5)
    read: dict[int, np.ndarray] = {}
    first = memories.nearest(vectors[3], 10, candidates=60, read=read)
    assert first == memories.nearest(vectors[3], 10, candidates=60) and len(read) == 60
    first_read = dict(read)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    moved = vectors[3] + 0.2 * vectors[4]
    moved /= np.linalg.norm(moved)
    again = memories.nearest(moved, 10, candidates=60, again=True, read=read)
    store._db.set_trace_callback(None)
    assert again == memories.nearest(moved, 10, candidates=60)
    # Only the candidates the first pass did not read are read now.
    unread = set(memories.index.vector_candidates(moved, 60, again=True)) - set(first_read)
    fetched = [s for s in statements if "search_vector" in s]
    read_now = {int(i) for s in fetched for i in re.findall(r"IN \(([^)]*)\)", s)[0].split(",")}
    assert unread and read_now == unread


def test_nearest_from_memory_matches_the_vec0_table(store: SQLiteStore) -> None:
    memories, ids, vectors = embedded_episodes(store, 300, seed=3)
    old = MemoryStore(store, memory_index=False)
    for row in (0, 123, 299):
        # Enough candidates to cover everything: both must give the exact ranking.
        fast = memories.nearest(vectors[row], 10, candidates=300)
        slow = old.nearest(vectors[row], 10, candidates=300)
        assert fast == slow and fast[0][0] == ids[row]


def test_memories_kept_for_the_in_memory_index_write_no_vec0_codes(store: SQLiteStore) -> None:
    memories = MemoryStore(store)
    ids = add_episodes(memories, ["one", "two", "three"])
    embed_all(memories, ids, unit(np.random.default_rng(6), 3))
    assert store.query("SELECT name FROM sqlite_master WHERE name GLOB 'memory_vec_*'") == []


def test_the_vec0_comparison_catches_up_and_forgetting_clears_it(store: SQLiteStore) -> None:
    rng = np.random.default_rng(7)
    memories = MemoryStore(store)
    old = MemoryStore(store, memory_index=False)
    ids = add_episodes(memories, [f"memory {i}" for i in range(20)])
    vectors = unit(rng, 21)
    embed_all(memories, ids, vectors[:20])
    assert old.nearest(vectors[5], 1)[0][0] == ids[5]  # made and filled on first use
    later = add_episodes(memories, ["one more"])
    embed_all(memories, later, vectors[20:])
    assert old.nearest(vectors[20], 1)[0][0] == later[0]  # written since: caught up

    memories.forget([ids[5]])

    left = store.query("SELECT count(*) FROM memory_vec_384 WHERE rowid = ?", (ids[5],))
    assert left[0][0] == 0
    assert ids[5] not in [i for i, _ in old.nearest(vectors[5], 5)]


def test_memories_embedded_after_the_first_search_are_found(store: SQLiteStore) -> None:
    rng = np.random.default_rng(4)
    memories = MemoryStore(store)
    first = add_episodes(memories, ["one", "two"])
    vectors = unit(rng, 3)
    embed_all(memories, first, vectors[:2])
    assert memories.nearest(vectors[0], 1)[0][0] == first[0]  # loads the index
    later = memories.add(NewMemory("episode", "three", ("import:y",)))
    assert later is not None
    embed_all(memories, [later], vectors[2:])
    assert memories.nearest(vectors[2], 1)[0][0] == later


def test_forgotten_memories_leave_the_index(memory: LongTermMemory) -> None:
    memory.store.add_many(
        [
            NewMemory("episode", "Caroline: I adopted a greyhound called Pixel", ("import:a",)),
            NewMemory("episode", "Caroline: the weather was grey all week", ("import:b",)),
        ]
    )
    memory.consolidate()
    index = memory.store.index._index(HashingEmbedder.dim)  # type: ignore[attr-defined]
    before = len(index)
    assert any("Pixel" in h.memory.text for h in memory.recall.search("greyhound Pixel"))
    forget_everywhere(memory.store, "Pixel")
    assert len(index) < before
    assert not any("Pixel" in h.memory.text for h in memory.recall.search("greyhound Pixel"))
    # The vector search alone finds nothing forgotten either.
    vector = memory.embedder.embed_one("Caroline: I adopted a greyhound called Pixel")
    texts = [m.text for m in memory.store.get_many([i for i, _ in memory.store.nearest(vector, 9)])]
    assert texts and not any("Pixel" in t for t in texts)


def seen_after_the_other_writes(
    mine: MemoryStore, theirs: MemoryStore, vectors: np.ndarray
) -> tuple[list[int], int]:
    """`mine` searches (its index loaded), `theirs` embeds a memory of the same user, and
    `mine` finds it: (mine's first ids, the other's)."""
    first = add_episodes(mine, ["seen here"])
    embed_all(mine, first, vectors[:1])
    assert [i for i, _ in mine.nearest(vectors[0], 5)] == first
    later = theirs.add(NewMemory("episode", "written elsewhere", ("import:z",)))
    assert later is not None
    embed_all(theirs, [later], vectors[1:2])
    assert mine.nearest(vectors[1], 1)[0][0] == later
    return first, later


def test_what_another_connection_embeds_is_found(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    vectors = unit(rng, 2)
    here, there = SQLiteStore(tmp_path / "os1.db"), SQLiteStore(tmp_path / "os1.db")
    try:
        # Another process, say the server's worker.
        seen_after_the_other_writes(MemoryStore(here), MemoryStore(there), vectors)
    finally:
        here.close()
        there.close()


def test_what_another_store_of_the_user_on_the_same_connection_embeds_is_found(
    tmp_path: Path,
) -> None:
    # A server's users share one connection, whose own commits do not move data_version.
    rng = np.random.default_rng(7)
    vectors = unit(rng, 3)
    host = SQLiteStore(tmp_path / "os1.db", "server")
    try:
        here, there = host.sharing_connection("amy"), host.sharing_connection("amy")
        mine = MemoryStore(here)
        first, later = seen_after_the_other_writes(mine, MemoryStore(there), vectors)
        # Another user's commits on the connection leave this user's index as it was.
        bo = MemoryStore(host.sharing_connection("bo"))
        embed_all(bo, add_episodes(bo, ["bo's own"]), vectors[2:])
        statements: list[str] = []
        host._db.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        found = [i for i, _ in mine.nearest(vectors[2], 5)]
        host._db.set_trace_callback(None)  # type: ignore[attr-defined]
        assert sorted(found) == sorted(first + [later])
        assert not any(s.startswith(CATCH_UP_SQL[:40]) for s in statements)
    finally:
        host.close()


def test_another_users_embeddings_stay_out_of_this_users_index(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    vectors = unit(rng, 3)
    here, there = SQLiteStore(tmp_path / "os1.db", "amy"), SQLiteStore(tmp_path / "os1.db", "bo")
    try:
        amy, bo = MemoryStore(here), MemoryStore(there)
        first = add_episodes(amy, ["amy's first"])
        embed_all(amy, first, vectors[:1])
        assert [i for i, _ in amy.nearest(vectors[0], 5)] == first
        theirs = add_episodes(bo, ["bo's own"])
        embed_all(bo, theirs, vectors[1:2])  # a newer id, committed by another connection
        mine = add_episodes(amy, ["amy's second"])
        embed_all(amy, mine, vectors[2:])
        assert sorted(i for i, _ in amy.nearest(vectors[1], 5)) == sorted(first + mine)
    finally:
        here.close()
        there.close()


def test_catching_up_seeks_the_users_newest_memories_instead_of_reading_them_all(
    store: SQLiteStore,
) -> None:
    plan = " ".join(
        str(row[3]) for row in store.query("EXPLAIN QUERY PLAN " + CATCH_UP_SQL, ("u", 0, 4, 9))
    )
    assert "memories_by_user_id (user_id=? AND id>?)" in plan
    assert "SCAN" not in plan


def test_the_feedback_pass_of_a_search_does_not_look_again_for_other_connections_writes(
    tmp_path: Path,
) -> None:
    here, there = SQLiteStore(tmp_path / "os1.db"), SQLiteStore(tmp_path / "os1.db", "bo")
    try:
        memory = LongTermMemory(here, HashingEmbedder())
        for text in ["we hiked the ridge", "hiking boots again", "a quiet day at home"]:
            memory.store.add(NewMemory("episode", text, (f"import:{text}",)))
        memory.consolidate()
        memory.recall.search("hiking")
        bo = LongTermMemory(there, HashingEmbedder())
        own_vectors = memory.store.own_vectors

        def another_user_commits_meanwhile(ids: Sequence[int]) -> dict[int, np.ndarray]:
            # Between the two passes, as on a server where users' turns overlap.
            bo.store.add(NewMemory("episode", "bo went hiking too", ("import:bo",)))
            return own_vectors(ids)

        memory.store.own_vectors = another_user_commits_meanwhile  # type: ignore[method-assign]
        statements: list[str] = []
        here._db.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        hits = memory.recall.search("hiking")
        here._db.set_trace_callback(None)  # type: ignore[attr-defined]
        assert hits and "bo went hiking too" not in [h.memory.text for h in hits]
        assert sum(s.startswith(CATCH_UP_SQL[:40]) for s in statements) == 0
    finally:
        here.close()
        there.close()


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        return super().embed(texts)


def test_a_query_searched_twice_is_embedded_once(store: SQLiteStore) -> None:
    embedder: Embedder = CountingEmbedder()
    recall = Recall(MemoryStore(store), embedder)
    recall.search("where did we go hiking")
    recall.search("where did we go hiking", k=3)
    recall.search("something else")
    assert embedder.calls == 2  # type: ignore[attr-defined]


def test_lexical_hits_are_the_same_with_or_without_the_owner_in_the_query(
    store: SQLiteStore,
) -> None:
    memories = MemoryStore(store)
    add_episodes(memories, ["we walked the harbour", "harbour lights at night", "a quiet day"])
    alone = memories.lexical('"harbour" OR "night"', 10)
    rows = store.query(
        "SELECT m.id, -bm25(memory_fts, 1.0, 0.0) FROM memory_fts f JOIN memories m "
        "ON m.id = f.rowid WHERE memory_fts MATCH ? ORDER BY bm25(memory_fts, 1.0, 0.0)",
        (memories.index.scoped('"harbour" OR "night"'),),  # type: ignore[attr-defined]
    )
    assert alone == [(r[0], float(r[1])) for r in rows] and len(alone) == 2
