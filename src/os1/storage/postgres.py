"""The PostgreSQL store: many users' stores over one connection pool per database URL.

Each store is a user id and a shared `psycopg_pool.ConnectionPool`; it holds no connection of
its own, so thousands of users cost nothing until they read or write. The core schema is
migrated once per process and URL, under an advisory lock, so workers starting together
migrate once. Portable SQL from the query layer (`?` placeholders) is translated here.

Row-level security is the second lock behind every query's `WHERE user_id = ?`: each of a
store's transactions names its user (`os1.user_id`, transaction-local), so a query that
forgets its filter still sees only that user's rows, and a pooled connection carries nothing
into the next user's work. Stores of system ids (`base.is_system_user`) and `os1 migrate` set
`os1.system` instead, the only way to read across users (`pg_migrations.SECURE_USER_TABLES`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, NoReturn

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "the PostgreSQL store needs psycopg 3 and psycopg-pool: "
        "pip install 'psycopg[binary]>=3.2' psycopg-pool"
    ) from exc

from os1.errors import NotFound, StorageError, StorageFull
from os1.storage.base import (
    Dialect,
    DialogueLine,
    Migrations,
    Row,
    is_system_user,
    scripts_for,
)
from os1.storage.pg_memory import PostgresMemoryIndex
from os1.storage.pg_migrations import MIGRATIONS, SECURE_USER_TABLES
from os1.storage.sql import SQLStore

# The advisory lock migrations take (any bigint every OS1 process agrees on).
MIGRATION_LOCK = int.from_bytes(b"os1:migr", "big")
# Taken by every migrating transaction. A migration is a system task: under row-level
# security a step that backfills or seeds rows would otherwise see none and write none.
MIGRATING_SQL = "SELECT pg_advisory_xact_lock(%s), set_config('os1.system', 'on', true)"
POOL_MAX_SIZE = 16
# Names the user of a transaction (and with it the rows it may see) for row-level security.
SCOPE_SQL = "set_config('os1.user_id', %s, true), set_config('os1.system', %s, true)"

log = logging.getLogger(__name__)


def scope_args(user_id: str) -> tuple[str, str]:
    """SCOPE_SQL's parameters for a store of `user_id`: a system id sees every row."""
    if is_system_user(user_id):
        return (user_id, "on")
    return (user_id, "off")


def redact(url: str) -> str:
    """The URL without its password, for messages and logs: the one before the host (up to
    the last "@", as a password may hold "/" or ":") and a `password=` parameter."""
    url = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:****@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1****", url, flags=re.IGNORECASE)


# -- rows and SQL -------------------------------------------------------------------------


class PgRow:
    """A result row addressable by position and by column name, like `sqlite3.Row`."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str, /) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._index[key]]
            except KeyError:
                raise IndexError(f"no column {key!r}") from None
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PgRow):
            return self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def _pg_row(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], PgRow]:
    names = [d.name for d in cursor.description or ()]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)  # the first column of a repeated name wins, as in SQLite
    return lambda values: PgRow(values, index)


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """Portable SQL to psycopg's: `?` outside quotes and comments becomes `%s`, and every
    literal `%` is doubled (psycopg reads `%` everywhere in a query that has parameters)."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' or "" escapes the quote
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class PgCursor:
    """A statement's result as the query layer promises it: `rowcount`, `fetchone`,
    `fetchall`, and no error for fetching from a statement that returns no rows."""

    def __init__(self, cursor: psycopg.Cursor[PgRow], rowcount: int | None = None) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount if rowcount is None else rowcount

    def fetchone(self) -> PgRow | None:
        return self._cursor.fetchone() if self._cursor.description is not None else None

    def fetchall(self) -> list[Row]:
        return list(self._cursor.fetchall()) if self._cursor.description is not None else []


class PgTransaction:
    """What `PostgresStore.transaction()` yields: portable statements on one connection."""

    def __init__(self, conn: psycopg.Connection[PgRow]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> PgCursor:
        return PgCursor(self._conn.execute(translate(sql), tuple(params)))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> PgCursor:
        cur = self._conn.cursor()
        total = 0
        # psycopg's executemany pipelines the statements; rowcount is counted per row here
        # so it means the same as SQLite's (rows changed in all).
        for params in rows:
            cur.execute(translate(sql), tuple(params))
            total += max(cur.rowcount, 0)
        return PgCursor(cur, total)


# -- errors -------------------------------------------------------------------------------


def storage_error(exc: Exception, url: str) -> StorageError:
    where = redact(url)
    if isinstance(exc, pg_errors.DiskFull):
        return StorageFull(f"cannot write to {where}: the disk is full")
    if isinstance(exc, PoolTimeout):
        return StorageError(
            f"{where} is busy: no connection free in time",
            hint="Too many requests at once; try again, or raise max_connections.",
        )
    if isinstance(exc, psycopg.OperationalError):
        return StorageError(
            f"cannot reach PostgreSQL at {where}: {str(exc).strip()}",
            hint="Is the database server running, and is database_url right?",
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return StorageError(
            f"PostgreSQL at {where} refused: {str(exc).strip()}",
            hint="The role in database_url needs rights on OS1's tables.",
        )
    return StorageError(f"storage failed at {where}: {str(exc).strip()}")


# -- pools --------------------------------------------------------------------------------

_pools: dict[str, ConnectionPool[psycopg.Connection[PgRow]]] = {}
# Per database URL and set of setting names: those of them the server accepts (query_with).
_accepted_settings: dict[tuple[str, tuple[str, ...]], list[str]] = {}
_pools_guard = threading.Lock()


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Each pooled connection reads and writes pgvector's `vector` type where it exists."""
    try:
        from pgvector.psycopg import register_vector
    except ImportError:  # the Python adapter is optional; the store works without vectors
        return
    try:
        register_vector(conn)
    except psycopg.ProgrammingError:  # the extension is not created in this database
        pass


# Every foreign key of the schema as (child table, parent table).
FOREIGN_KEYS_SQL = (
    "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
    "WHERE contype = 'f' AND conrelid <> confrelid"
)


def in_key_order(
    tables: list[str], links: set[tuple[str, str]], *, parents_first: bool
) -> list[str]:
    """`tables` ordered by their foreign keys (`links`, as FOREIGN_KEYS_SQL gives them):
    parents first to fill them, children first to empty them. A cycle is left as it is, for
    the database to say what is wrong."""
    ordered: list[str] = []
    left = list(tables)
    while left:
        if parents_first:  # a table goes once every table it references has gone
            ready = [t for t in left if not any((t, p) in links for p in left if p != t)]
        else:  # a table goes once no table still left references it
            ready = [t for t in left if not any((c, t) in links for c in left if c != t)]
        ready = ready or left[:1]
        ordered += ready
        left = [t for t in left if t not in ready]
    return ordered


def migrate_core(conn: psycopg.Connection[Any]) -> int:
    """Bring the core schema up to date in one transaction under the migration lock; the
    version it ends at. Workers starting at once wait for the first, then find nothing to do."""
    with conn.transaction():
        conn.execute(MIGRATING_SQL, (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
        )
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            # A newer OS1 migrated this database: this one would not name its users the way
            # the newer schema's row-level security expects, and would see no rows at all.
            raise StorageError(
                f"the database's schema is version {version}, newer than this OS1 knows "
                f"({len(MIGRATIONS)})",
                hint="Run the same OS1 version on every machine: stop every worker, upgrade "
                "all of them, then start them.",
            )
        for number, script in enumerate(MIGRATIONS, start=1):
            if number > version:
                conn.execute(script.encode())  # no parameters: several statements at once
        if len(MIGRATIONS) > version:
            conn.execute(
                "INSERT INTO schema_version (id, version) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                (len(MIGRATIONS),),
            )
        # Every start, not only after a new step: a database migrated before row-level
        # security existed, skill tables included, is secured by the first worker to start.
        conn.execute(SECURE_USER_TABLES.encode())
        return max(version, len(MIGRATIONS))


def migrate_component_on(conn: psycopg.Connection[Any], name: str, scripts: list[str]) -> int:
    """A component's steps past its recorded version, in one transaction under the migration
    lock, its new tables put under row-level security; the version it ends at."""
    with conn.transaction():
        conn.execute(MIGRATING_SQL, (MIGRATION_LOCK,))
        row = conn.execute(
            "SELECT version FROM schema_components WHERE name = %s", (name,)
        ).fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(scripts, start=1):
            if number > version:
                conn.execute(script.encode())
        if len(scripts) > version:
            conn.execute(
                "INSERT INTO schema_components (name, version) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                (name, len(scripts)),
            )
            conn.execute(SECURE_USER_TABLES.encode())
        return max(version, len(scripts))


def bypasses_row_security(conn: psycopg.Connection[Any]) -> bool:
    """Whether the connected role passes row-level security whatever it says (a superuser
    or a BYPASSRLS role): the second lock is then open, and only the queries' filters hold."""
    row = conn.execute(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    return bool(row and row[0])


def pool_for(url: str) -> ConnectionPool[psycopg.Connection[PgRow]]:
    """The process's pool for a database, its schema migrated before the first connection
    is lent (so every pooled connection already sees the `vector` type)."""
    with _pools_guard:
        pool = _pools.get(url)
        if pool is not None:
            return pool
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                migrate_core(conn)
                if bypasses_row_security(conn):
                    log.warning(
                        "the role of %s is a superuser or has BYPASSRLS: row-level security "
                        "does not bind it; connect OS1 as an ordinary role",
                        redact(url),
                    )
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_MAX_SIZE,
                kwargs={"autocommit": True, "row_factory": _pg_row},
                configure=_configure,
                timeout=30,
                name="os1",
                open=False,
            )
            pool.open(wait=True, timeout=30)
        except (psycopg.Error, PoolTimeout) as exc:
            raise storage_error(exc, url) from None
        _pools[url] = pool
        return pool


_local = threading.local()


def _in_transaction() -> dict[tuple[str, str], psycopg.Connection[PgRow]]:
    """The connections of the transactions open on this thread, by database URL and user."""
    held: dict[tuple[str, str], psycopg.Connection[PgRow]] | None = getattr(_local, "held", None)
    if held is None:
        held = _local.held = {}
    return held


def close_pools() -> None:
    """Close every pool this process opened (at shutdown, and between tests)."""
    with _pools_guard:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


# -- the store ----------------------------------------------------------------------------


class PostgresStore(SQLStore):
    """One user's view of a shared PostgreSQL database; every statement names the user."""

    dialect: Dialect = "postgresql"
    _PROFILE_CONVERSATION_ID = "CASE WHEN p.value ~ '^[0-9]+$' THEN p.value::bigint END"
    _LOCK_ROW = " FOR UPDATE"

    def __init__(self, url: str, user_id: str = "local") -> None:
        self.url = url
        self.user_id = user_id
        self._key = (url, user_id)
        self._scope = scope_args(user_id)
        self._pool = pool_for(url)
        # Transactions this store has ended, from any thread: a steady stretch's profile
        # rows are read again after each (see `steady`).
        self._ended = 0
        # This thread's open `steady` blocks (.depth) and the profile's rows as the stretch
        # read them (.rows: (transactions ended then, [(key, JSON)]), or None).
        self._steady = threading.local()

    def _fail(self, exc: Exception) -> NoReturn:
        raise storage_error(exc, self.url) from None

    # -- plumbing -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[PgTransaction]:
        # SQLite lets one writer in at a time; here writers of the same user queue on an
        # advisory lock instead, so a component's read-then-write inside a transaction
        # keeps meaning what it meant on SQLite, while different users write in parallel.
        held = _in_transaction()
        conn = held.get(self._key)
        try:
            if conn is not None:
                # Inside this user's transaction on this thread: a savepoint on its connection,
                # not a second connection that would wait for the lock the first one holds.
                with conn.transaction():
                    yield PgTransaction(conn)
                return
            with self._pool.connection() as conn, conn.transaction():
                conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0)), " + SCOPE_SQL,
                    ("os1.user:" + self.user_id, *self._scope),
                )
                held[self._key] = conn
                try:
                    yield PgTransaction(conn)
                finally:
                    del held[self._key]
                    self._ended += 1  # committed or not, what a stretch read may be stale
        except (psycopg.Error, PoolTimeout) as exc:
            self._fail(exc)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            # A read inside this user's open transaction sees its uncommitted writes, as on
            # SQLite's single connection.
            held = _in_transaction().get(self._key)
            if held is not None:
                cur = held.execute(translate(sql), tuple(params))
                return list(cur.fetchall()) if cur.description is not None else []
            # The user is named for this read's transaction only, in one round trip: what a
            # pipeline sends before its sync runs as one implicit transaction, so the name
            # is gone again when the read ends. (BEGIN, name, read, COMMIT, a trip each,
            # pipelined or not, cost about twice the CPU on both sides.)
            with self._pool.connection() as conn:
                with conn.pipeline():
                    conn.execute("SELECT " + SCOPE_SQL, self._scope)
                    cur = conn.execute(translate(sql), tuple(params))
                return list(cur.fetchall()) if cur.description is not None else []
        except (psycopg.Error, PoolTimeout) as exc:
            self._fail(exc)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        # One transaction: it takes the user's advisory lock until it ends, and the store's
        # calls on this thread inside it run in it (reads on its connection, transactions
        # as savepoints). What it wrote is undone together if it fails.
        with self.transaction():
            yield

    # -- the profile in a steady stretch ------------------------------------------------

    @contextmanager
    def steady(self) -> Iterator[None]:
        # A turn's trip to a worker thread reads the profile about ten times (persona, time
        # zone, inner life, self, journal), each a round trip here: within a stretch the
        # whole profile is read once and kept until this store ends a transaction (its own
        # writes always show); other processes' writes show from the next stretch.
        depth = getattr(self._steady, "depth", 0)
        if not depth:
            self._steady.rows = None
        self._steady.depth = depth + 1
        try:
            yield
        finally:
            self._steady.depth = depth
            if not depth:
                self._steady.rows = None

    def profile(self) -> dict[str, Any]:
        rows = self._steady_rows()
        if rows is None:
            return super().profile()
        return {key: json.loads(value) for key, value in rows}

    def profile_values(self, *keys: str) -> dict[str, Any]:
        rows = self._steady_rows()
        if rows is None:
            return super().profile_values(*keys)
        wanted = set(keys)
        return {key: json.loads(value) for key, value in rows if key in wanted}

    def _steady_rows(self) -> list[tuple[str, str]] | None:
        """The profile's (key, JSON) rows as this thread's steady stretch read them; None
        outside a stretch, and inside this user's open transaction (whose reads must see
        its own uncommitted writes)."""
        if not getattr(self._steady, "depth", 0) or self._key in _in_transaction():
            return None
        kept = self._steady.rows
        if kept is None or kept[0] != self._ended:
            ended = self._ended
            rows = self.query("SELECT key, value FROM profile WHERE user_id = ?", (self.user_id,))
            kept = self._steady.rows = (ended, [(r[0], r[1]) for r in rows])
        return kept[1]

    @property
    def schema_version(self) -> int:
        return int(self.query("SELECT version FROM schema_version")[0][0])

    @property
    def has_vector(self) -> bool:
        """Whether pgvector's `vector` type exists in this database."""
        return bool(self.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'"))

    def migrate_component(self, name: str, migrations: Migrations) -> None:
        """A component's migrations, numbered from 1 and tracked in `schema_components`; the
        check and the steps run under the migration lock, so two processes apply each once."""
        try:
            scripts = scripts_for(migrations, self.dialect)
        except KeyError:
            raise StorageError(
                f"{name} has no PostgreSQL migrations",
                hint="Give its migrations a 'postgresql' list, or use SQLite.",
            ) from None
        if not scripts:
            return
        try:
            with self._pool.connection() as conn:
                migrate_component_on(conn, name, scripts)
        except (psycopg.Error, PoolTimeout) as exc:
            self._fail(exc)

    def query_with(
        self, settings: dict[str, str], sql: str, params: Sequence[Any] = ()
    ) -> list[Row]:
        """One read with server settings for its transaction only (`SET LOCAL`), such as
        pgvector's search width. Settings the server refuses (an older pgvector without one
        of them) are skipped, not an error; what it accepts is remembered per process, so
        later reads set them in one statement."""
        names = tuple(settings)
        try:
            with self._pool.connection() as conn:
                accepted = _accepted_settings.get((self.url, names))
                if accepted is None:
                    with conn.transaction():
                        accepted = self._accepted(conn, settings)
                        cur = conn.execute(translate(sql), tuple(params))
                        return list(cur.fetchall()) if cur.description is not None else []
                # The user and the settings in one statement, pipelined with the read as
                # one implicit transaction (see `query`): one round trip.
                with conn.pipeline():
                    conn.execute(
                        "SELECT "
                        + ", ".join([SCOPE_SQL, *("set_config(%s, %s, true)" for _ in accepted)]),
                        [*self._scope, *(v for name in accepted for v in (name, settings[name]))],
                    )
                    cur = conn.execute(translate(sql), tuple(params))
                return list(cur.fetchall()) if cur.description is not None else []
        except (psycopg.Error, PoolTimeout) as exc:
            self._fail(exc)

    def _accepted(self, conn: psycopg.Connection[PgRow], settings: dict[str, str]) -> list[str]:
        """Names the user and tries each setting in `conn`'s open transaction; remembers
        and returns those the server took."""
        conn.execute("SELECT " + SCOPE_SQL, self._scope)
        accepted = []
        for name in settings:
            try:
                with conn.transaction():  # a savepoint: a refusal is undone
                    conn.execute("SELECT set_config(%s, %s, true)", (name, settings[name]))
                accepted.append(name)
            except (pg_errors.UndefinedObject, pg_errors.InvalidParameterValue):
                pass
        _accepted_settings[(self.url, tuple(settings))] = accepted
        return accepted

    def create_vector_table(self, dim: int) -> None:
        """pgvector's table of `dim`-dimensional search vectors with its HNSW (cosine) index,
        made once under the migration lock so that two processes do not race to create it."""
        table = f"memory_vec_{int(dim)}"
        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute(MIGRATING_SQL, (MIGRATION_LOCK,))
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} ("
                    "memory_id BIGINT PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE, "
                    f"user_id TEXT NOT NULL, embedding vector({int(dim)}) NOT NULL)"
                )
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {table}_hnsw ON {table} "
                    "USING hnsw (embedding vector_cosine_ops)"
                )
                conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_by_user ON {table}(user_id)")
                conn.execute(SECURE_USER_TABLES.encode())
        except (psycopg.Error, PoolTimeout) as exc:
            self._fail(exc)

    def memory_index(self, *, in_memory: bool = True) -> PostgresMemoryIndex:
        # `in_memory` means nothing here: candidates always come from the HNSW index.
        return PostgresMemoryIndex(self)

    def table_exists(self, name: str) -> bool:
        return bool(self.query("SELECT to_regclass(?) IS NOT NULL", (name,))[0][0])

    def vacuum(self) -> None:
        """PostgreSQL's autovacuum reclaims deleted rows' space; nothing to do per user."""

    def scrub(self) -> None:
        """Nothing beyond what PostgreSQL does by itself. VACUUM cannot run inside a
        transaction block (and would cover every user's rows); deleted tuples stay in the
        table's pages and the WAL until autovacuum reuses them and the WAL is recycled. An
        operator who must guarantee erasure runs VACUUM (FULL) and rotates the WAL archive."""

    def purge_user(self) -> dict[str, int]:
        # Tables with a user_id column in this schema, children before parents, so that no
        # foreign key is checked against a row already gone (they are not deferrable).
        tables = [
            str(r[0])
            for r in self.query(
                "SELECT c.table_name FROM information_schema.columns c "
                "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
                "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
                "WHERE c.table_schema = current_schema() AND c.column_name = 'user_id' "
                "AND c.table_name NOT LIKE 'server\\_%' ORDER BY c.table_name"
            )
        ]
        links = {(str(r[0]), str(r[1])) for r in self.query(FOREIGN_KEYS_SQL)}
        ordered = in_key_order(tables, links, parents_first=False)
        removed: dict[str, int] = {}
        with self.transaction() as db:
            for table in ordered:
                cur = db.execute(f'DELETE FROM "{table}" WHERE user_id = ?', (self.user_id,))
                if cur.rowcount:
                    removed[table] = cur.rowcount
        return removed

    def close(self) -> None:
        """Nothing to close: the pool is the process's, shared by every user's store."""

    def dialogue(self, conversation_id: int, last: int) -> list[DialogueLine]:
        # Runs on every turn: one round trip, the ownership check folded into it.
        rows = self.query(
            "SELECT m.id, m.role, m.content, m.meta FROM conversations c "
            "LEFT JOIN LATERAL (SELECT id, role, content, meta FROM messages "
            "WHERE conversation_id = c.id AND user_id = c.user_id "
            "AND role IN ('user', 'assistant') AND content != '' "
            "ORDER BY id DESC LIMIT ?) m ON TRUE "
            "WHERE c.id = ? AND c.user_id = ? ORDER BY m.id DESC",
            (last, conversation_id, self.user_id),
        )
        if not rows:
            raise NotFound(f"no conversation {conversation_id}")
        return [
            DialogueLine(
                int(r[0]),
                r[1],
                r[2],
                r[3] != "{}" and bool(json.loads(r[3]).get("untrusted")),
            )
            for r in reversed(rows)
            if r[0] is not None
        ]


# -- across worker processes: notifications and one leader --------------------------------


def _dedicated(url: str, name: str) -> psycopg.Connection[Any]:
    """A connection of its own (never pooled): LISTEN and session locks belong to it. TCP
    keepalives make a dead peer (a machine gone, not just a process) noticed in seconds."""
    return psycopg.connect(
        url,
        autocommit=True,
        connect_timeout=10,
        application_name=name,
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )


def notify(url: str, channel: str, payload: str) -> None:
    """Send `payload` to every session listening on `channel`: every worker, this one too."""
    try:
        with pool_for(url).connection() as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))
    except (psycopg.Error, PoolTimeout) as exc:
        raise storage_error(exc, url) from None


class Listener:
    """LISTEN on one channel over a dedicated connection; `receive` waits for payloads."""

    def __init__(self, url: str, channel: str) -> None:
        from psycopg import sql

        self.url = url
        try:
            self._conn = _dedicated(url, f"os1-listen-{os.getpid()}")
            self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except psycopg.Error as exc:
            raise storage_error(exc, url) from None

    def receive(self, timeout: float) -> Iterator[str]:
        """Each payload as it arrives, for `timeout` seconds (maybe none)."""
        try:
            for notification in self._conn.notifies(timeout=timeout):
                yield notification.payload
        except psycopg.Error as exc:
            raise storage_error(exc, self.url) from None

    def close(self) -> None:
        self._conn.close()


class AdvisoryLock:
    """A session-level advisory lock on a dedicated connection: held exactly as long as that
    connection lives, so a holder that dies, even killed outright, lets go at once (its
    backend sees the socket close). Its application_name carries the holder's process id."""

    def __init__(self, url: str, key: int, name: str = "os1-leader") -> None:
        self.url = url
        self.key = key
        self.name = name
        self._conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        """True while this process holds the lock: taken now if free, else kept if held."""
        try:
            if self._conn is not None:
                # Held already (pg_try_advisory_lock again would only count up): check that
                # the session, and with it the lock, is still alive.
                self._conn.execute("SELECT 1")
                return True
            conn = _dedicated(self.url, f"{self.name}-{os.getpid()}")
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if row is None or not row[0]:
                conn.close()
                return False
            self._conn = conn
            return True
        except psycopg.Error:
            # The connection broke: whatever it held is gone with it; try again next time.
            self.release()
            return False

    @property
    def held(self) -> bool:
        return self._conn is not None

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()
