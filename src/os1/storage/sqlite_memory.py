"""Memory search on SQLite: FTS5 (BM25) for words, sign-bit codes for vector candidates.

Candidates come from an in-memory binary index per user and dimension (loaded from the file's
embeddings on first use, shared by every memory store over the same connection). The on-disk
vec0 table of the same codes, the search before that index, is kept only for benchmarks to
compare against: made and filled from the embeddings when such a search asks for it, so that
no memory written pays for a table that nothing reads.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from os1.storage.base import MemoryIndex, Transaction

if TYPE_CHECKING:
    from os1.memory.vector_index import BinaryIndex
    from os1.storage.sqlite import SQLiteStore

# In-memory binary indexes by database connection (one user each) and dimension, shared by
# every index object over that connection so that all of them see each other's writes.
_indexes: weakref.WeakKeyDictionary[SQLiteStore, dict[int, BinaryIndex]] = (
    weakref.WeakKeyDictionary()
)
# How many of a user's memories hold each searched word, by connection: word → (count,
# whether it is exact rather than "at least", the highest memory id then). Counting probes
# every full-text segment per word (~0.3 ms of CPU a search at 100k memories), and a word's
# count grows by at most the memories added since, so most counts stay decisive for long.
_word_counts: weakref.WeakKeyDictionary[SQLiteStore, dict[str, tuple[int, bool, int]]] = (
    weakref.WeakKeyDictionary()
)
# Words remembered per connection; past it the counts start over.
WORD_COUNTS_KEPT = 20_000
# A user's embeddings above the highest id the in-memory index has read, as its codes. On a
# server every other user's commit makes each index look again: this seeks the user's newest
# memories (memories_by_user_id) where the query before walked all of them, ~140 ms a search
# for a user with 100k memories.
CATCH_UP_SQL = (
    "SELECT m.id, vec_quantize_binary(e.search_vector) FROM memories m "
    "JOIN memory_embeddings e ON e.memory_id = m.id WHERE m.user_id = ? AND m.id > ? "
    "AND length(e.search_vector) = ? ORDER BY m.id LIMIT ?"
)


def _glob_prefix(prefix: str) -> str:
    return prefix.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") + "*"


class SQLiteMemoryIndex(MemoryIndex):
    def __init__(self, store: SQLiteStore, *, in_memory: bool = True) -> None:
        self.db = store
        self.user_id = store.user_id
        # False searches the vec0 table instead (slower; kept to compare in benchmarks).
        self.in_memory = in_memory
        self._vec_tables: set[int] = set()
        # dim → the store's write marks when vec0 last caught up with the embeddings: no
        # write since, nothing to add.
        self._vec_synced: dict[int, tuple[int, int, int]] = {}
        # (others' marks when asked, the answer): see `SQLiteStore.others_marks`.
        self._sole_owner: tuple[tuple[int, int], bool] | None = None

    # -- words --------------------------------------------------------------------------

    def scoped(self, match: str) -> str:
        """An FTS5 query for the words of `match` in this user's memories only."""
        owner = '"' + self.user_id.replace('"', '""') + '"'
        return f"user_id : {owner} AND text : ({match})"

    def _search_scope(self, match: str) -> str:
        """`scoped(match)`, or just the text words when this user owns every memory in the
        file: matching the owner column intersects with every one of their memories, which at
        100k memories cost more than the words themselves."""
        return f"text : ({match})" if self._owns_all() else self.scoped(match)

    def _owns_all(self) -> bool:
        """Whether every memory in the file is this user's."""
        if self._sole_owner is not None and not self._sole_owner[1]:
            # Once shared, taken as shared: the scoped search is right either way (it is only
            # slower), and on a server every other user's commit would make this look again.
            return False
        version = self.db.others_marks()[:2]
        if self._sole_owner is None or self._sole_owner[0] != version:
            # Two index seeks on (user_id, ...), however many memories there are.
            others = self.db.query(
                "SELECT EXISTS (SELECT 1 FROM memories WHERE user_id < ?) "
                "OR EXISTS (SELECT 1 FROM memories WHERE user_id > ?)",
                (self.user_id, self.user_id),
            )
            self._sole_owner = (version, not others[0][0])
        return self._sole_owner[1]

    def lexical(self, match: str, limit: int) -> list[tuple[int, float]]:
        # bm25 weights: the text counts, the owner column (the same for every hit) does not.
        rows = self.db.query(
            "SELECT m.id, -bm25(memory_fts, 1.0, 0.0) AS score FROM memory_fts f "
            "JOIN memories m ON m.id = f.rowid "
            "WHERE memory_fts MATCH ? AND m.user_id = ? AND m.superseded_by IS NULL "
            "ORDER BY bm25(memory_fts, 1.0, 0.0) LIMIT ?",
            (self._search_scope(match), self.user_id, limit),
        )
        return [(int(r[0]), float(r[1])) for r in rows]

    def lexical_from(self, match: str, source_prefix: str, limit: int) -> list[int]:
        rows = self.db.query(
            "SELECT m.id FROM memory_fts f JOIN memories m ON m.id = f.rowid "
            "WHERE memory_fts MATCH ? AND m.user_id = ? AND EXISTS (SELECT 1 FROM memory_sources s "
            "WHERE s.memory_id = m.id AND s.source GLOB ?) ORDER BY bm25(memory_fts, 1.0, 0.0) "
            "LIMIT ?",
            (self.scoped(match), self.user_id, _glob_prefix(source_prefix), limit),
        )
        return [int(r[0]) for r in rows]

    def matching(self, match: str) -> list[int]:
        rows = self.db.query(
            "SELECT m.id FROM memory_fts f JOIN memories m ON m.id = f.rowid "
            "WHERE memory_fts MATCH ? AND m.user_id = ?",
            (self.scoped(match), self.user_id),
        )
        return [int(r[0]) for r in rows]

    def common_terms(self, terms: Sequence[str], cap: int) -> set[str]:
        if not terms:
            return set()
        sole = self._owns_all()
        if self._at_most(cap, sole):
            # No word can be in more of this user's memories than there are: most users are
            # small, and counting a word probes every segment of the full-text index.
            return set()
        # Ids only grow (a deleted newest id can come back, but deleting here forgets the
        # counts, see `committed`), so at most `newest - then` memories were added since a word
        # was counted: a count over the cap stays over it, and one that stays under it even
        # with all of those added stays under it. Deletions by another process can leave a
        # word counted as common a little longer; that only leaves it to the semantic side.
        newest = int(self.db.query("SELECT coalesce(max(id), 0) FROM memories")[0][0])
        known = _word_counts.setdefault(self.db, {})
        counts: dict[str, int] = {}
        for term in terms:
            seen = known.get(term)
            if seen is None:
                continue
            n, exact, then = seen
            if n > cap or (exact and n + newest - then <= cap):
                counts[term] = n
        recount = [term for term in dict.fromkeys(terms) if term not in counts]
        if recount:
            # One statement for all the words (a count each, stopping at cap + 1).
            count = (
                "(SELECT count(*) FROM (SELECT 1 FROM memory_fts WHERE memory_fts MATCH ? LIMIT ?))"
            )
            quoted = ['"' + term.replace('"', '""') + '"' for term in recount]
            scopes = [f"text : ({q})" if sole else self.scoped(q) for q in quoted]
            rows = self.db.query(
                "SELECT " + ", ".join([count] * len(recount)),
                tuple(p for scope in scopes for p in (scope, cap + 1)),
            )
            if len(known) + len(recount) > WORD_COUNTS_KEPT:
                known.clear()
            for term, n in zip(recount, rows[0], strict=True):
                counts[term] = int(n)
                # Counting stops at cap + 1: that many means "at least".
                known[term] = (int(n), n <= cap, newest)
        return {term for term in terms if counts[term] > cap}

    def _at_most(self, cap: int, sole: bool) -> bool:
        """Whether no more than `cap` memories are in the scope a word is counted in (reads at
        most cap + 1 rows): all of them when this user owns the file, otherwise those the
        owner column matches, a superset of what any word matches within it."""
        if sole:
            rows = self.db.query(
                "SELECT count(*) FROM (SELECT 1 FROM memories LIMIT ?)", (cap + 1,)
            )
        else:
            owner = '"' + self.user_id.replace('"', '""') + '"'
            rows = self.db.query(
                "SELECT count(*) FROM (SELECT 1 FROM memory_fts WHERE memory_fts MATCH ? LIMIT ?)",
                (f"user_id : {owner}", cap + 1),
            )
        return int(rows[0][0]) <= cap

    # -- vectors ------------------------------------------------------------------------

    def _existing_vec_tables(self) -> list[str]:
        rows = self.db.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memory_vec_[0-9]*'"
            " AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
        return [r[0] for r in rows]

    def prepare(self, dim: int) -> None:
        if not self.in_memory and dim not in self._vec_tables:
            with self.db.transaction() as db:
                self._create(db, dim)

    def _create(self, db: Transaction, dim: int) -> None:
        db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS memory_vec_{dim} USING vec0("
            f"user_id text partition key, embedding bit[{dim}])"
        )
        self._vec_tables.add(dim)

    def store_vectors(
        self, db: Transaction, dim: int, items: Sequence[tuple[int, np.ndarray]]
    ) -> None:
        if self.in_memory:
            # The in-memory index reads the embeddings themselves (in `committed` and on
            # load). Writing vec0 too cost ~7 statements a memory, ~0.3 ms of a turn's CPU.
            return
        table = f"memory_vec_{dim}"
        if dim not in self._vec_tables:
            self._create(db, dim)  # not prepared: in the caller's transaction (DDL is, here)
        for memory_id, search in items:
            db.execute(f"DELETE FROM {table} WHERE rowid = ?", (memory_id,))
            db.execute(
                f"INSERT INTO {table} (rowid, user_id, embedding) "
                "VALUES (?, ?, vec_quantize_binary(?))",
                (memory_id, self.user_id, np.asarray(search, dtype=np.float32).tobytes()),
            )

    def vector_candidates(self, vector: np.ndarray, k: int, *, again: bool = False) -> list[int]:
        dim = int(vector.shape[0])
        if self.in_memory:
            return self._index(dim, again=again).search(vector, k)
        table = f"memory_vec_{dim}"
        self._catch_up_vec(dim)
        rows = self.db.query(
            f"SELECT v.rowid FROM {table} v WHERE v.embedding MATCH vec_quantize_binary(?) "
            "AND k = ? AND v.user_id = ?",
            (np.asarray(vector, dtype=np.float32).tobytes(), k, self.user_id),
        )
        return [int(r[0]) for r in rows]

    def _catch_up_vec(self, dim: int) -> None:
        """Add to vec0 the user's embeddings written since it was made or last caught up
        (by the in-memory path, which leaves it alone). A vector replaced meanwhile keeps
        its old code there: candidates only, and this search is kept for comparison."""
        seen = self.db.write_marks()
        if self._vec_synced.get(dim) == seen:
            return
        table = f"memory_vec_{dim}"
        with self.db.transaction() as db:
            if dim not in self._vec_tables:
                self._create(db, dim)
            # Row by row: a bit vector made inside INSERT … SELECT loses its type on the way.
            missing = db.execute(
                "SELECT e.memory_id, e.search_vector FROM memory_embeddings e "
                "JOIN memories m ON m.id = e.memory_id "
                "WHERE m.user_id = ? AND length(e.search_vector) = ? "
                f"AND NOT EXISTS (SELECT 1 FROM {table} v WHERE v.rowid = e.memory_id)",
                (self.user_id, 4 * dim),
            ).fetchall()
            db.executemany(
                f"INSERT INTO {table} (rowid, user_id, embedding) "
                "VALUES (?, ?, vec_quantize_binary(?))",
                [(row[0], self.user_id, row[1]) for row in missing],
            )
        self._vec_synced[dim] = self.db.write_marks()

    def remove(self, db: Transaction, ids: Sequence[int]) -> None:
        # Forgotten means gone from every table, the comparison's vec0 included.
        for table in self._existing_vec_tables():
            db.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(i,) for i in ids])

    def committed(
        self, dim: int, added: Sequence[tuple[int, np.ndarray]], removed: Sequence[int]
    ) -> None:
        indexes = _indexes.get(self.db, {})
        index = indexes.get(dim)
        if index is not None and added:  # after the commit: a rollback leaves it untouched
            index.add([i[0] for i in added], np.stack([i[1] for i in added]))
        if removed:
            for each in indexes.values():
                each.remove(list(removed))
            # Fewer memories hold the words now, and the newest id may be given out again.
            _word_counts.pop(self.db, None)

    def _index(self, dim: int, *, again: bool = False) -> BinaryIndex:
        """This user's binary index for `dim`, loaded on first use and caught up with what
        other connections (another process, the server's other stores) committed since
        (`again`: as the search a moment ago left it)."""
        from os1.memory.vector_index import BinaryIndex  # memory imports storage, not back

        indexes = _indexes.setdefault(self.db, {})
        index = indexes.get(dim)
        if again and index is not None:
            # On a server every other user's commit moves data_version: the feedback pass
            # would pay the check and the catch-up query again for nothing of this user's.
            return index
        # Other connections' commits move data_version; this user's other stores on this
        # connection (views of a server's one connection) move the second mark.
        marks = self.db.others_marks()
        version = (marks[0], marks[2])
        if index is not None and index.data_version == version:
            return index
        if index is None:
            index = indexes[dim] = BinaryIndex(dim)
        # Read everything embedded since the last read, in chunks (this connection's own
        # writes, added as they commit, come again: harmless). Memories another connection
        # deleted linger as candidates until restart, and the rerank drops them; one it embeds
        # out of id order, below what was already read, waits for a restart.
        chunk = 20_000
        while True:
            rows = self.db.query(CATCH_UP_SQL, (self.user_id, index.max_id, 4 * dim, chunk))
            if not rows:
                break
            codes = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint64)
            index.add_codes([r[0] for r in rows], codes.reshape(len(rows), index.words))
            index.max_id = rows[-1][0]
            if len(rows) < chunk:
                break  # that was all: asking again would find nothing
        index.data_version = version
        return index
