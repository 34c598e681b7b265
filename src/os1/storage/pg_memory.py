"""Memory search on PostgreSQL: the generated `text_search` tsvector (GIN) for words, and
pgvector for vector candidates, one `memory_vec_<dim>` table per embedding size with an HNSW
index on cosine distance (as SQLite keeps one vec0 table per size).

Lexical scores are BM25, as SQLite's FTS5 gives them: the GIN index finds the matching
memories and counts each word's document frequency, their tsvectors give term frequencies and
lengths. `ts_rank`/`ts_rank_cd` know nothing of how rare a word is, and on LoCoMo rare names
are what find the evidence (Recall@10 0.725 with idf-weighted ts_rank against SQLite's 0.756).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
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
_PHRASE = re.compile(r'"((?:[^"]|"")*)"')
# Embedding sizes whose table and index exist, per database URL (created once per process).
_vec_tables: dict[str, set[int]] = {}
_vec_guard = threading.Lock()
# (URL, user, dimension) whose stored embeddings are all in the vector table (`_caught_up`).
_backfilled: set[tuple[str, str, int]] = set()


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


class PostgresMemoryIndex(MemoryIndex):
    def __init__(self, store: PostgresStore) -> None:
        self.db = store
        self.user_id = store.user_id
        self._avgdl: tuple[int, float] | None = None  # (count when measured, mean length)

    # -- words --------------------------------------------------------------------------

    def _collection(self) -> tuple[int, float]:
        """How many memories the user has, and their mean length in lexemes (BM25's N and
        avgdl). The mean reads every tsvector, so it is kept until the count moves by 5 %."""
        n = int(
            self.db.query("SELECT count(*) FROM memories WHERE user_id = ?", (self.user_id,))[0][0]
        )
        if self._avgdl is None or abs(n - self._avgdl[0]) > 0.05 * max(self._avgdl[0], 20):
            row = self.db.query(
                "SELECT avg(length(text_search)) FROM memories WHERE user_id = ?", (self.user_id,)
            )[0]
            self._avgdl = (n, float(row[0] or 1.0))
        return n, self._avgdl[1]

    def _ranked(
        self, match: str, limit: int, where: str, extra: Sequence[Any]
    ) -> list[tuple[int, float]]:
        """Okapi BM25 as FTS5 computes it (k1 1.2, b 0.75, idf floored just above 0), per
        lexeme of the query: document frequencies counted on the GIN index, each matching
        memory's term frequencies read from its tsvector's positions."""
        terms = phrases(match)
        if not terms:
            return []
        n, avgdl = self._collection()
        frequencies = self.db.query(
            "SELECT q.lexeme, (SELECT count(*) FROM memories WHERE user_id = ? "
            "AND text_search @@ to_tsquery('simple', quote_literal(q.lexeme))) FROM ("
            "SELECT DISTINCT x AS lexeme FROM unnest(?::text[]) AS t(term) "
            f"CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('{CONFIG}', t.term))) x"
            ") q",
            (self.user_id, terms),
        )
        idf = {
            str(r[0]): max(math.log((n - int(r[1]) + 0.5) / (int(r[1]) + 0.5)), 1e-6)
            for r in frequencies
        }
        if not idf:
            return []  # only stop words
        rows = self.db.query(
            "SELECT m.id, length(m.text_search), u.lexeme, cardinality(u.positions) "
            "FROM memories m CROSS JOIN LATERAL unnest(m.text_search) u "
            f"WHERE m.user_id = ? AND m.text_search @@ ({_any_of(len(terms))}) {where} "
            "AND u.lexeme = ANY(?::text[])",
            (self.user_id, *terms, *extra, list(idf)),
        )
        scores: dict[int, float] = {}
        for r in rows:
            memory_id, length, lexeme, tf = int(r[0]), int(r[1]), str(r[2]), int(r[3])
            norm = K1 * (1 - B + B * length / avgdl)
            gain = idf[lexeme] * tf * (K1 + 1) / (tf + norm)
            scores[memory_id] = scores.get(memory_id, 0.0) + gain
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return best[:limit]

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
        if not terms:
            return set()
        counts = ", ".join(
            "(SELECT count(*) FROM (SELECT 1 FROM memories WHERE user_id = ? AND "
            f"text_search @@ phraseto_tsquery('{CONFIG}', ?) LIMIT ?) s)"
            for _ in terms
        )
        params: list[Any] = []
        for term in terms:
            params += [self.user_id, term, cap + 1]
        row = self.db.query(f"SELECT {counts}", params)[0]
        return {term for i, term in enumerate(terms) if int(row[i]) > cap}

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

    def vector_candidates(self, vector: np.ndarray, k: int) -> list[int]:
        dim = int(vector.shape[0])
        if not self._caught_up(dim):
            rows = self.db.query(
                "SELECT e.memory_id FROM memory_embeddings e JOIN memories m "
                "ON m.id = e.memory_id WHERE m.user_id = ? AND length(e.search_vector) = ?",
                (self.user_id, 4 * dim),
            )
            return [int(r[0]) for r in rows]
        rows = self.db.query_with(
            self._search_settings(k),
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
        # Superseded memories are dropped after the walk, by primary key, row by row: a join
        # planned before autovacuum has analysed fresh rows can scan them all.
        rows = self.db.query_with(
            self._search_settings(candidates),
            "SELECT c.memory_id, -(c.embedding <#> ?) AS score FROM ("
            f"SELECT memory_id, embedding FROM memory_vec_{dim} WHERE user_id = ? "
            "ORDER BY embedding <=> ? LIMIT ?) c "
            "WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = c.memory_id "
            "AND m.superseded_by IS NOT NULL) ORDER BY score DESC LIMIT ?",
            (query, self.user_id, query, candidates, limit),
        )
        return [(int(r[0]), float(r[1])) for r in rows]

    @staticmethod
    def _search_settings(k: int) -> dict[str, str]:
        # ef_search is how many neighbours the graph walk keeps: at least the candidates asked
        # for (pgvector's cap is 1000). The iterative scan goes on past ef_search when the
        # user filter leaves too few (other users' vectors share the graph).
        return {
            "hnsw.ef_search": str(min(max(k, 40), 1000)),
            "hnsw.iterative_scan": "relaxed_order",
        }

    def remove(self, db: Transaction, ids: Sequence[int]) -> None:
        """Nothing to do: the vector rows go with their memories (ON DELETE CASCADE), and the
        tsvector is a column of the memory itself."""
