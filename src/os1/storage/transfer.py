"""Copy an OS1 home's SQLite store into PostgreSQL (`os1 migrate --to postgresql://…`).

Every user's core rows (conversations, messages, profile, tool calls, memories with their
sources and embeddings) are copied in one PostgreSQL transaction, then read back and compared
with the source table by table, by row count and a SHA-256 over the rows in key order: any
difference rolls the whole copy back. Run it again and it finds the same data and does
nothing; a target that holds other data is refused, never merged into.
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
from os1.storage.pg_migrations import CORE_TABLES, SERIAL_TABLES
from os1.storage.postgres import MIGRATION_LOCK, migrate_core, redact, storage_error
from os1.storage.sqlite import DB_FILE, SQLiteStore


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str


@dataclass(frozen=True, slots=True)
class CopyReport:
    tables: list[TableCopy]
    already_there: bool  # the target held exactly this data: nothing was written


def _canonical(value: Any) -> Any:
    # The same row reads back with the same Python values from both databases, except that
    # SQLite may hand back 1 where PostgreSQL says 1.0 (REAL affinity), and bytes need text.
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


def _sqlite_columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in db.execute(f"PRAGMA table_info({table})")]


def _sqlite_rows(db: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[tuple[Any]]:
    order = CORE_TABLES[table].replace(' COLLATE "C"', "")
    cur = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    while batch := cur.fetchmany(1000):
        yield from (tuple(r) for r in batch)


def _pg_digest(conn: psycopg.Connection[Any], table: str, columns: list[str]) -> TableCopy:
    digest = _Digest()
    # A server-side cursor: a large table streams instead of filling memory.
    with conn.cursor(name=f"read_{table}") as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {CORE_TABLES[table]}")
        for row in cur:
            digest.add(row)
    return digest.result(table)


def copy_home(home: Path, url: str) -> CopyReport:
    """Copy the SQLite store of the OS1 home into the PostgreSQL database at `url`, verified."""
    db_path = home / DB_FILE
    if not db_path.exists():
        raise NotFound(f"no OS1 store at {db_path}", hint="Point --home at the OS1 home to copy.")
    SQLiteStore(db_path).close()  # brings an older home's schema up to date first
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    try:
        # One read transaction: every table is read from the same moment of the file.
        source.execute("BEGIN")
        columns = {t: _sqlite_columns(source, t) for t in CORE_TABLES}
        with psycopg.connect(url, connect_timeout=10) as conn:
            migrate_core(conn)
            with conn.transaction():
                # Two copies started at once would each find the target empty.
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                return _copy(source, conn, columns, url)
    except psycopg.Error as exc:
        raise storage_error(exc, url) from None
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {db_path}: {exc}") from None
    finally:
        source.close()


def _copy(
    source: sqlite3.Connection,
    conn: psycopg.Connection[Any],
    columns: dict[str, list[str]],
    url: str,
) -> CopyReport:
    expected: list[TableCopy] = []
    for table, cols in columns.items():
        digest = _Digest()
        for row in _sqlite_rows(source, table, cols):
            digest.add(row)
        expected.append(digest.result(table))

    held = {
        t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])  # type: ignore[index]
        for t in CORE_TABLES
    }
    if any(held.values()):
        found = [_pg_digest(conn, t, columns[t]) for t in CORE_TABLES]
        if found == expected:
            return CopyReport(expected, already_there=True)
        busy = ", ".join(f"{t} ({n} rows)" for t, n in held.items() if n)
        raise StorageError(
            f"{redact(url)} already holds other data: {busy}",
            hint="Copy into an empty database; nothing was changed.",
        )

    for table, cols in columns.items():
        # COPY checks each row's foreign keys at the end of the statement, so a memory may
        # name one superseding it that comes later in the table.
        names = ", ".join(cols)
        with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in _sqlite_rows(source, table, cols):
                copy.write_row(row)
    for table in SERIAL_TABLES:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
        )
    copied = [_pg_digest(conn, t, columns[t]) for t in CORE_TABLES]
    for want, got in zip(expected, copied, strict=True):
        if want != got:
            raise StorageError(
                f"{want.table} did not copy faithfully ({want.rows} rows in, {got.rows} "
                f"read back, checksums {want.checksum[:12]} and {got.checksum[:12]})",
                hint="Nothing was kept in PostgreSQL; please report this.",
            )
    return CopyReport(copied, already_there=False)
