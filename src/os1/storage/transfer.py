"""Copy an OS1 home's SQLite store into PostgreSQL (`os1 migrate --to postgresql://…`).

Every table the home keeps is copied: the core's (conversations, messages, profile, tool
calls, memories with their sources and embeddings) and those of every component that migrated
tables into it (each skill plug-in, the server's accounts), found from the components'
records in `schema_components` and the registry of installed components, then from the
catalogs, not from a list here. The target gets each component's PostgreSQL migrations to the
same version first; then all rows of all users are copied in one transaction, read back and
compared with the source table by table, by row count and a SHA-256 over the rows in key
order: any difference rolls the whole copy back. Run it again and it finds the same data and
does nothing; a target that holds other data is refused, never merged into.

Derived indexes are not copied: SQLite's FTS5 and sqlite-vec tables have no counterpart, and
PostgreSQL's vector tables (`memory_vec_*`) are filled from `memory_embeddings` on each
user's first search.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlean as sqlite3

from os1.errors import NotFound, StorageError
from os1.storage.base import Migrations, scripts_for
from os1.storage.postgres import (
    FOREIGN_KEYS_SQL,
    MIGRATION_LOCK,
    in_key_order,
    migrate_component_on,
    migrate_core,
    redact,
    storage_error,
)
from os1.storage.sqlite import DB_FILE, SQLiteStore

# Bookkeeping each side keeps for itself: versions differ between the two histories.
_NOT_COPIED = frozenset({"schema_version", "schema_components"})


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str


@dataclass(frozen=True, slots=True)
class CopyReport:
    tables: list[TableCopy]
    already_there: bool  # the target held exactly this data: nothing was written


@dataclass(frozen=True, slots=True)
class _Table:
    """A table to copy: its columns (PostgreSQL's order) and key order on each side."""

    name: str
    columns: list[str]
    pg_order: str
    sqlite_order: str


def installed_components() -> dict[str, Migrations]:
    """Every installed component with tables of its own, by the name it migrates under: each
    skill plug-in (`skill:<name>`, as `Skills.prepare` names it) and the server's accounts."""
    from os1.server import users
    from os1.skills import available_toolkits

    found: dict[str, Migrations] = {
        f"skill:{kit.name}": kit.migrations for kit in available_toolkits() if kit.migrations
    }
    found[users.COMPONENT] = users.MIGRATIONS
    return found


def _canonical(value: Any) -> Any:
    # The same row reads back with the same Python values from both databases, except that
    # SQLite may hand back 1 where PostgreSQL says 1.0 (REAL affinity), and bytes need text.
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"hex": bytes(value).hex()}
    return value


class _Digest:
    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, row: Iterable[Any]) -> None:
        self.rows += 1
        line = json.dumps([_canonical(v) for v in row], ensure_ascii=False, default=str)
        self._hash.update(line.encode() + b"\n")

    def result(self, table: str) -> TableCopy:
        return TableCopy(table, self.rows, self._hash.hexdigest())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- the source ---------------------------------------------------------------------------


def _source_components(db_path: Path) -> dict[str, Migrations]:
    """The components that migrated tables into the home, each brought up to date there (as
    using OS1 would), with their migrations. A component that is not installed any more is
    refused: its tables would be left behind without a schema to copy them into."""
    store = SQLiteStore(db_path)  # brings an older home's core schema up to date first
    try:
        names = [str(r[0]) for r in store.query("SELECT name FROM schema_components")]
        known = installed_components()
        missing = sorted(n for n in names if n not in known)
        if missing:
            raise StorageError(
                f"{db_path} holds tables of {', '.join(missing)}, which is not installed",
                hint="Install the plug-in that made them, then migrate again.",
            )
        for name in names:
            store.migrate_component(name, known[name])
        return {name: known[name] for name in names}
    finally:
        store.close()


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, list[str]]:
    """Ordinary tables with their columns: not internal, virtual (FTS5, sqlite-vec) or their
    shadow tables, which SQLite marks only when the module is loaded (here it is not)."""
    listed = [(str(r[1]), str(r[2])) for r in db.execute("PRAGMA main.table_list")]
    virtual = tuple(name + "_" for name, kind in listed if kind == "virtual")
    tables = [
        name
        for name, kind in listed
        if kind == "table" and not name.startswith(("sqlite_", *virtual))
    ]
    return {t: [str(c[1]) for c in db.execute(f"PRAGMA table_info({_quote(t)})")] for t in tables}


def _sqlite_rows(db: sqlite3.Connection, table: _Table) -> Iterator[tuple[Any, ...]]:
    cur = db.execute(
        f"SELECT {', '.join(map(_quote, table.columns))} FROM {_quote(table.name)} "
        f"ORDER BY {table.sqlite_order}"
    )
    while batch := cur.fetchmany(1000):
        yield from (tuple(r) for r in batch)


# -- the target ---------------------------------------------------------------------------


def _pg_tables(conn: psycopg.Connection[Any], source: dict[str, list[str]]) -> list[_Table]:
    """The tables both sides keep, parents before children (foreign keys are checked per
    statement), each with its columns and the order its rows are compared in."""
    names = sorted(
        str(r[0])
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        )
    )
    names = [t for t in names if t in source and t not in _NOT_COPIED]
    missing = sorted(set(source) - set(names) - _NOT_COPIED)
    if missing:
        raise StorageError(
            f"no PostgreSQL table to copy {', '.join(missing)} into",
            hint="A component made these tables without migrations OS1 knows; nothing copied.",
        )
    links = {(str(r[0]), str(r[1])) for r in conn.execute(FOREIGN_KEYS_SQL)}
    ordered = in_key_order(names, links, parents_first=True)
    return [_describe(conn, t, source[t]) for t in ordered]


def _describe(conn: psycopg.Connection[Any], table: str, sqlite_columns: list[str]) -> _Table:
    rows = conn.execute(
        "SELECT a.attname, t.typcategory = 'S', "
        "COALESCE(array_position(i.indkey::int2[], a.attnum), 0) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "AND a.attgenerated = '' ORDER BY a.attnum",
        (_quote(table),),
    ).fetchall()
    columns = [str(r[0]) for r in rows]
    if set(columns) != set(sqlite_columns):
        raise StorageError(
            f"{table} has other columns in PostgreSQL ({', '.join(sorted(columns))}) than in "
            f"SQLite ({', '.join(sorted(sqlite_columns))})",
            hint="Its component's migrations differ between the databases; nothing copied.",
        )
    text = {str(r[0]) for r in rows if r[1]}
    key = [str(r[0]) for r in sorted((r for r in rows if r[2]), key=lambda r: int(r[2]))]
    key = key or columns  # no primary key: every column, so equal orders mean equal rows
    # Text bytewise on both sides (`COLLATE "C"`, SQLite's BINARY), NULLs first as in SQLite.
    pg_order = ", ".join(
        _quote(c) + (' COLLATE "C"' if c in text else "") + " NULLS FIRST" for c in key
    )
    sqlite_order = ", ".join(_quote(c) + " COLLATE BINARY" for c in key)
    return _Table(table, columns, pg_order, sqlite_order)


def _pg_digest(conn: psycopg.Connection[Any], table: _Table) -> TableCopy:
    digest = _Digest()
    # A server-side cursor: a large table streams instead of filling memory.
    with conn.cursor(name=f"read_{table.name}") as cur:
        cur.execute(
            f"SELECT {', '.join(map(_quote, table.columns))} FROM {_quote(table.name)} "
            f"ORDER BY {table.pg_order}"
        )
        for row in cur:
            digest.add(row)
    return digest.result(table.name)


def copy_home(home: Path, url: str) -> CopyReport:
    """Copy the SQLite store of the OS1 home into the PostgreSQL database at `url`, verified."""
    db_path = home / DB_FILE
    if not db_path.exists():
        raise NotFound(f"no OS1 store at {db_path}", hint="Point --home at the OS1 home to copy.")
    try:
        components = _source_components(db_path)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {db_path}: {exc}") from None
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    try:
        # One read transaction: every table is read from the same moment of the file.
        source.execute("BEGIN")
        columns = _sqlite_tables(source)
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            migrate_core(conn)
            for name, migrations in components.items():
                try:
                    scripts = scripts_for(migrations, "postgresql")
                except KeyError:
                    raise StorageError(
                        f"{name} has no PostgreSQL migrations",
                        hint="Its tables cannot be copied; nothing was.",
                    ) from None
                migrate_component_on(conn, name, scripts)
            with conn.transaction():
                # Two copies started at once would each find the target empty.
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                # Every user's rows, deliberately: the one system path through row-level
                # security, for this transaction only.
                conn.execute("SELECT set_config('os1.system', 'on', true)")
                return _copy(source, conn, _pg_tables(conn, columns), url)
    except psycopg.Error as exc:
        raise storage_error(exc, url) from None
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {db_path}: {exc}") from None
    finally:
        source.close()


def _copy(
    source: sqlite3.Connection, conn: psycopg.Connection[Any], tables: list[_Table], url: str
) -> CopyReport:
    expected: list[TableCopy] = []
    for table in tables:
        digest = _Digest()
        for row in _sqlite_rows(source, table):
            digest.add(row)
        expected.append(digest.result(table.name))

    held = {
        t.name: int(conn.execute(f"SELECT COUNT(*) FROM {_quote(t.name)}").fetchone()[0])  # type: ignore[index]
        for t in tables
    }
    if any(held.values()):
        found = [_pg_digest(conn, t) for t in tables]
        if found == expected:
            return CopyReport(expected, already_there=True)
        busy = ", ".join(f"{t} ({n} rows)" for t, n in held.items() if n)
        raise StorageError(
            f"{redact(url)} already holds other data: {busy}",
            hint="Copy into an empty database; nothing was changed.",
        )

    # COPY FROM refuses tables whose row-level security binds the copying role; as their
    # owner it is released for this transaction and bound again before it commits (nobody
    # else writes meanwhile: ALTER TABLE holds them until then).
    forced = [
        str(r[0])
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relforcerowsecurity "
            "AND c.relname = ANY(%s)",
            ([t.name for t in tables],),
        )
    ]
    for name in forced:
        conn.execute(f"ALTER TABLE {_quote(name)} NO FORCE ROW LEVEL SECURITY")
    for table in tables:
        # COPY checks each row's foreign keys at the end of the statement, so a memory may
        # name one superseding it that comes later in the table.
        names = ", ".join(map(_quote, table.columns))
        with conn.cursor().copy(f"COPY {_quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in _sqlite_rows(source, table):
                copy.write_row(row)
    for name in forced:
        conn.execute(f"ALTER TABLE {_quote(name)} FORCE ROW LEVEL SECURITY")
    # Serial ids continue after the copied ones instead of colliding with them.
    serials = conn.execute(
        "SELECT c.relname, a.attname, pg_get_serial_sequence(quote_ident(c.relname), a.attname) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE n.nspname = current_schema() AND c.relname = ANY(%s)",
        ([t.name for t in tables],),
    ).fetchall()
    for table_name, column, sequence in serials:
        if sequence is not None:
            conn.execute(
                f"SELECT setval(%s, COALESCE(MAX({_quote(column)}), 1), "
                f"MAX({_quote(column)}) IS NOT NULL) FROM {_quote(table_name)}",
                (sequence,),
            )
    copied = [_pg_digest(conn, t) for t in tables]
    for want, got in zip(expected, copied, strict=True):
        if want != got:
            raise StorageError(
                f"{want.table} did not copy faithfully ({want.rows} rows in, {got.rows} "
                f"read back, checksums {want.checksum[:12]} and {got.checksum[:12]})",
                hint="Nothing was kept in PostgreSQL; please report this.",
            )
    return CopyReport(copied, already_there=False)
