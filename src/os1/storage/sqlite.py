"""The SQLite store: one file in the OS1 home, WAL mode, numbered migrations."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlean as sqlite3  # the stdlib module may be built without extension loading
import sqlite_vec

from os1.errors import NotFound, StorageError, StorageFull
from os1.storage.base import (
    Conversation,
    Dialect,
    DialogueLine,
    MessageStatus,
    Migrations,
    Store,
    StoredMessage,
    StoredRole,
    ToolCallRecord,
    ToolCallStatus,
    now,
    scripts_for,
    title_from,
)
from os1.storage.migrations import MIGRATIONS
from os1.storage.sqlite_memory import SQLiteMemoryIndex

DB_FILE = "os1.db"


def _storage_error(exc: sqlite3.Error, path: Path) -> StorageError:
    text = str(exc).lower()
    if "full" in text:
        return StorageFull(f"cannot write to {path}: the disk is full")
    if "malformed" in text or "not a database" in text:
        return StorageError(
            f"{path} is damaged: {exc}", hint="Restore it from a backup or move it aside."
        )
    if "locked" in text or "busy" in text:
        return StorageError(f"{path} is busy: {exc}", hint="Another OS1 is writing; try again.")
    return StorageError(f"storage failed at {path}: {exc}")


class SQLiteStore(Store):
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path, user_id: str = "local", *, max_pages: int | None = None):
        self.path = path
        self.user_id = user_id
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=10
            )
            self._db.row_factory = sqlite3.Row
            self._db.enable_load_extension(True)
            sqlite_vec.load(self._db)
            self._db.enable_load_extension(False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL survives a crash of the process (kill -9) without losing commits;
            # only a power cut can lose the last transactions, never corrupt the file.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            # What the user deletes is overwritten, not left in free space (forgetting).
            self._db.execute("PRAGMA secure_delete=ON")
            if max_pages is not None:  # lets tests reproduce a full disk
                self._db.execute(f"PRAGMA max_page_count={int(max_pages)}")
            self._migrate()
            self._writer = _writer_lock(path)
        except (sqlite3.Error, OSError) as exc:
            # A store that fails to open (a broken file, a failed migration) closes what it
            # opened: the caller gets an error, not a leaked connection.
            db = getattr(self, "_db", None)
            if db is not None:
                db.close()
            if isinstance(exc, sqlite3.Error):
                raise _storage_error(exc, path) from None
            raise StorageError(f"cannot open {path}: {exc.strerror or exc}") from None

    # -- plumbing -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        # Writers of one database file in this process queue on a lock of ours: SQLite's own
        # busy handler sleeps and polls (up to 100 ms a time), which with many users' stores
        # writing at once turned into long tail latencies.
        with self._lock, self._writer:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("COMMIT")
                except BaseException:
                    # SQLite may already have rolled back (e.g. on a full disk).
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS, start=1):
            if number <= version:
                continue
            # executescript commits first; the migration and its version bump are one unit.
            self._db.executescript(
                f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;"
            )

    def vacuum(self) -> None:
        """Rewrite the file and empty the write-ahead log: no bytes of deleted rows remain
        in os1.db or os1.db-wal (a reader elsewhere can keep the log from emptying)."""
        with self._lock, self._writer:
            try:
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None

    def scrub(self) -> None:
        """Merge the full-text index (its old segments still hold deleted words), then
        rewrite the file and empty the write-ahead log."""
        with self.transaction() as db:
            db.execute("INSERT INTO memory_fts(memory_fts) VALUES ('optimize')")
        self.vacuum()

    def memory_index(self, *, in_memory: bool = True) -> SQLiteMemoryIndex:
        return SQLiteMemoryIndex(self, in_memory=in_memory)

    def table_exists(self, name: str) -> bool:
        return bool(
            self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )

    def purge_user(self) -> dict[str, int]:
        tables = [
            r[0]
            for r in self.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                "'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'server_%' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        removed: dict[str, int] = {}
        with self.transaction() as db:
            db.execute("PRAGMA defer_foreign_keys = ON")  # rows go in any order, checked at commit
            for table in tables:
                columns = {c[1] for c in db.execute(f'PRAGMA table_info("{table}")').fetchall()}
                if "user_id" in columns:
                    cur = db.execute(f'DELETE FROM "{table}" WHERE user_id = ?', (self.user_id,))
                    if cur.rowcount:
                        removed[table] = cur.rowcount
        return removed

    @property
    def schema_version(self) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    # -- conversations ------------------------------------------------------------------

    def create_conversation(self, title: str | None = None) -> Conversation:
        stamp = now()
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO conversations (user_id, title, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (self.user_id, title, stamp, stamp),
            )
        return Conversation(int(cur.lastrowid or 0), title, stamp, stamp, 0)

    def ensure_conversation(self, profile_key: str, title: str) -> int:
        with self.transaction() as db:
            row = db.execute(
                "SELECT c.id FROM profile p JOIN conversations c "
                "ON c.id = CAST(p.value AS INTEGER) AND c.user_id = p.user_id "
                "WHERE p.user_id = ? AND p.key = ?",
                (self.user_id, profile_key),
            ).fetchone()
            if row is not None:
                return int(row[0])
            stamp = now()
            cur = db.execute(
                "INSERT INTO conversations (user_id, title, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (self.user_id, title, stamp, stamp),
            )
            conv = int(cur.lastrowid or 0)
            db.execute(
                "INSERT INTO profile (user_id, key, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (self.user_id, profile_key, json.dumps(conv), stamp),
            )
        return conv

    _CONVERSATION_SQL = (
        "SELECT c.id, c.title, c.created_at, c.updated_at, "
        "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
        "FROM conversations c WHERE c.user_id = ? "
    )

    @staticmethod
    def _conversation(row: sqlite3.Row) -> Conversation:
        return Conversation(row["id"], row["title"], row["created_at"], row["updated_at"], row["n"])

    def get_conversation(self, conversation_id: int) -> Conversation:
        rows = self.query(self._CONVERSATION_SQL + "AND c.id = ?", (self.user_id, conversation_id))
        if not rows:
            raise NotFound(
                f"no conversation {conversation_id}", hint="`os1 history` lists conversations."
            )
        return self._conversation(rows[0])

    def latest_conversation(self) -> Conversation | None:
        rows = self.query(
            self._CONVERSATION_SQL + "ORDER BY c.updated_at DESC, c.id DESC LIMIT 1",
            (self.user_id,),
        )
        return self._conversation(rows[0]) if rows else None

    def list_conversations(self, limit: int = 50) -> list[Conversation]:
        rows = self.query(
            self._CONVERSATION_SQL + "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
            (self.user_id, limit),
        )
        return [self._conversation(r) for r in rows]

    def rename_conversation(self, conversation_id: int, title: str | None) -> Conversation:
        with self.transaction() as db:
            db.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND user_id = ?",
                (title, conversation_id, self.user_id),
            )
        return self.get_conversation(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        self.get_conversation(conversation_id)
        with self.transaction() as db:
            # Messages and tool calls go with it (ON DELETE CASCADE).
            db.execute(
                "DELETE FROM conversations WHERE id = ? AND user_id = ?",
                (conversation_id, self.user_id),
            )

    # -- messages -----------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: int,
        role: StoredRole,
        content: str,
        status: MessageStatus = "complete",
        meta: dict[str, Any] | None = None,
    ) -> StoredMessage:
        stamp = now()
        meta = meta or {}
        with self.transaction() as db:
            owned = db.execute(
                "SELECT title FROM conversations WHERE id = ? AND user_id = ?",
                (conversation_id, self.user_id),
            ).fetchone()
            if owned is None:
                raise NotFound(f"no conversation {conversation_id}")
            cur = db.execute(
                "INSERT INTO messages (conversation_id, user_id, role, content, status, "
                "created_at, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, self.user_id, role, content, status, stamp, json.dumps(meta)),
            )
            title = owned["title"]
            if title is None and role == "user" and content.strip():
                title = title_from(content)
            db.execute(
                "UPDATE conversations SET updated_at = ?, title = ? WHERE id = ?",
                (stamp, title, conversation_id),
            )
        return StoredMessage(
            int(cur.lastrowid or 0), conversation_id, role, content, status, stamp, meta
        )

    def truncate_message(
        self, message_id: int, content: str, status: MessageStatus = "interrupted"
    ) -> StoredMessage:
        with self.transaction() as db:
            row = db.execute(
                "UPDATE messages SET content = ?, status = ? "
                "WHERE id = ? AND user_id = ? AND role = 'assistant' RETURNING *",
                (content, status, message_id, self.user_id),
            ).fetchone()
        if row is None:
            raise NotFound(f"no reply {message_id}")
        return StoredMessage(
            int(row["id"]),
            int(row["conversation_id"]),
            row["role"],
            row["content"],
            row["status"],
            row["created_at"],
            json.loads(row["meta"]) if row["meta"] != "{}" else {},
        )

    def messages(self, conversation_id: int, last: int | None = None) -> list[StoredMessage]:
        self.get_conversation(conversation_id)  # ownership check, NotFound otherwise
        sql = "SELECT * FROM messages WHERE conversation_id = ? AND user_id = ? ORDER BY id DESC"
        params: tuple[Any, ...] = (conversation_id, self.user_id)
        if last is not None:
            sql += " LIMIT ?"
            params += (last,)
        rows = self.query(sql, params)
        return [
            StoredMessage(
                r["id"],
                r["conversation_id"],
                r["role"],
                r["content"],
                r["status"],
                r["created_at"],
                json.loads(r["meta"]) if r["meta"] != "{}" else {},
            )
            for r in reversed(rows)
        ]

    def dialogue(self, conversation_id: int, last: int) -> list[DialogueLine]:
        # Runs on every turn: no message count, no JSON parsing of every row's meta.
        with self._lock:
            try:
                owned = self._db.execute(
                    "SELECT 1 FROM conversations WHERE id = ? AND user_id = ?",
                    (conversation_id, self.user_id),
                ).fetchone()
                rows = self._db.execute(
                    "SELECT id, role, content, "
                    "meta != '{}' AND json_extract(meta, '$.untrusted') AS untrusted "
                    "FROM messages WHERE conversation_id = ? AND user_id = ? "
                    "AND role IN ('user', 'assistant') AND content != '' "
                    "ORDER BY id DESC LIMIT ?",
                    (conversation_id, self.user_id, last),
                ).fetchall()
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None
        if owned is None:
            raise NotFound(f"no conversation {conversation_id}")
        return [DialogueLine(r[0], r[1], r[2], bool(r[3])) for r in reversed(rows)]

    # -- profile ------------------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        rows = self.query("SELECT key, value FROM profile WHERE user_id = ?", (self.user_id,))
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set_profile(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO profile (user_id, key, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (self.user_id, key, json.dumps(value), now()),
            )

    def delete_profile(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM profile WHERE user_id = ? AND key = ?", (self.user_id, key))

    # -- tool calls ---------------------------------------------------------------------

    def add_tool_call(self, record: ToolCallRecord) -> None:
        with self.transaction() as db:
            owned = db.execute(
                "SELECT 1 FROM conversations WHERE id = ? AND user_id = ?",
                (record.conversation_id, self.user_id),
            ).fetchone()
            if owned is None:
                raise NotFound(f"no conversation {record.conversation_id}")
            db.execute(
                "INSERT INTO tool_calls (id, user_id, conversation_id, name, arguments, "
                "side_effect, origin, summary, status, output, created_at, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    self.user_id,
                    record.conversation_id,
                    record.name,
                    json.dumps(record.arguments),
                    int(record.side_effect),
                    record.origin,
                    record.summary,
                    record.status,
                    record.output,
                    record.created_at,
                    record.decided_at,
                ),
            )

    @staticmethod
    def _tool_call(row: sqlite3.Row) -> ToolCallRecord:
        return ToolCallRecord(
            id=row["id"],
            conversation_id=row["conversation_id"],
            name=row["name"],
            arguments=json.loads(row["arguments"]),
            side_effect=bool(row["side_effect"]),
            origin=row["origin"],
            summary=row["summary"],
            status=row["status"],
            created_at=row["created_at"],
            output=row["output"],
            decided_at=row["decided_at"],
        )

    def get_tool_call(self, call_id: str) -> ToolCallRecord:
        rows = self.query(
            "SELECT * FROM tool_calls WHERE id = ? AND user_id = ?", (call_id, self.user_id)
        )
        if not rows:
            raise NotFound(f"no tool call {call_id!r}")
        return self._tool_call(rows[0])

    def claim_tool_call(self, call_id: str, expected: ToolCallStatus, new: ToolCallStatus) -> bool:
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE tool_calls SET status = ?, decided_at = ? "
                "WHERE id = ? AND user_id = ? AND status = ?",
                (new, now(), call_id, self.user_id, expected),
            )
        return cur.rowcount == 1

    def finish_tool_call(self, call_id: str, status: ToolCallStatus, output: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE tool_calls SET status = ?, output = ? WHERE id = ? AND user_id = ?",
                (status, output, call_id, self.user_id),
            )

    def tool_calls(
        self, status: ToolCallStatus | None = None, conversation_id: int | None = None
    ) -> list[ToolCallRecord]:
        sql = "SELECT * FROM tool_calls WHERE user_id = ?"
        params: tuple[Any, ...] = (self.user_id,)
        if status is not None:
            sql += " AND status = ?"
            params += (status,)
        if conversation_id is not None:
            sql += " AND conversation_id = ?"
            params += (conversation_id,)
        return [self._tool_call(r) for r in self.query(sql + " ORDER BY created_at, id", params)]

    def migrate_component(self, name: str, migrations: Migrations) -> None:
        """A component's migrations, numbered from 1 and tracked in `schema_components`."""
        scripts = scripts_for(migrations, self.dialect)
        if not scripts:
            return
        # Under the file's writer lock: stores of this process opening together read the
        # version and apply the steps one after another (another process is caught below).
        with self._lock, self._writer:
            row = self._db.execute(
                "SELECT version FROM schema_components WHERE name = ?", (name,)
            ).fetchone()
            version = row[0] if row else 0
            for number, script in enumerate(scripts, start=1):
                if number <= version:
                    continue
                quoted = name.replace("'", "''")
                try:
                    self._db.executescript(
                        f"BEGIN IMMEDIATE; {script}; "
                        f"INSERT INTO schema_components (name, version) "
                        f"VALUES ('{quoted}', {number}) "
                        f"ON CONFLICT (name) DO UPDATE SET version = excluded.version; COMMIT;"
                    )
                except sqlite3.Error as exc:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    # Another process may have applied this very step a moment earlier.
                    again = self._db.execute(
                        "SELECT version FROM schema_components WHERE name = ?", (name,)
                    ).fetchone()
                    if not again or again[0] < number:
                        raise _storage_error(exc, self.path) from None

    def integrity_check(self) -> str:
        return str(self.query("PRAGMA integrity_check")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


_writers: dict[str, threading.RLock] = {}
_writers_guard = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    key = str(path.resolve())
    with _writers_guard:
        lock = _writers.get(key)
        if lock is None:
            lock = _writers[key] = threading.RLock()
        return lock


def open_store(home: Path, user_id: str = "local") -> SQLiteStore:
    return SQLiteStore(home / DB_FILE, user_id)
