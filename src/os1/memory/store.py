"""The memory store: episodes and derived memories with provenance, in the user's database.

Every memory keeps its sources: `msg:<id>` (a turn of a conversation), `import:<id>` (an
imported message) or `mem:<id>` (the memory it was derived from). Forgetting follows those
links, so nothing derived from a forgotten thing survives it.
"""

from __future__ import annotations

import builtins
import json
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from os1.errors import NotFound, StorageError
from os1.memory.vector_index import BinaryIndex
from os1.storage.base import Store
from os1.storage.sqlite import SQLiteStore, now, title_from

MemoryKind = Literal["episode", "fact", "event", "preference", "reflection"]
KINDS: tuple[MemoryKind, ...] = ("episode", "fact", "event", "preference", "reflection")


def message_source(message_id: int) -> str:
    return f"msg:{message_id}"


def import_source(imported_id: str) -> str:
    return f"import:{imported_id}"


def memory_source(memory_id: int) -> str:
    return f"mem:{memory_id}"


def public_source(source: str) -> str:
    """How a source is shown: an imported message by its own id, others with their prefix."""
    return source.removeprefix("import:")


@dataclass(frozen=True, slots=True)
class NewMemory:
    kind: MemoryKind
    text: str
    sources: tuple[str, ...]
    speaker: str | None = None
    subject: str | None = None
    attribute: str | None = None
    value: str | None = None
    said_at: str | None = None
    happened_at: str | None = None
    happened_until: str | None = None
    session: str | None = None
    importance: float = 0.3
    # Text that came from outside (a mail, a note file, a reply written with one in view):
    # recalled only as quoted data, and whatever is derived from it stays untrusted.
    untrusted: bool = False


@dataclass(frozen=True, slots=True)
class Memory:
    id: int
    kind: MemoryKind
    text: str
    speaker: str | None
    subject: str | None
    attribute: str | None
    value: str | None
    said_at: str | None
    happened_at: str | None
    happened_until: str | None
    session: str | None
    importance: float
    superseded_by: int | None
    created_at: str
    sources: tuple[str, ...] = field(default=())
    untrusted: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["sources"] = [public_source(s) for s in self.sources]
        return data


_COLUMNS = (
    "id, kind, text, speaker, subject, attribute, value, said_at, happened_at, happened_until, "
    "session, importance, superseded_by, created_at, untrusted"
)


_COLUMN_NAMES = [c for c in _COLUMNS.split(", ") if c != "untrusted"]

# In-memory binary indexes by database connection (one user each) and dimension, shared by
# every MemoryStore over that connection so that all of them see each other's writes.
_indexes: weakref.WeakKeyDictionary[SQLiteStore, dict[int, BinaryIndex]] = (
    weakref.WeakKeyDictionary()
)
# How many binary candidates the exact vectors rerank.
RERANK_CANDIDATES = 200


class MemoryStore:
    """Memories of one user, in the same SQLite file (and under the same lock) as their
    conversations."""

    def __init__(self, store: Store, *, memory_index: bool = True) -> None:
        if not isinstance(store, SQLiteStore):
            # Search runs on FTS5 and vec0 until it moves behind a storage backend.
            raise StorageError("long-term memory needs the SQLite store for now")
        self.db = store
        self.user_id = store.user_id
        self._vec_tables: set[int] = set()
        # False searches the vec0 table instead (slower; kept to compare in benchmarks).
        self.memory_index = memory_index
        self._sole_owner: tuple[int, bool] | None = None  # (data_version, answer)

    # -- writing ------------------------------------------------------------------------

    def add(
        self, memory: NewMemory, *, consolidated: bool = False, requires: int | None = None
    ) -> int | None:
        added = self.add_many([memory], consolidated=consolidated, requires=requires)
        return added[0] if added else None

    def add_many(
        self,
        memories: Sequence[NewMemory],
        *,
        consolidated: bool = False,
        requires: int | None = None,
    ) -> builtins.list[int]:
        """Insert in one transaction: all of them are stored, or none.

        With `requires`, nothing is stored unless that memory still exists: a derivation
        racing with a forget must not resurrect what was forgotten.
        """
        stamp = now()
        ids: builtins.list[int] = []
        with self.db.transaction() as db:
            if requires is not None and not self._exists(db, requires):
                return []
            for m in memories:
                cur = db.execute(
                    "INSERT INTO memories (user_id, kind, text, speaker, subject, attribute, "
                    "value, said_at, happened_at, happened_until, session, importance, "
                    "consolidated, created_at, untrusted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        self.user_id, m.kind, m.text, m.speaker, m.subject, m.attribute,
                        m.value, m.said_at, m.happened_at, m.happened_until, m.session,
                        m.importance, int(consolidated), stamp, int(m.untrusted),
                    ),
                )  # fmt: skip
                memory_id = int(cur.lastrowid or 0)
                db.executemany(
                    "INSERT OR IGNORE INTO memory_sources (memory_id, source) VALUES (?, ?)",
                    [(memory_id, s) for s in m.sources],
                )
                ids.append(memory_id)
        return ids

    def add_sources(
        self, memory_id: int, sources: Iterable[str], *, requires: int | None = None
    ) -> None:
        with self.db.transaction() as db:
            if requires is not None and not self._exists(db, requires):
                return
            db.executemany(
                "INSERT OR IGNORE INTO memory_sources (memory_id, source) VALUES (?, ?)",
                [(memory_id, s) for s in sources],
            )

    def _exists(self, db: Any, memory_id: int) -> bool:
        row = db.execute(
            "SELECT 1 FROM memories WHERE id = ? AND user_id = ?", (memory_id, self.user_id)
        ).fetchone()
        return row is not None

    def supersede(self, old_id: int, new_id: int) -> None:
        """`new_id` replaces `old_id` in recall; the old one stays as visible history."""
        self.get(old_id)
        self.get(new_id)
        with self.db.transaction() as db:
            db.execute(
                "UPDATE memories SET superseded_by = ? WHERE id = ? AND user_id = ?",
                (new_id, old_id, self.user_id),
            )

    def mark_consolidated(self, ids: Sequence[int]) -> None:
        with self.db.transaction() as db:
            db.executemany(
                "UPDATE memories SET consolidated = 1 WHERE id = ? AND user_id = ?",
                [(i, self.user_id) for i in ids],
            )

    def set_embeddings(
        self, model: str, items: Sequence[tuple[int, np.ndarray, np.ndarray]]
    ) -> None:
        """Store (id, own vector, search vector) triples; the binary code of the search vector
        goes into the vec0 index for candidate search.

        Memories forgotten since they were read are skipped, so a slow background step can't
        bring them back.
        """
        if not items:
            return
        dim = int(items[0][1].shape[0])
        table = self._vec_table(dim)
        with self.db.transaction() as db:
            alive = {
                row[0]
                for row in db.execute(
                    f"SELECT id FROM memories WHERE +user_id = ? AND id IN "
                    f"({','.join('?' * len(items))})",
                    (self.user_id, *[item[0] for item in items]),
                )
            }
            stored = [item for item in items if item[0] in alive]
            for memory_id, own, search in items:
                if memory_id not in alive:
                    continue
                search_blob = np.asarray(search, dtype=np.float32).tobytes()
                db.execute(
                    "INSERT OR REPLACE INTO memory_embeddings "
                    "(memory_id, model, vector, search_vector) VALUES (?, ?, ?, ?)",
                    (memory_id, model, np.asarray(own, dtype=np.float32).tobytes(), search_blob),
                )
                db.execute(f"DELETE FROM {table} WHERE rowid = ?", (memory_id,))
                db.execute(
                    f"INSERT INTO {table} (rowid, user_id, embedding) "
                    "VALUES (?, ?, vec_quantize_binary(?))",
                    (memory_id, self.user_id, search_blob),
                )
        index = _indexes.get(self.db, {}).get(dim)
        if index is not None and stored:  # after the commit: a rollback leaves it untouched
            index.add([i[0] for i in stored], np.stack([i[2] for i in stored]))

    def own_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        if not ids:
            return {}
        rows = self.db.query(
            f"SELECT memory_id, vector FROM memory_embeddings WHERE memory_id IN "
            f"({','.join('?' * len(ids))})",
            tuple(ids),
        )
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def _vec_table(self, dim: int) -> str:
        table = f"memory_vec_{dim}"
        if dim not in self._vec_tables:
            with self.db.transaction() as db:
                db.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING vec0("
                    f"user_id text partition key, embedding bit[{dim}])"
                )
            self._vec_tables.add(dim)
        return table

    def _existing_vec_tables(self) -> builtins.list[str]:
        rows = self.db.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memory_vec_[0-9]*'"
            " AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
        return [r[0] for r in rows]

    # -- forgetting ---------------------------------------------------------------------

    def forget(self, ids: Iterable[int]) -> builtins.list[int]:
        """Remove memories, everything derived from them, and the turns they record.

        Returns every memory id removed. Episodes of chat turns take the message with them,
        so a forgotten thing can't come back through the conversation history either.
        """
        asked = list(ids)
        if not asked:
            return []
        with self.db.transaction() as db:
            marks = ",".join("?" * len(asked))
            pending = [
                r[0]
                for r in db.execute(
                    f"SELECT id FROM memories WHERE +user_id = ? AND id IN ({marks})",
                    (self.user_id, *asked),
                )
            ]
            doomed: set[int] = set()
            messages: set[int] = set()
            while pending:
                memory_id = pending.pop()
                if memory_id in doomed:
                    continue
                doomed.add(memory_id)
                sources = [
                    r[0]
                    for r in db.execute(
                        "SELECT source FROM memory_sources WHERE memory_id = ?", (memory_id,)
                    )
                ]
                kind = db.execute("SELECT kind FROM memories WHERE id = ?", (memory_id,))
                is_episode = kind.fetchone()[0] == "episode"
                # What was derived from this memory, and, for an episode, everything else
                # that cites the same turn.
                links = [memory_source(memory_id)]
                if is_episode:
                    links += [s for s in sources if not s.startswith("mem:")]
                    messages.update(int(s[4:]) for s in sources if s.startswith("msg:"))
                for link in links:
                    pending.extend(
                        r[0]
                        for r in db.execute(
                            "SELECT m.id FROM memory_sources s JOIN memories m ON m.id = "
                            "s.memory_id WHERE s.source = ? AND m.user_id = ?",
                            (link, self.user_id),
                        )
                    )
            for table in self._existing_vec_tables():
                db.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(i,) for i in doomed])
            db.executemany(
                "UPDATE memories SET superseded_by = NULL WHERE superseded_by = ?",
                [(i,) for i in doomed],
            )
            db.executemany(
                "DELETE FROM memories WHERE id = ? AND user_id = ?",
                [(i, self.user_id) for i in doomed],
            )
            self._delete_messages(db, messages)
        for index in _indexes.get(self.db, {}).values():
            index.remove(list(doomed))
        return sorted(doomed)

    def _delete_messages(self, db: Any, message_ids: Iterable[int]) -> None:
        """Delete turns; a conversation titled after one of them gets a new title."""
        for message_id in message_ids:
            row = db.execute(
                "DELETE FROM messages WHERE id = ? AND user_id = ? RETURNING conversation_id",
                (message_id, self.user_id),
            ).fetchone()
            if row is None:
                continue
            first = db.execute(
                "SELECT content FROM messages WHERE conversation_id = ? AND role = 'user' "
                "ORDER BY id LIMIT 1",
                (row[0],),
            ).fetchone()
            db.execute(
                "UPDATE conversations SET title = ? WHERE id = ?",
                (title_from(first[0]) if first else None, row[0]),
            )

    def forget_message(self, message_id: int) -> builtins.list[int]:
        """Forget a turn of a conversation and everything remembered from it."""
        ids = self.ids_with_source(message_source(message_id))
        removed = self.forget(ids)
        with self.db.transaction() as db:
            self._delete_messages(db, [message_id])
        return removed

    def forget_about(self, term: str) -> builtins.list[int]:
        """Forget every memory that mentions `term` (as words, or as the subject/value)."""
        term = term.strip()
        if not term:
            return []
        phrase = '"' + term.replace('"', '""') + '"'
        rows = self.db.query(
            "SELECT m.id FROM memory_fts f JOIN memories m ON m.id = f.rowid "
            "WHERE memory_fts MATCH ? AND m.user_id = ?",
            (self.scoped(phrase), self.user_id),
        )
        slot_rows = self.db.query(
            "SELECT id FROM memories WHERE user_id = ? AND "
            "(lower(subject) = lower(?) OR lower(value) = lower(?))",
            (self.user_id, term, term),
        )
        return self.forget({r[0] for r in rows} | {r[0] for r in slot_rows})

    # -- reading ------------------------------------------------------------------------

    def ids_with_source(self, source: str) -> builtins.list[int]:
        rows = self.db.query(
            "SELECT m.id FROM memory_sources s JOIN memories m ON m.id = s.memory_id "
            "WHERE s.source = ? AND m.user_id = ?",
            (source, self.user_id),
        )
        return [r[0] for r in rows]

    def sources_with_prefix(self, prefix: str) -> set[str]:
        rows = self.db.query(
            "SELECT s.source FROM memory_sources s JOIN memories m ON m.id = s.memory_id "
            "WHERE s.source GLOB ? AND m.user_id = ?",
            (
                prefix.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") + "*",
                self.user_id,
            ),
        )
        return {r[0] for r in rows}

    def get(self, memory_id: int) -> Memory:
        found = self.get_many([memory_id])
        if not found:
            raise NotFound(f"no memory {memory_id}", hint="`os1 memory list` shows them.")
        return found[0]

    def get_many(self, ids: Sequence[int]) -> builtins.list[Memory]:
        """Memories by id, in the order asked (missing or foreign ids are left out)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM memories WHERE +user_id = ? AND id IN ({marks})",
            (self.user_id, *ids),
        )
        return self._hydrate(rows, order=ids)

    def list(
        self,
        kind: MemoryKind | None = None,
        *,
        include_superseded: bool = False,
        limit: int | None = None,
        subject: str | None = None,
    ) -> builtins.list[Memory]:
        sql = f"SELECT {_COLUMNS} FROM memories WHERE user_id = ?"
        params: builtins.list[Any] = [self.user_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        if subject:
            sql += " AND subject = ?"
            params.append(subject)
        if not include_superseded:
            sql += " AND superseded_by IS NULL"
        sql += " ORDER BY coalesce(said_at, created_at), id"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return self._hydrate(self.db.query(sql, tuple(params)))

    def pending(self, limit: int = 64) -> builtins.list[Memory]:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM memories WHERE user_id = ? AND consolidated = 0 "
            "ORDER BY id LIMIT ?",
            (self.user_id, limit),
        )
        return self._hydrate(rows)

    def active_in_slot(self, subject: str, attribute: str) -> builtins.list[Memory]:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM memories WHERE user_id = ? AND subject = ? AND attribute = ?"
            " AND superseded_by IS NULL AND kind != 'episode' ORDER BY id",
            (self.user_id, subject, attribute),
        )
        return self._hydrate(rows)

    def session_neighbours(self, ids: Sequence[int]) -> dict[int, tuple[int | None, int | None]]:
        """For each episode, the episodes stored just before and after it in its session."""
        result: dict[int, tuple[int | None, int | None]] = {}
        for memory_id in ids:
            row = self.db.query(
                "SELECT session FROM memories WHERE id = ? AND user_id = ? AND kind = 'episode'",
                (memory_id, self.user_id),
            )
            if not row:
                continue
            session = row[0][0]
            # Index lookups on (user_id, session, id): constant time however long the history.
            before = self.db.query(
                "SELECT max(id) FROM memories WHERE user_id = ? AND kind = 'episode' "
                "AND session IS ? AND id < ?",
                (self.user_id, session, memory_id),
            )
            after = self.db.query(
                "SELECT min(id) FROM memories WHERE user_id = ? AND kind = 'episode' "
                "AND session IS ? AND id > ?",
                (self.user_id, session, memory_id),
            )
            result[memory_id] = (before[0][0], after[0][0])
        return result

    def known_people(self) -> builtins.list[str]:
        """Whom the user's current memories are about (subjects, never the user or the
        companion themselves), for skills that weigh who is known, like mail triage."""
        rows = self.db.query(
            "SELECT DISTINCT subject FROM memories WHERE user_id = ? AND kind != 'episode' "
            "AND subject IS NOT NULL AND superseded_by IS NULL "
            "AND subject NOT IN ('user', 'assistant') ORDER BY subject",
            (self.user_id,),
        )
        return [str(r[0]) for r in rows]

    def all_ids(self) -> builtins.list[int]:
        """Every memory id of this user (to forget them all)."""
        rows = self.db.query(
            "SELECT id FROM memories WHERE user_id = ? ORDER BY id", (self.user_id,)
        )
        return [int(r[0]) for r in rows]

    def count(self) -> int:
        rows = self.db.query("SELECT count(*) FROM memories WHERE user_id = ?", (self.user_id,))
        return int(rows[0][0])

    def scoped(self, match: str) -> str:
        """An FTS5 query for the words of `match` in this user's memories only."""
        owner = '"' + self.user_id.replace('"', '""') + '"'
        return f"user_id : {owner} AND text : ({match})"

    def _search_scope(self, match: str) -> str:
        """`scoped(match)`, or just the text words when this user owns every memory in the
        file: matching the owner column intersects with every one of their memories, which at
        100k memories cost more than the words themselves."""
        version = int(self.db.query("PRAGMA data_version")[0][0])
        if self._sole_owner is None or self._sole_owner[0] != version:
            # Two index seeks on (user_id, ...), however many memories there are.
            others = self.db.query(
                "SELECT EXISTS (SELECT 1 FROM memories WHERE user_id < ?) "
                "OR EXISTS (SELECT 1 FROM memories WHERE user_id > ?)",
                (self.user_id, self.user_id),
            )
            self._sole_owner = (version, not others[0][0])
        return f"text : ({match})" if self._sole_owner[1] else self.scoped(match)

    def lexical(self, match: str, limit: int) -> builtins.list[tuple[int, float]]:
        """FTS5 BM25 hits as (id, score), best first; a higher score is better."""
        # bm25 weights: the text counts, the owner column (the same for every hit) does not.
        rows = self.db.query(
            "SELECT m.id, -bm25(memory_fts, 1.0, 0.0) AS score FROM memory_fts f "
            "JOIN memories m ON m.id = f.rowid "
            "WHERE memory_fts MATCH ? AND m.user_id = ? AND m.superseded_by IS NULL "
            "ORDER BY bm25(memory_fts, 1.0, 0.0) LIMIT ?",
            (self._search_scope(match), self.user_id, limit),
        )
        return [(r[0], float(r[1])) for r in rows]

    def lexical_from(self, match: str, source_prefix: str, limit: int) -> builtins.list[Memory]:
        """Lexical hits (best first) among memories with a source starting with
        `source_prefix` (a note file's chunks: "note:"), superseded ones included."""
        pattern = source_prefix.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
        rows = self.db.query(
            "SELECT m.id FROM memory_fts f JOIN memories m ON m.id = f.rowid "
            "WHERE memory_fts MATCH ? AND m.user_id = ? AND EXISTS (SELECT 1 FROM memory_sources s "
            "WHERE s.memory_id = m.id AND s.source GLOB ?) ORDER BY bm25(memory_fts, 1.0, 0.0) "
            "LIMIT ?",
            (self.scoped(match), self.user_id, pattern + "*", limit),
        )
        return self.get_many([r[0] for r in rows])

    def common_terms(self, terms: Sequence[str], cap: int) -> set[str]:
        """Terms found in more than `cap` of this user's memories (counting stops at cap+1)."""
        common = set()
        for term in terms:
            rows = self.db.query(
                "SELECT count(*) FROM (SELECT 1 FROM memory_fts WHERE memory_fts MATCH ? LIMIT ?)",
                (self._search_scope('"' + term.replace('"', '""') + '"'), cap + 1),
            )
            if rows[0][0] > cap:
                common.add(term)
        return common

    def nearest(
        self, vector: np.ndarray, limit: int, candidates: int = RERANK_CANDIDATES
    ) -> builtins.list[tuple[int, float]]:
        """Cosine-nearest memories as (id, similarity): binary codes find candidates (in
        memory, or in the vec0 table), exact float vectors rerank them."""
        dim = int(vector.shape[0])
        if self.memory_index:
            ids = self._index(dim).search(vector, candidates)
        else:
            table = f"memory_vec_{dim}"
            if table not in self._existing_vec_tables():
                return []
            rows = self.db.query(
                f"SELECT v.rowid FROM {table} v WHERE v.embedding MATCH vec_quantize_binary(?) "
                "AND k = ? AND v.user_id = ?",
                (np.asarray(vector, dtype=np.float32).tobytes(), candidates, self.user_id),
            )
            ids = [r[0] for r in rows]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        vec_rows = self.db.query(
            f"SELECT e.memory_id, e.search_vector FROM memory_embeddings e JOIN memories m "
            f"ON m.id = e.memory_id WHERE e.memory_id IN ({marks}) AND m.superseded_by IS NULL",
            tuple(ids),
        )
        if not vec_rows:
            return []
        matrix = np.frombuffer(b"".join(r[1] for r in vec_rows), dtype=np.float32).reshape(
            len(vec_rows), dim
        )
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores)[:limit]
        return [(int(vec_rows[i][0]), float(scores[i])) for i in order]

    def _index(self, dim: int) -> BinaryIndex:
        """This user's binary index for `dim`, loaded on first use and caught up with what
        other connections (another process, the server's other stores) committed since."""
        indexes = _indexes.setdefault(self.db, {})
        index = indexes.get(dim)
        version = int(self.db.query("PRAGMA data_version")[0][0])
        if index is not None and index.data_version == version:
            return index
        if index is None:
            index = indexes[dim] = BinaryIndex(dim)
        # Read everything embedded since the last read, in chunks (this connection's own
        # writes, added as they commit, come again: harmless). Memories another connection
        # deleted linger as candidates until restart, and the rerank drops them; one it embeds
        # out of id order, below what was already read, waits for a restart.
        while True:
            rows = self.db.query(
                "SELECT e.memory_id, vec_quantize_binary(e.search_vector) FROM memory_embeddings"
                " e JOIN memories m ON m.id = e.memory_id WHERE e.memory_id > ? "
                "AND m.user_id = ? AND length(e.search_vector) = ? ORDER BY e.memory_id LIMIT ?",
                (index.max_id, self.user_id, 4 * dim, 20_000),
            )
            if not rows:
                break
            codes = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint64)
            index.add_codes([r[0] for r in rows], codes.reshape(len(rows), index.words))
            index.max_id = rows[-1][0]
        index.data_version = version
        return index

    def export(self) -> dict[str, Any]:
        """Everything OS1 knows about this user, as plain JSON-able data."""
        conversations = []
        for conv in self.db.list_conversations(limit=1_000_000):
            conversations.append(
                {
                    "id": conv.id,
                    "title": conv.title,
                    "created_at": conv.created_at,
                    "messages": [
                        {"id": m.id, "role": m.role, "content": m.content, "status": m.status,
                         "created_at": m.created_at}
                        for m in self.db.messages(conv.id)
                    ],
                }
            )  # fmt: skip
        return {
            "format": "os1-export/1",
            "exported_at": now(),
            "user": self.user_id,
            "profile": self.db.profile(),
            "memories": [m.as_dict() for m in self.list(include_superseded=True)],
            "conversations": conversations,
        }

    def _hydrate(
        self, rows: Sequence[Any], order: Sequence[int] | None = None
    ) -> builtins.list[Memory]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        sources: dict[int, list[str]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for r in self.db.query(
                "SELECT memory_id, source FROM memory_sources WHERE memory_id IN "
                f"({','.join('?' * len(chunk))})",
                tuple(chunk),
            ):
                sources[r[0]].append(r[1])
        memories = {
            r["id"]: Memory(
                sources=tuple(sources[r["id"]]),
                untrusted=bool(r["untrusted"]),
                **{name: r[name] for name in _COLUMN_NAMES},
            )
            for r in rows
        }
        keys = order if order is not None else ids
        return [memories[i] for i in keys if i in memories]


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
