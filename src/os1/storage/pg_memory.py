"""Memory search on PostgreSQL: the generated `text_search` tsvector (GIN) for words, and
pgvector for vector candidates, one `memory_vec_<dim>` table per embedding size with an HNSW
index on cosine distance (as SQLite keeps one vec0 table per size).

Lexical scores are BM25, as SQLite's FTS5 gives them, computed in one statement: the GIN index
finds the memories holding the query's words, whose tsvectors give document frequencies, term
frequencies and lengths. `ts_rank`/`ts_rank_cd` know nothing of how rare a word is, and on
LoCoMo rare names are what find the evidence (Recall@10 0.725 with idf-weighted ts_rank
against SQLite's 0.756). What does not change between searches (the user's memory count,
which words are common) is cached per process while the user's `memory_versions` row says
their memories have not changed, whichever worker wrote them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from os1.storage.base import MemoryIndex, Transaction

if TYPE_CHECKING:
    from os1.storage.postgres import PostgresStore

# The text search configuration of migration 2's generated column: queries must use the same.
CONFIG = "english"
# BM25's parameters, FTS5's values.
K1 = 1.2
B = 0.75
# How far the memory count may move before BM25's mean length is measured again.
AVGDL_DRIFT = 0.05
_PHRASE = re.compile(r'"((?:[^"]|"")*)"')
# Embedding sizes whose table and index exist, per database URL (created once per process).
_vec_tables: dict[str, set[int]] = {}
_vec_guard = threading.Lock()
# (URL, user, dimension) whose stored embeddings are all in the vector table (`_caught_up`).
_backfilled: set[tuple[str, str, int]] = set()
# Terms a user's cache of common ones may hold before it starts again (a bound, not a tuning).
KNOWN_TERMS = 4096
# Every user's vectors share one HNSW graph, and a walk filtered to one user finds their
# nearest only where they are much of what it passes: the iterative scan stops after
# `hnsw.max_scan_tuples` (20,000) of everyone's. Measured here with random 384-d unit vectors
# in a table of 375k, users of 20k and 40k rows, for whom the planner chose the graph, got
# 5–14 of their true 100 nearest in 42–64 ms; an exact scan of their rows found all 100 in 12
# and 27 ms (10k rows: 5 ms). So a user's vectors are scanned exactly unless they are many
# and at least half of the table (one person's home, or a few large users). Past that size,
# a user who is a small share of a large table is still scanned exactly: correct, and linear
# in their rows (a per-user or per-bucket index is the step after).
EXACT_SEARCH_ROWS = 20_000
GRAPH_SHARE = 0.5
# How long a user's vector count and the table's size are trusted: they only steer that
# choice, and counting a large user's rows costs milliseconds.
SIZES_TTL_SECONDS = 60.0
# (URL, user, dimension) → (when measured, the user's vectors, the table's rows or -1).
_sizes: dict[tuple[str, str, int], tuple[float, int, float]] = {}


@dataclass
class _Known:
    """What searches counted in one user's memories while they stood at `version` (migration
    5's `memory_versions`, which any worker's write moves): their number, and whether each
    (term, cap) is common. Shared by every store of the process."""

    version: int
    docs: int | None = None
    common: dict[tuple[str, int], bool] = field(default_factory=dict)


# By (URL, user). A user whose memories predate migration 5 has no version until their next
# write: nothing is cached for them until then. The version moves once per transaction, so a
# search inside a write transaction, between two of its writes, would cache counts the second
# write changes under the same version: searches run outside write transactions (none of
# today's callers search inside one; keep it so).
_known: dict[tuple[str, str], _Known] = {}
_known_guard = threading.Lock()
# The user's version, read by the same statement (the same snapshot) as what it validates.
_VERSION = "SELECT (SELECT version FROM memory_versions WHERE user_id = ?) AS version"


def phrases(match: str) -> list[str]:
    """The quoted phrases of an FTS5-style query (`"a" OR "b c"`), unquoted; a query with no
    quotes counts as one phrase."""
    found = [p.replace('""', '"') for p in _PHRASE.findall(match)]
    found = [p for p in found if p.strip()]
    if not found and match.strip() and '"' not in match:
        found = [match.strip()]
    return list(dict.fromkeys(found))


def _any_of(n: int) -> str:
    """SQL for a tsquery matching any of `n` phrases (one parameter each)."""
    return " || ".join([f"phraseto_tsquery('{CONFIG}', ?)"] * n)


# BM25 in one round trip. `q`: the query's lexemes, as the generated column stems them.
# `collection`: BM25's N, the user's memory count (passed in while their version holds), and
# avgdl, the mean length in lexemes, passed in from the last measure unless the count moved by
# 5 % (each subquery runs only when its CASE needs it: an InitPlan runs lazily). `docs`: every
# memory of the user holding one of the lexemes, found on the GIN index, with its length,
# whether it is ranked (matches a phrase, passes `where`) and just the query's lexemes of its
# tsvector (marked with weight A and filtered on it: three times faster than unnesting all of
# them). `found`: their lexemes, one row each: counted per lexeme, the document frequencies
# (over all the user's memories, superseded ones too, as FTS5 counts all of its rows); their
# positions, the term frequencies. The sum runs in the tsvector's lexeme order, as the sum in
# Python over unnested rows did before, so that scores are the same to the last bit.
_BM25 = f"""
WITH q AS MATERIALIZED (
    SELECT DISTINCT x AS lexeme FROM unnest(?::text[]) AS t(term)
    CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('{CONFIG}', t.term))) x
), n AS MATERIALIZED (
    SELECT v.version, CASE WHEN v.version = ?::bigint THEN ?::bigint
        ELSE (SELECT count(*) FROM memories WHERE user_id = ?) END AS docs
    FROM ({{version}}) v
), collection AS MATERIALIZED (
    SELECT n.version, n.docs, s.stale, CASE WHEN s.stale
        THEN (SELECT coalesce(nullif(avg(length(text_search)), 0), 1.0)::float8
              FROM memories WHERE user_id = ?)
        ELSE ?::float8 END AS avgdl
    FROM n CROSS JOIN LATERAL (SELECT ?::bigint IS NULL
        OR abs(n.docs - ?::bigint) > ?::float8 * greatest(?::bigint, 20) AS stale) s
), docs AS MATERIALIZED (
    SELECT m.id, length(m.text_search) AS len,
        (m.text_search @@ ({{any_of}}) {{where}}) AS ranked,
        ts_filter(setweight(m.text_search, 'A', ARRAY(SELECT lexeme FROM q)), '{{{{a}}}}') AS hits
    FROM memories m
    WHERE m.user_id = ? AND m.text_search @@ (
        SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) FROM q)
), found AS MATERIALIZED (
    SELECT d.id, d.len, d.ranked, u.lexeme, cardinality(u.positions) AS tf
    FROM docs d CROSS JOIN LATERAL unnest(d.hits) u
), idf AS (
    SELECT f.lexeme, greatest(ln((c.docs - count(*) + 0.5::float8) / (count(*) + 0.5::float8)),
        ?::float8) AS idf
    FROM found f CROSS JOIN collection c GROUP BY f.lexeme, c.docs
)
SELECT c.version, c.docs, c.avgdl, c.stale, s.id, s.score FROM collection c LEFT JOIN (
    SELECT f.id, sum(i.idf * f.tf * ?::float8 / (f.tf + ?::float8 * (1 - ?::float8
        + ?::float8 * f.len / c.avgdl)) ORDER BY f.lexeme COLLATE "C") AS score
    FROM found f JOIN idf i ON i.lexeme = f.lexeme CROSS JOIN collection c
    WHERE f.ranked GROUP BY f.id ORDER BY score DESC, f.id LIMIT ?
) s ON TRUE
"""


def _remember(key: tuple[str, str], version: int) -> _Known:
    """The user's cache entry for `version`, a fresh one when their memories have moved on."""
    known = _known.get(key)
    if known is None or known.version != version:
        known = _known[key] = _Known(version)
    return known


class PostgresMemoryIndex(MemoryIndex):
    def __init__(self, store: PostgresStore) -> None:
        self.db = store
        self.user_id = store.user_id
        # BM25's avgdl: (the user's memory count when measured, their mean length).
        self._avgdl: tuple[int, float] | None = None

    # -- words --------------------------------------------------------------------------

    def _ranked(
        self, match: str, limit: int, where: str, extra: Sequence[Any]
    ) -> list[tuple[int, float]]:
        """Okapi BM25 as FTS5 computes it (k1 1.2, b 0.75, idf floored just above 0), per
        lexeme of the query, in one statement (`_BM25`). The collection's mean length reads
        every tsvector, so it is kept until the user's memory count moves by 5 %."""
        terms = phrases(match)
        if not terms:
            return []
        known_docs, known_avgdl = self._avgdl if self._avgdl is not None else (None, None)
        key = (self.db.url, self.user_id)
        known = _known.get(key)
        rows = self.db.query(
            _BM25.format(any_of=_any_of(len(terms)), where=where, version=_VERSION),
            (
                terms,
                known.version if known is not None and known.docs is not None else None,
                known.docs if known is not None else None,
                self.user_id,
                self.user_id,
                self.user_id,
                known_avgdl,
                known_docs,
                known_docs,
                AVGDL_DRIFT,
                known_docs,
                *terms,
                *extra,
                self.user_id,
                1e-6,
                K1 + 1,
                K1,
                B,
                B,
                limit,
            ),
        )
        version, docs = rows[0][0], int(rows[0][1])
        if version is not None:
            with _known_guard:
                _remember(key, int(version)).docs = docs
        if rows[0][3]:  # measured again (or for the first time)
            self._avgdl = (docs, float(rows[0][2]))
        hits = [(int(r[4]), float(r[5])) for r in rows if r[4] is not None]
        hits.sort(key=lambda item: (-item[1], item[0]))
        return hits

    def lexical(self, match: str, limit: int) -> list[tuple[int, float]]:
        return self._ranked(match, limit, "AND m.superseded_by IS NULL", ())

    def lexical_from(self, match: str, source_prefix: str, limit: int) -> list[int]:
        hits = self._ranked(
            match,
            limit,
            "AND EXISTS (SELECT 1 FROM memory_sources s WHERE s.memory_id = m.id "
            "AND substr(s.source, 1, ?) = ?)",
            (len(source_prefix), source_prefix),
        )
        return [memory_id for memory_id, _ in hits]

    def matching(self, match: str) -> list[int]:
        terms = phrases(match)
        if not terms:
            return []
        rows = self.db.query(
            f"SELECT id FROM memories WHERE user_id = ? AND text_search @@ ({_any_of(len(terms))})",
            (self.user_id, *terms),
        )
        return [int(r[0]) for r in rows]

    def common_terms(self, terms: Sequence[str], cap: int) -> set[str]:
        """Counted (up to cap+1) only for terms the user's cache cannot answer, in the same
        statement that reads their version: a cached answer is used only if it still holds."""
        if not terms:
            return set()
        key = (self.db.url, self.user_id)
        known = _known.get(key)
        cached = {t: known.common.get((t, cap)) for t in terms} if known is not None else {}
        counts = ", ".join(
            "CASE WHEN v.version = ?::bigint AND ?::boolean THEN NULL ELSE "
            "(SELECT count(*) FROM (SELECT 1 FROM memories WHERE user_id = ? AND "
            f"text_search @@ phraseto_tsquery('{CONFIG}', ?) LIMIT ?) s) END"
            for _ in terms
        )
        params: list[Any] = []
        for term in terms:
            params += [
                known.version if known is not None else None,
                cached.get(term) is not None,
                self.user_id,
                term,
                cap + 1,
            ]
        params.append(self.user_id)  # the version's, after every count in the statement
        row = self.db.query(f"SELECT v.version, {counts} FROM ({_VERSION}) v", params)[0]
        version = None if row[0] is None else int(row[0])
        common: set[str] = set()
        counted: dict[tuple[str, int], bool] = {}
        for i, term in enumerate(terms, start=1):
            if row[i] is None:
                is_common = bool(cached[term])  # the version held: the cached answer did too
            else:
                is_common = counted[(term, cap)] = int(row[i]) > cap
            if is_common:
                common.add(term)
        if version is not None:
            with _known_guard:
                entry = _remember(key, version)
                if len(entry.common) + len(counted) > KNOWN_TERMS:
                    entry.common.clear()
                entry.common.update(counted)
        return common

    # -- vectors ------------------------------------------------------------------------

    def _ensure_table(self, dim: int) -> bool:
        """Make `memory_vec_<dim>` and its HNSW index once; False without pgvector."""
        with _vec_guard:
            known = _vec_tables.setdefault(self.db.url, set())
            if dim in known:
                return True
        if not self.db.has_vector:
            return False
        self.db.create_vector_table(dim)
        with _vec_guard:
            _vec_tables[self.db.url].add(dim)
        return True

    def _caught_up(self, dim: int) -> bool:
        """The table ready and holding every embedding of this user: memories copied in by
        `os1 migrate`, or embedded while pgvector was missing, have only their stored
        vectors, and are indexed here on the user's first search in this process."""
        if not self._ensure_table(dim):
            return False
        key = (self.db.url, self.user_id, dim)
        if key in _backfilled:
            return True
        missing = self.db.query(
            "SELECT e.memory_id, e.search_vector FROM memory_embeddings e JOIN memories m "
            "ON m.id = e.memory_id WHERE m.user_id = ? AND length(e.search_vector) = ? "
            f"AND NOT EXISTS (SELECT 1 FROM memory_vec_{dim} v WHERE v.memory_id = e.memory_id)",
            (self.user_id, 4 * dim),
        )
        if missing:
            with self.db.transaction() as db:
                self.store_vectors(
                    db,
                    dim,
                    [(int(r[0]), np.frombuffer(r[1], dtype=np.float32)) for r in missing],
                )
        _backfilled.add(key)
        return True

    def prepare(self, dim: int) -> None:
        self._ensure_table(dim)

    def store_vectors(
        self, db: Transaction, dim: int, items: Sequence[tuple[int, np.ndarray]]
    ) -> None:
        if not items or not self._ensure_table(dim):
            return  # without pgvector, candidates come from an exact scan (below)
        db.executemany(
            f"INSERT INTO memory_vec_{dim} (memory_id, user_id, embedding) VALUES (?, ?, ?) "
            "ON CONFLICT (memory_id) DO UPDATE SET embedding = excluded.embedding",
            [
                (memory_id, self.user_id, np.asarray(search, dtype=np.float32))
                for memory_id, search in items
            ],
        )

    def vector_candidates(self, vector: np.ndarray, k: int, *, again: bool = False) -> list[int]:
        dim = int(vector.shape[0])
        if not self._caught_up(dim):
            rows = self.db.query(
                "SELECT e.memory_id FROM memory_embeddings e JOIN memories m "
                "ON m.id = e.memory_id WHERE m.user_id = ? AND length(e.search_vector) = ?",
                (self.user_id, 4 * dim),
            )
            return [int(r[0]) for r in rows]
        rows = self.db.query_with(
            self._search_settings(k, exact=self._exact(dim)),
            f"SELECT memory_id FROM memory_vec_{dim} WHERE user_id = ? "
            "ORDER BY embedding <=> ? LIMIT ?",
            (self.user_id, np.asarray(vector, dtype=np.float32), k),
        )
        return [int(r[0]) for r in rows]

    def nearest(
        self, vector: np.ndarray, limit: int, candidates: int
    ) -> list[tuple[int, float]] | None:
        """The HNSW walk picks candidates by cosine distance and pgvector scores them exactly
        (inner product, as the memory store's rerank does) in the same statement: no vectors
        cross the wire."""
        dim = int(vector.shape[0])
        if not self._caught_up(dim):
            return None  # no pgvector: the store reranks an exact scan
        query = np.asarray(vector, dtype=np.float32)
        # Superseded memories are dropped after the walk, on migration 5's partial index of
        # them (a handful of rows): without it, once the table was analysed, the anti-join
        # scanned every memory of every user (7 ms of a search at 10k memories).
        rows = self.db.query_with(
            self._search_settings(candidates, exact=self._exact(dim)),
            "SELECT c.memory_id, -(c.embedding <#> ?) AS score FROM ("
            f"SELECT memory_id, embedding FROM memory_vec_{dim} WHERE user_id = ? "
            "ORDER BY embedding <=> ? LIMIT ?) c "
            "WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = c.memory_id "
            "AND m.superseded_by IS NOT NULL) ORDER BY score DESC LIMIT ?",
            (query, self.user_id, query, candidates, limit),
        )
        return [(int(r[0]), float(r[1])) for r in rows]

    @staticmethod
    def _search_settings(k: int, *, exact: bool) -> dict[str, str]:
        if exact:
            # No index scan (the graph is one): the user's rows come from a bitmap scan of the
            # per-user index, then a bounded sort by distance, whatever the planner's costs.
            return {"enable_indexscan": "off", "enable_sort": "on"}
        # ef_search is how many neighbours the graph walk keeps: at least the candidates asked
        # for (pgvector's cap is 1000). The iterative scan goes on past ef_search when the
        # user filter leaves too few (other users' vectors share the graph).
        return {
            "hnsw.ef_search": str(min(max(k, 40), 1000)),
            "hnsw.iterative_scan": "relaxed_order",
        }

    def _exact(self, dim: int) -> bool:
        """Whether this user's nearest vectors come from an exact scan of their own rows rather
        than the shared graph (EXACT_SEARCH_ROWS, GRAPH_SHARE)."""
        key = (self.db.url, self.user_id, dim)
        now = time.monotonic()
        seen = _sizes.get(key)
        if seen is None or now - seen[0] > SIZES_TTL_SECONDS:
            # reltuples: the planner's estimate, -1 until the table is first analysed.
            row = self.db.query(
                f"SELECT (SELECT count(*) FROM memory_vec_{dim} WHERE user_id = ?), "
                f"(SELECT reltuples FROM pg_class WHERE oid = 'memory_vec_{dim}'::regclass)",
                (self.user_id,),
            )[0]
            seen = _sizes[key] = (now, int(row[0]), float(row[1] if row[1] is not None else -1))
        _, mine, table = seen
        if mine <= EXACT_SEARCH_ROWS:
            return True
        # A table not yet analysed: its size is unknown, so the graph may be mostly others'.
        return table < 0 or mine < GRAPH_SHARE * max(table, mine)

    def remove(self, db: Transaction, ids: Sequence[int]) -> None:
        """Nothing to do: the vector rows go with their memories (ON DELETE CASCADE), and the
        tsvector is a column of the memory itself."""
