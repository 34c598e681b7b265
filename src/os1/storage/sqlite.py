"""The SQLite store: one file in the OS1 home, WAL mode, numbered migrations."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlean as sqlite3  # the stdlib module may be built without extension loading
import sqlite_vec

from os1.errors import NotFound, StorageError, StorageFull
from os1.storage.base import Dialect, DialogueLine, Migrations, scripts_for
from os1.storage.base import now as now  # tests and older callers import it from here
from os1.storage.migrations import MIGRATIONS
from os1.storage.sql import SQLStore
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


class SQLiteStore(SQLStore):
    dialect: Dialect = "sqlite"
    _PROFILE_CONVERSATION_ID = "CAST(p.value AS INTEGER)"

    def __init__(self, path: Path, user_id: str = "local", *, max_pages: int | None = None):
        self.path = path
        self.user_id = user_id
        self._lock = threading.RLock()
        # The profile's rows as last read, and when: (data_version, this user's writes on
        # this connection). See _profile_rows_now.
        self._profile_rows: tuple[tuple[int, int], list[tuple[str, str]]] | None = None
        # Shared with every `sharing_connection` view of this connection: [transactions ended];
        # [writes] (transactions ended, and writes outside one) and the same by user.
        # `_own_writes` counts this store's: the difference is what other stores on the
        # connection wrote, which data_version (it moves only for other connections'
        # commits) does not show.
        self._ended = [0]
        self._writes = [0]
        self._user_writes: dict[str, int] = {}
        self._own_writes = 0
        # This thread's open `steady` blocks (.depth) and the data_version their first profile
        # read saw (.version).
        self._steady = threading.local()
        self._owns_connection = True
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
            finally:
                # A rollback undoes changes without lowering total_changes: what was read
                # inside the transaction (by this store or a view of its connection) must
                # not outlive it.
                self._profile_rows = None
                self._ended[0] += 1
                self._wrote()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                changes = self._db.total_changes
                rows = self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None
            if self._db.total_changes != changes:  # a write outside `transaction()`
                self._wrote()
            return rows

    def _wrote(self) -> None:
        """Count a write of this store's (under the lock)."""
        self._writes[0] += 1
        self._user_writes[self.user_id] = self._user_writes.get(self.user_id, 0) + 1
        self._own_writes += 1

    def write_marks(self) -> tuple[int, int, int]:
        """Changes when anything may have been written to the file: another connection
        committed (data_version), this one changed rows (total_changes) or ended a
        transaction (a rollback does not lower total_changes). Caches of what was read
        compare it."""
        with self._lock:
            try:
                version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None
            return version, self._db.total_changes, self._ended[0]

    def others_marks(self) -> tuple[int, int, int]:
        """Changes when a store other than this one may have written: another connection
        committed (data_version), another store on this connection (a `sharing_connection`
        view) wrote anyone's rows, or this user's. Caches of what this store wrote itself,
        kept up to date as it writes (the memory index), compare it."""
        with self._lock:
            try:
                version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None
            own = self._own_writes
            return version, self._writes[0] - own, self._user_writes.get(self.user_id, 0) - own

    def profile(self) -> dict[str, Any]:
        # Each caller gets values of its own to change.
        return {key: json.loads(value) for key, value in self._profile_rows_now()}

    def profile_values(self, *keys: str) -> dict[str, Any]:
        # Only the keys asked for are decoded.
        wanted = set(keys)
        return {key: json.loads(value) for key, value in self._profile_rows_now() if key in wanted}

    def _profile_rows_now(self) -> list[tuple[str, str]]:
        """The profile's (key, JSON) rows. A turn reads the profile about ten times
        (persona, time zone, inner life, self summary, journal): its rows are read again only
        when a store of this user on this connection has written since (the server's users
        share one connection: another user's writes do not count) or another connection has
        committed (data_version)."""
        with self._lock:
            try:
                if self._db.in_transaction:
                    # A transaction of this thread's is open (this store's, or another user's
                    # on the connection): what is read now may yet be rolled back. Keep none.
                    self._profile_rows = None
                    return self._read_profile_rows()
                steady = getattr(self._steady, "depth", 0) > 0
                if steady and self._steady.version is not None:
                    # Checked for other connections' commits at the stretch's first read: now
                    # only this user's own writes count. On a server every other process's
                    # commit moves data_version, and a turn reads the profile ten times.
                    version = self._steady.version
                else:
                    version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
                    if steady:
                        self._steady.version = version
                seen = (version, self._user_writes.get(self.user_id, 0))
                if self._profile_rows is None or self._profile_rows[0] != seen:
                    self._profile_rows = (seen, self._read_profile_rows())
                return self._profile_rows[1]
            except sqlite3.Error as exc:
                raise _storage_error(exc, self.path) from None

    def _read_profile_rows(self) -> list[tuple[str, str]]:
        rows = self._db.execute(
            "SELECT key, value FROM profile WHERE user_id = ?", (self.user_id,)
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    @contextmanager
    def steady(self) -> Iterator[None]:
        depth = getattr(self._steady, "depth", 0)
        if not depth:
            self._steady.version = None  # the stretch's first read looks at data_version
        self._steady.depth = depth + 1
        try:
            yield
        finally:
            self._steady.depth = depth

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

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        # Other stores of this file in this process wait on a lock per user; other processes
        # (`os1 memory search` beside `os1 serve`) on a byte of a file beside the database,
        # one byte per user. Not a transaction: SQLite's would take every user's writes.
        with _user_lock(self.path, self.user_id), _process_lock(self.path, self.user_id):
            yield

    def sharing_connection(self, user_id: str) -> SQLiteStore:
        """Another user's store on this same connection: for a process that serves many users
        of one file (the server's hub, the reminder scheduler), where a connection per user
        costs an open (~0.3 ms of set-up) each time one is evicted, descriptors and a page
        cache each, and every commit on one connection empties the others' caches. It shares
        this store's lock, so its work never runs alongside this one's (writers of a file
        queue on one lock anyway); closing it leaves the connection open, which closes with
        this store."""
        view = object.__new__(SQLiteStore)
        view.path, view.user_id = self.path, user_id
        view._lock, view._db, view._writer = self._lock, self._db, self._writer
        view._ended, view._writes, view._user_writes = self._ended, self._writes, self._user_writes
        view._own_writes = 0
        view._profile_rows = None
        view._steady = threading.local()
        view._owns_connection = False
        return view

    def close(self) -> None:
        with self._lock:
            if self._owns_connection:
                self._db.close()
            else:
                # The connection stays with its owner; this store is done with it.
                self._db = _CLOSED


class _ClosedConnection:
    """A closed view's connection: any use fails as that of a closed connection does."""

    def __getattr__(self, name: str) -> Any:
        raise sqlite3.ProgrammingError("Cannot operate on a closed database.")


_CLOSED: Any = _ClosedConnection()

_writers: dict[str, threading.RLock] = {}
_writers_guard = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    key = str(path.resolve())
    with _writers_guard:
        lock = _writers.get(key)
        if lock is None:
            lock = _writers[key] = threading.RLock()
        return lock


_user_locks: dict[tuple[str, str], threading.Lock] = {}
# Lock files open while any stretch holds a byte of them, with how many do: closing a file's
# descriptor drops every POSIX lock the process holds on it, other users' included.
_lock_files: dict[str, list[int]] = {}
_locks_guard = threading.Lock()
log = logging.getLogger(__name__)


def _user_lock(path: Path, user_id: str) -> threading.Lock:
    key = (str(path.resolve()), user_id)
    with _locks_guard:
        lock = _user_locks.get(key)
        if lock is None:
            lock = _user_locks[key] = threading.Lock()
        return lock


@contextmanager
def _process_lock(path: Path, user_id: str) -> Iterator[None]:
    """A POSIX lock on one byte of `<database>.exclusive` for `user_id` (a hash of it:
    two users may share a byte and wait for each other, never overlap)."""
    name = str(path.resolve()) + ".exclusive"
    with _locks_guard:
        held = _lock_files.get(name)
        if held is None:
            try:
                held = _lock_files[name] = [os.open(name, os.O_RDWR | os.O_CREAT, 0o600), 0]
            except OSError as exc:  # a read-only home: this process's lock alone
                log.debug("no lock file beside %s: %s", path, exc)
        if held is not None:
            held[1] += 1
    if held is None:
        yield
        return
    offset = zlib.crc32(user_id.encode())
    try:
        fcntl.lockf(held[0], fcntl.LOCK_EX, 1, offset)
        try:
            yield
        finally:
            fcntl.lockf(held[0], fcntl.LOCK_UN, 1, offset)
    finally:
        with _locks_guard:
            held[1] -= 1
            if not held[1]:
                del _lock_files[name]
                os.close(held[0])


def open_store(home: Path, user_id: str = "local") -> SQLiteStore:
    return SQLiteStore(home / DB_FILE, user_id)
