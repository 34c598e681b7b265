"""The memory store: episodes and derived memories with provenance, in the user's database.

Its tables are the same on every backend and read with portable SQL; search (full-text and
vector candidates) is the store's `memory_index()`, whichever database that is.

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

from os1.errors import NotFound
from os1.storage.base import MemoryIndex, Store, now, title_from

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


_PLAIN_COLUMNS = (
    "id, kind, text, speaker, subject, attribute, value, said_at, happened_at, happened_until, "
    "session, importance, superseded_by, created_at, untrusted"
)
# A memory's sources come with its row, each as "<length>:<source>", so that any text parses
# back: reading them in a second statement was a round trip more on PostgreSQL for every
# read of memories (three or four a turn).
_SOURCES = (
    "(SELECT string_agg(length(s.source) || ':' || s.source, '') "
    "FROM memory_sources s WHERE s.memory_id = {table}.id) AS packed_sources"
)
_COLUMNS = f"{_PLAIN_COLUMNS}, {_SOURCES.format(table='memories')}"


_COLUMN_NAMES = [c for c in _PLAIN_COLUMNS.split(", ") if c != "untrusted"]
# The same, read through `m`.
_M_COLUMNS = (
    ", ".join(f"m.{c}" for c in _PLAIN_COLUMNS.split(", ")) + ", " + _SOURCES.format(table="m")
)


def _unpacked(packed: str | None) -> tuple[str, ...]:
    """The sources of `_SOURCES`' column: "<length>:<text>" one after another."""
    sources: list[str] = []
    at = 0
    while packed and at < len(packed):
        colon = packed.index(":", at)
        end = colon + 1 + int(packed[at:colon])
        sources.append(packed[colon + 1 : end])
        at = end
    # In code point order, as SQLite's primary key gives them (not PostgreSQL's collation).
    return tuple(sorted(sources)) if len(sources) > 1 else tuple(sources)


# The owner test of lookups by id. The concatenation keeps SQLite's planner on the primary
# key: on `user_id` alone it may walk the user's whole (user_id, kind, said_at) index.
_OWNER = "(user_id || '')"

# Forgettings done through any memory store of a connection, by connection. Caches built on a
# user's memories (recall's sessions) start over when it moves: SQLite may give a forgotten
# newest id to the next memory, which a count and a newest id cannot tell apart.
_forgettings: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()

# How many vector-index candidates the exact vectors rerank.
RERANK_CANDIDATES = 200


class MemoryStore:
    """Memories of one user, in the same database (and transactions) as their
    conversations."""

    def __init__(self, store: Store, *, memory_index: bool = True) -> None:
        self.db = store
        self.user_id = store.user_id
        self.index: MemoryIndex = store.memory_index(in_memory=memory_index)

    @property
    def memory_index(self) -> bool:
        """Whether vector candidates come from an in-memory index where the backend has one
        (False: its on-disk one; slower, kept to compare in benchmarks)."""
        return bool(getattr(self.index, "in_memory", True))

    @memory_index.setter
    def memory_index(self, value: bool) -> None:
        self.index = self.db.memory_index(in_memory=value)

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
                row = db.execute(
                    "INSERT INTO memories (user_id, kind, text, speaker, subject, attribute, "
                    "value, said_at, happened_at, happened_until, session, importance, "
                    "consolidated, created_at, untrusted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                    "RETURNING id",
                    (
                        self.user_id, m.kind, m.text, m.speaker, m.subject, m.attribute,
                        m.value, m.said_at, m.happened_at, m.happened_until, m.session,
                        m.importance, int(consolidated), stamp, int(m.untrusted),
                    ),
                ).fetchone()  # fmt: skip
                assert row is not None  # RETURNING always yields the new row
                memory_id = int(row[0])
                db.executemany(
                    "INSERT INTO memory_sources (memory_id, source) VALUES (?, ?) "
                    "ON CONFLICT (memory_id, source) DO NOTHING",
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
                "INSERT INTO memory_sources (memory_id, source) VALUES (?, ?) "
                "ON CONFLICT (memory_id, source) DO NOTHING",
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

    def end_slot(
        self, subject: str, attribute: str, ended_by: int, *, value: str | None = None
    ) -> builtins.list[int]:
        """End a slot ("I don't live in Leeds anymore"): its current memories are superseded by
        `ended_by`, the turn that said so, and stay as history. With `value`, only memories
        holding that value end. Returns the ids ended; none if that turn is gone (forgotten)."""
        with self.db.transaction() as db:
            if not self._exists(db, ended_by):
                return []
            rows = db.execute(
                "SELECT id, value FROM memories WHERE user_id = ? AND subject = ? "
                "AND attribute = ? AND superseded_by IS NULL AND kind != 'episode'",
                (self.user_id, subject, attribute),
            ).fetchall()
            wanted = None if value is None else value.strip().lower()
            ended = [
                int(r[0]) for r in rows if wanted is None or (r[1] or "").strip().lower() == wanted
            ]
            db.executemany(
                "UPDATE memories SET superseded_by = ? WHERE id = ? AND user_id = ?",
                [(ended_by, i, self.user_id) for i in ended],
            )
        return ended

    def mark_consolidated(self, ids: Sequence[int]) -> None:
        with self.db.transaction() as db:
            db.executemany(
                "UPDATE memories SET consolidated = 1 WHERE id = ? AND user_id = ?",
                [(i, self.user_id) for i in ids],
            )

    def set_embeddings(
        self, model: str, items: Sequence[tuple[int, np.ndarray, np.ndarray]]
    ) -> None:
        """Store (id, own vector, search vector) triples; the search vector also goes into the
        backend's vector index for candidate search.

        Memories forgotten since they were read are skipped, so a slow background step can't
        bring them back.
        """
        if not items:
            return
        dim = int(items[0][1].shape[0])
        self.index.prepare(dim)
        with self.db.transaction() as db:
            alive = {
                row[0]
                for row in db.execute(
                    f"SELECT id FROM memories WHERE {_OWNER} = ? AND id IN "
                    f"({','.join('?' * len(items))})",
                    (self.user_id, *[item[0] for item in items]),
                ).fetchall()
            }
            stored = [item for item in items if item[0] in alive]
            for memory_id, own, search in items:
                if memory_id not in alive:
                    continue
                search_blob = np.asarray(search, dtype=np.float32).tobytes()
                db.execute(
                    "INSERT INTO memory_embeddings (memory_id, model, vector, search_vector) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (memory_id) DO UPDATE SET "
                    "model = excluded.model, vector = excluded.vector, "
                    "search_vector = excluded.search_vector",
                    (memory_id, model, np.asarray(own, dtype=np.float32).tobytes(), search_blob),
                )
            vectors = [(i[0], i[2]) for i in stored]
            self.index.store_vectors(db, dim, vectors)
        self.index.committed(dim, vectors, ())

    def session_episodes(self, names: Sequence[str]) -> builtins.list[tuple[int, str]]:
        """(id, session) of every episode in the named sessions, in id order per session."""
        if not names:
            return []
        # On the (user_id, session, id) index of episodes.
        rows = self.db.query(
            "SELECT id, session FROM memories WHERE user_id = ? AND kind = 'episode' "
            f"AND session IN ({','.join('?' * len(names))}) ORDER BY session, id",
            (self.user_id, *names),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def forgettings(self) -> int:
        """How many times memories of this store's connection were forgotten, or their
        vectors made anew (in this process): a cache of them is stale when it moves."""
        return _forgettings.get(self.db, 0)

    def session_vector_sums(
        self, dim: int, chunk: int = 20_000
    ) -> dict[str, tuple[tuple[int, ...], tuple[int, ...], np.ndarray]]:
        """For every session, its episodes with a `dim`-sized vector (ids in order), those
        without one, and the sum of those vectors: read in chunks, so that a large store is
        never in memory whole."""
        sums: dict[str, tuple[list[int], list[int], np.ndarray]] = {}
        after = 0
        while True:
            rows = self.db.query(
                "SELECT m.id, m.session, e.vector FROM memories m LEFT JOIN memory_embeddings e "
                "ON e.memory_id = m.id AND length(e.vector) = ? WHERE m.user_id = ? "
                "AND m.kind = 'episode' AND m.session IS NOT NULL AND m.id > ? "
                "ORDER BY m.id LIMIT ?",
                (4 * dim, self.user_id, after, chunk),
            )
            for row in rows:
                memory_id, session = int(row[0]), str(row[1])
                seen = sums.setdefault(session, ([], [], np.zeros(dim, dtype=np.float32)))
                if row[2] is None:
                    seen[1].append(memory_id)
                    continue
                seen[0].append(memory_id)
                np.add(seen[2], np.frombuffer(row[2], dtype=np.float32), out=seen[2])
            if len(rows) < chunk:
                break
            after = int(rows[-1][0])
        return {name: (tuple(a), tuple(b), total) for name, (a, b, total) in sums.items()}

    def session_shapes(self, names: Sequence[str]) -> dict[str, tuple[int, int]]:
        """For each named session with episodes: how many, and the newest's id."""
        if not names:
            return {}
        rows = self.db.query(
            "SELECT session, count(*), max(id) FROM memories WHERE user_id = ? "
            f"AND kind = 'episode' AND session IN ({','.join('?' * len(names))}) "
            "GROUP BY session",
            (self.user_id, *names),
        )
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def session_episodes_after(self, name: str, after: int) -> builtins.list[int]:
        """Ids of the session's episodes newer than `after`, in order."""
        rows = self.db.query(
            "SELECT id FROM memories WHERE user_id = ? AND kind = 'episode' AND session = ? "
            "AND id > ? ORDER BY id",
            (self.user_id, name, after),
        )
        return [int(r[0]) for r in rows]

    def own_vectors(self, ids: Sequence[int], model: str | None = None) -> dict[int, np.ndarray]:
        """The vectors of these memories themselves; with `model`, only those it made."""
        if not ids:
            return {}
        which = "" if model is None else " AND model = ?"
        rows = self.db.query(
            f"SELECT memory_id, vector FROM memory_embeddings WHERE memory_id IN "
            f"({','.join('?' * len(ids))}){which}",
            (*ids, *([] if model is None else [model])),
        )
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def embedded_by_other(self, model: str, limit: int = 64) -> builtins.list[Memory]:
        """Memories whose vectors another embedder made, oldest first: the embedder setting
        changed (or its default did), and cosines between two models' vectors mean nothing."""
        rows = self.db.query(
            f"SELECT {_M_COLUMNS} FROM memories m JOIN memory_embeddings e "
            "ON e.memory_id = m.id WHERE m.user_id = ? AND e.model != ? ORDER BY m.id LIMIT ?",
            (self.user_id, model, limit),
        )
        return self._hydrate(rows)

    def vectors_replaced(self) -> None:
        """Say that vectors were made anew: caches built on them (recall's session means)
        start over, as after forgetting."""
        _forgettings[self.db] = _forgettings.get(self.db, 0) + 1

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
                    f"SELECT id FROM memories WHERE {_OWNER} = ? AND id IN ({marks})",
                    (self.user_id, *asked),
                ).fetchall()
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
                    ).fetchall()
                ]
                kind = db.execute("SELECT kind FROM memories WHERE id = ?", (memory_id,)).fetchone()
                is_episode = kind is not None and kind[0] == "episode"
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
                        ).fetchall()
                    )
            self.index.remove(db, sorted(doomed))
            db.executemany(
                "UPDATE memories SET superseded_by = NULL WHERE superseded_by = ?",
                [(i,) for i in doomed],
            )
            db.executemany(
                "DELETE FROM memories WHERE id = ? AND user_id = ?",
                [(i, self.user_id) for i in doomed],
            )
            self._delete_messages(db, messages)
        self.index.committed(0, (), sorted(doomed))
        _forgettings[self.db] = _forgettings.get(self.db, 0) + 1
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
        rows = [(i,) for i in self.index.matching(phrase)]
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
            "WHERE substr(s.source, 1, ?) = ? AND m.user_id = ?",
            (len(prefix), prefix, self.user_id),
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
            f"SELECT {_COLUMNS} FROM memories WHERE {_OWNER} = ? AND id IN ({marks})",
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

    def still_pending(self, ids: Sequence[int]) -> set[int]:
        """Those of `ids` not consolidated yet (another process may have done it since)."""
        if not ids:
            return set()
        rows = self.db.query(
            f"SELECT id FROM memories WHERE user_id = ? AND consolidated = 0 "
            f"AND id IN ({','.join('?' * len(ids))})",
            (self.user_id, *ids),
        )
        return {int(r[0]) for r in rows}

    def active_in_slot(self, subject: str, attribute: str) -> builtins.list[Memory]:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM memories WHERE user_id = ? AND subject = ? AND attribute = ?"
            " AND superseded_by IS NULL AND kind != 'episode' ORDER BY id",
            (self.user_id, subject, attribute),
        )
        return self._hydrate(rows)

    def session_neighbours(
        self, ids: Sequence[int], *, episodes: Sequence[Memory] = ()
    ) -> dict[int, tuple[int | None, int | None]]:
        """For each episode, the episodes stored just before and after it in its session.
        `episodes`: ones the caller holds already, whose sessions need no look-up."""
        result: dict[int, tuple[int | None, int | None]] = {}
        sessions = [(m.id, m.session) for m in episodes if m.kind == "episode"]
        if ids:
            # The kind is checked here, not in SQL: with `kind = 'episode'` there SQLite chose
            # the episodes' partial index on user_id alone and read every episode of the user
            # (4 ms of a search at 100k memories) instead of seeking the ids.
            rows = self.db.query(
                "SELECT id, session, kind FROM memories WHERE user_id = ? "
                f"AND id IN ({','.join('?' * len(ids))})",
                (self.user_id, *ids),
            )
            sessions += [(int(r[0]), r[1]) for r in rows if r[2] == "episode"]
        parts: builtins.list[tuple[str, tuple[Any, ...]]] = []
        for memory_id, session in sessions:
            # `=` or `IS NULL`, never `IS NOT DISTINCT FROM`, which PostgreSQL cannot answer
            # from an index: lookups on (user_id, session, id), whatever the history's length.
            same = "session IS NULL" if session is None else "session = ?"
            key = () if session is None else (session,)
            parts.append(
                (
                    "SELECT ?, (SELECT max(id) FROM memories WHERE user_id = ? AND kind = "
                    f"'episode' AND {same} AND id < ?), (SELECT min(id) FROM memories WHERE "
                    f"user_id = ? AND kind = 'episode' AND {same} AND id > ?)",
                    (memory_id, self.user_id, *key, memory_id, self.user_id, *key, memory_id),
                )
            )
        # One statement for many of them (the same seeks): on PostgreSQL each statement is a
        # round trip, and a search asks for its two best episodes' neighbours. SQLite takes
        # at most 500 parts in a compound SELECT.
        for start in range(0, len(parts), 100):
            chunk = parts[start : start + 100]
            rows = self.db.query(
                " UNION ALL ".join(sql for sql, _ in chunk), [p for _, ps in chunk for p in ps]
            )
            for row in rows:
                result[int(row[0])] = (row[1], row[2])
        return {i: result[i] for i in [*(m.id for m in episodes), *ids] if i in result}

    def earlier_in_session(self, episode: Memory, limit: int) -> builtins.list[Memory]:
        """The `limit` episodes stored just before `episode` in its session, latest first
        (one indexed read on (user_id, session, id))."""
        same = "session IS NULL" if episode.session is None else "session = ?"
        key = () if episode.session is None else (episode.session,)
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM memories WHERE user_id = ? AND kind = 'episode' "
            f"AND {same} AND id < ? ORDER BY id DESC LIMIT ?",
            (self.user_id, *key, episode.id, limit),
        )
        return self._hydrate(rows)

    def newest_said_at(self) -> str | None:
        """When the latest turn was said: the newest episode's time (one seek on
        memories_by_user; what is derived from a turn carries its time)."""
        rows = self.db.query(
            "SELECT max(said_at) FROM memories WHERE user_id = ? AND kind = 'episode'",
            (self.user_id,),
        )
        return str(rows[0][0]) if rows and rows[0][0] else None

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

    def lexical(self, match: str, limit: int) -> builtins.list[tuple[int, float]]:
        """Full-text hits as (id, score), best first; a higher score is better (BM25 on
        SQLite, its PostgreSQL likeness there)."""
        return self.index.lexical(match, limit)

    def lexical_from(self, match: str, source_prefix: str, limit: int) -> builtins.list[Memory]:
        """Lexical hits (best first) among memories with a source starting with
        `source_prefix` (a note file's chunks: "note:"), superseded ones included."""
        return self.get_many(self.index.lexical_from(match, source_prefix, limit))

    def common_terms(self, terms: Sequence[str], cap: int) -> set[str]:
        """Terms found in more than `cap` of this user's memories (counting stops at cap+1)."""
        return self.index.common_terms(terms, cap)

    def nearest(
        self,
        vector: np.ndarray,
        limit: int,
        candidates: int = RERANK_CANDIDATES,
        *,
        again: bool = False,
        read: dict[int, np.ndarray] | None = None,
    ) -> builtins.list[tuple[int, float]]:
        """Cosine-nearest memories as (id, similarity): the backend's vector index finds
        candidates, exact float vectors rerank them. `again`: a second search of the same
        moment, which need not look for other connections' writes again. `read`: float
        vectors read earlier in the same moment, by id, and where those read now are kept:
        recall's feedback pass meets many of the first pass's candidates again (reading 200
        vectors at 100k memories takes ~1 ms)."""
        scored = self.index.nearest(vector, limit, candidates)
        if scored is not None:
            return scored
        ids = self.index.vector_candidates(vector, candidates, again=again)
        if not ids:
            return []
        known = read if read is not None else {}
        missing = [i for i in ids if i not in known]
        if missing:
            marks = ",".join("?" * len(missing))
            for row in self.db.query(
                f"SELECT e.memory_id, e.search_vector FROM memory_embeddings e JOIN memories m "
                f"ON m.id = e.memory_id WHERE e.memory_id IN ({marks}) "
                "AND m.superseded_by IS NULL",
                tuple(missing),
            ):
                known[int(row[0])] = np.frombuffer(row[1], dtype=np.float32)
        found = [i for i in ids if i in known]
        if not found:
            return []
        matrix = np.stack([known[i] for i in found])
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores)[:limit]
        return [(found[i], float(scores[i])) for i in order]

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
        memories = {
            r["id"]: Memory(
                sources=_unpacked(r["packed_sources"]),
                untrusted=bool(r["untrusted"]),
                **{name: r[name] for name in _COLUMN_NAMES},
            )
            for r in rows
        }
        keys = order if order is not None else ids
        return [memories[i] for i in keys if i in memories]


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
