"""Memory search on PostgreSQL: BM25 as its definition gives it, in one statement, and what a
search remembers between calls (memory counts, common words) following every write, including
writes that other worker processes make behind the cache's back."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import psycopg
import pytest

from os1.memory.store import MemoryStore, NewMemory
from os1.storage import pg_memory, postgres
from os1.storage.base import Row
from os1.storage.pg_migrations import MIGRATIONS
from os1.storage.postgres import PostgresStore, migrate_core


class CountingStore(PostgresStore):
    """A user's store that counts the statements its reads send."""

    statements = 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.statements += 1
        return super().query(sql, params)


@pytest.fixture
def store(postgres_url: str) -> Iterator[CountingStore]:
    opened = CountingStore(postgres_url, f"amy-{uuid.uuid4().hex[:8]}")
    yield opened
    opened.close()


def episode(text: str, n: int) -> NewMemory:
    return NewMemory("episode", text, (f"import:e{n}",))


def elsewhere(url: str, user: str, sql: str) -> None:
    """A write by another worker process to `user`'s memories: its own connection (naming the
    user, as row-level security wants), none of this process's caches."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT set_config('os1.user_id', %s, false)", (user,))
        conn.execute(sql.replace("$user", "%s"), (user,))


def okapi_bm25(
    store: PostgresStore, terms: list[str], avgdl: float | None = None
) -> list[tuple[int, float]]:
    """BM25 as FTS5 defines it (k1 1.2, b 0.75, idf floored at 1e-6), from each memory's
    lexemes and positions: N and the mean length over all the user's memories, superseded ones
    too, as are the document frequencies; only current memories holding a term are ranked."""
    user = store.user_id
    lengths = {
        int(r[0]): (int(r[1]), r[2] is None)
        for r in store.query(
            "SELECT id, length(text_search), superseded_by FROM memories WHERE user_id = ?",
            (user,),
        )
    }
    tf: dict[int, dict[str, int]] = {}
    for r in store.query(
        "SELECT m.id, u.lexeme, cardinality(u.positions) FROM memories m "
        "CROSS JOIN LATERAL unnest(m.text_search) u WHERE m.user_id = ?",
        (user,),
    ):
        tf.setdefault(int(r[0]), {})[str(r[1])] = int(r[2])
    wanted: set[str] = set()
    for term in terms:
        rows = store.query("SELECT unnest(tsvector_to_array(to_tsvector('english', ?)))", (term,))
        wanted.update(str(r[0]) for r in rows)
    n = len(lengths)
    if avgdl is None:
        avgdl = sum(length for length, _ in lengths.values()) / n
    df = {w: sum(1 for doc in tf.values() if w in doc) for w in wanted}
    idf = {w: max(math.log((n - df[w] + 0.5) / (df[w] + 0.5)), 1e-6) for w in wanted}
    scores = {}
    for memory_id, (length, current) in lengths.items():
        held = sorted(w for w in wanted if w in tf.get(memory_id, {}))
        if current and held:
            norm = 1.2 * (1 - 0.75 + 0.75 * length / avgdl)
            scores[memory_id] = sum(
                idf[w] * tf[memory_id][w] * 2.2 / (tf[memory_id][w] + norm) for w in held
            )
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


CORPUS = [
    "the harbour at night, the harbour lights and the ferry",
    "a long walk along the harbour wall with my sister before the storm came in",
    "my sister moved to Lisbon",
    "ferry tickets for the harbour tour",
    "nothing about boats at all, just a quiet dinner",
    "walking walked walks: Lisbon, Lisbon and Lisbon again",
]


def test_lexical_scores_are_okapi_bm25_over_all_the_users_memories(
    store: CountingStore, postgres_url: str
) -> None:
    memories = MemoryStore(store)
    ids = memories.add_many([episode(text, i) for i, text in enumerate(CORPUS)])
    memories.supersede(ids[3], ids[0])  # still counted in N and df, no longer ranked
    stranger = MemoryStore(PostgresStore(postgres_url, f"other-{uuid.uuid4().hex[:8]}"))
    stranger.add_many([episode("harbour harbour harbour ferry", 0)])  # not this user's N

    hits = memories.lexical('"harbour" OR "ferry" OR "lisbon" OR "walking"', 10)

    expected = okapi_bm25(store, ["harbour", "ferry", "lisbon", "walking"])
    assert [i for i, _ in hits] == [i for i, _ in expected]
    assert [s for _, s in hits] == pytest.approx([s for _, s in expected], rel=1e-12)
    assert ids[3] not in {i for i, _ in hits}


def test_a_search_ranks_its_words_in_one_statement(store: CountingStore) -> None:
    memories = MemoryStore(store)
    memories.add_many([episode(text, i) for i, text in enumerate(CORPUS)])
    memories.lexical('"harbour"', 10)  # the first search measures the mean length too
    before = store.statements

    common = memories.common_terms(["harbour", "sister", "lisbon"], cap=2)
    hits = memories.lexical('"sister" OR "lisbon"', 10)

    assert common == {"harbour"}
    assert len(hits) == 3
    assert store.statements - before == 2


def test_common_words_follow_another_workers_writes(
    store: CountingStore, postgres_url: str
) -> None:
    memories = MemoryStore(store)
    memories.add_many([episode("tea with Anna", 0), episode("tea by the sea", 1)])
    assert memories.common_terms(["tea", "sea"], cap=2) == set()
    assert memories.common_terms(["tea", "sea"], cap=2) == set()  # answered from the cache

    elsewhere(
        postgres_url,
        store.user_id,
        "INSERT INTO memories (user_id, kind, text, created_at) "
        "VALUES ($user, 'episode', 'green tea', '2026-01-01T00:00:00')",
    )
    assert memories.common_terms(["tea", "sea"], cap=2) == {"tea"}

    elsewhere(
        postgres_url,
        store.user_id,
        "DELETE FROM memories WHERE user_id = $user AND text = 'green tea'",
    )
    assert memories.common_terms(["tea", "sea"], cap=2) == set()

    elsewhere(
        postgres_url,
        store.user_id,
        "UPDATE memories SET text = 'coffee by the sea' WHERE user_id = $user "
        "AND text = 'tea by the sea'",
    )
    assert memories.common_terms(["sea", "coffee"], cap=0) == {"sea", "coffee"}
    assert memories.common_terms(["tea"], cap=0) == {"tea"}
    assert memories.common_terms(["tea"], cap=1) == set()


def test_bm25_counts_memories_another_worker_added(store: CountingStore, postgres_url: str) -> None:
    memories = MemoryStore(store)
    memories.add_many([episode(text, i) for i, text in enumerate(CORPUS)])
    memories.lexical('"harbour"', 10)  # the count is now known to this process

    elsewhere(
        postgres_url,
        store.user_id,
        "INSERT INTO memories (user_id, kind, text, created_at) "
        "VALUES ($user, 'episode', 'Lisbon in spring', '2026-01-01T00:00:00')",
    )
    hits = memories.lexical('"lisbon" OR "harbour"', 10)

    # N moved by one memory (less than the 5 % that measures the mean length again): the idf
    # follows, the mean length is the one measured before.
    lengths = [
        int(r[0])
        for r in store.query(
            "SELECT length(text_search) FROM memories WHERE user_id = ? AND text <> ?",
            (store.user_id, "Lisbon in spring"),
        )
    ]
    measured = memories.index._avgdl  # type: ignore[attr-defined]
    assert measured[0] == len(CORPUS)
    assert measured[1] == pytest.approx(sum(lengths) / len(lengths), rel=1e-12)
    expected = okapi_bm25(store, ["lisbon", "harbour"], avgdl=measured[1])
    assert [i for i, _ in hits] == [i for i, _ in expected]
    assert [s for _, s in hits] == pytest.approx([s for _, s in expected], rel=1e-12)


def test_a_purged_user_leaves_no_version_behind_and_starts_afresh(
    store: CountingStore,
) -> None:
    memories = MemoryStore(store)
    memories.add_many([episode("tea", 0), episode("tea again", 1)])
    assert memories.common_terms(["tea"], cap=1) == {"tea"}

    store.purge_user()

    left = store.query("SELECT count(*) FROM memory_versions WHERE user_id = ?", (store.user_id,))
    assert left[0][0] == 0
    memories.add_many([episode("tea", 2)])
    assert memories.common_terms(["tea"], cap=1) == set()


def test_memories_stored_before_the_version_table_are_found_and_then_cached(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_url.rsplit("/", 1)[0] + f"/os1_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {url.rsplit('/', 1)[1]}")
    step = next(i for i, script in enumerate(MIGRATIONS) if "memory_versions" in script)
    monkeypatch.setattr(postgres, "MIGRATIONS", MIGRATIONS[:step])
    with psycopg.connect(url, autocommit=True) as conn:
        migrate_core(conn)  # the schema as the release before it left it
    monkeypatch.undo()
    elsewhere(
        url,
        "amy",
        "INSERT INTO memories (user_id, kind, text, created_at) SELECT $user, 'episode', t, "
        "'2026-01-01T00:00:00' FROM unnest(ARRAY['tea with Anna', 'tea by the sea']) t",
    )

    memories = MemoryStore(PostgresStore(url, "amy"))  # migrates to the latest step

    assert memories.common_terms(["tea", "sea"], cap=1) == {"tea"}
    assert len(memories.lexical('"sea" OR "anna"', 10)) == 2
    versions = "SELECT count(*) FROM memory_versions WHERE user_id = ?"
    assert memories.db.query(versions, ("amy",))[0][0] == 0  # nothing cached yet
    memories.add_many([episode("sea shanties", 0)])
    assert memories.db.query(versions, ("amy",))[0][0] == 1
    assert memories.common_terms(["tea", "sea"], cap=1) == {"tea", "sea"}


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_a_user_who_is_a_small_share_of_the_vectors_is_searched_exactly(postgres_url: str) -> None:
    # A database whose planner prefers walking the graph (no sorting) and whose walks stop
    # right after their first pass, as on a table of millions where one user's vectors are a
    # few thousand: there the planner walks, and a walk filtered to the user finds almost none
    # of their nearest.
    name = f"os1_{uuid.uuid4().hex[:10]}"
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT '[1]'::vector")  # loads pgvector, whose settings follow
        conn.execute(f"ALTER DATABASE {name} SET enable_sort = off")
        conn.execute(f"ALTER DATABASE {name} SET hnsw.max_scan_tuples = 1")
    rng = np.random.default_rng(3)
    toward = _unit(np.ones(8))
    bob = MemoryStore(PostgresStore(url, "bob"))
    amy = MemoryStore(PostgresStore(url, "amy"))
    try:
        # Everyone else's vectors lie around the query, all of Amy's away from it.
        ids = bob.add_many([episode(f"bob's day {i}", i) for i in range(300)])
        near = [_unit(toward + 0.2 * rng.standard_normal(8)) for _ in ids]
        bob.set_embeddings("test", [(i, v, v) for i, v in zip(ids, near, strict=True)])
        ids = amy.add_many([episode(f"amy's day {i}", i) for i in range(40)])
        far = [_unit(-toward + 0.5 * rng.standard_normal(8)) for _ in ids]
        amy.set_embeddings("test", [(i, v, v) for i, v in zip(ids, far, strict=True)])

        found = amy.nearest(toward, 10)

        cosines = np.array([v @ toward for v in far])
        expected = [ids[i] for i in np.argsort(-cosines)[:10]]
        assert [memory_id for memory_id, _ in found] == expected
        assert amy.index.vector_candidates(toward, 10) == expected
    finally:
        amy.db.close()
        bob.db.close()


def test_a_user_who_is_most_of_a_large_table_is_searched_on_the_graph(
    store: CountingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = pg_memory.PostgresMemoryIndex(store)
    monkeypatch.setattr(pg_memory, "_sizes", {})
    key = (store.url, store.user_id, 8)
    monkeypatch.setattr(pg_memory, "EXACT_SEARCH_ROWS", 100)

    pg_memory._sizes[key] = (time.monotonic(), 90, 1000.0)
    assert index._exact(8)  # few rows: exact, however small a share
    pg_memory._sizes[key] = (time.monotonic(), 600, 1000.0)
    assert not index._exact(8)  # most of the table: the graph walk finds theirs
    pg_memory._sizes[key] = (time.monotonic(), 400, 1000.0)
    assert index._exact(8)  # many, but most of what a walk passes is others'
    pg_memory._sizes[key] = (time.monotonic(), 600, -1.0)
    assert index._exact(8)  # a table never analysed: its size is unknown
