"""Durable storage behind one small interface: SQLite for one person, PostgreSQL for many."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, overload

from os1.storage.base import (
    Conversation,
    MessageStatus,
    Store,
    StoredMessage,
    ToolCallRecord,
)
from os1.storage.sqlite import DB_FILE, SQLiteStore

if TYPE_CHECKING:
    from os1.config import Settings


def is_postgres_url(url: str | None) -> bool:
    return url is not None and url.startswith(("postgresql://", "postgres://"))


def database_url_of(settings: Settings) -> str | None:
    """The `database_url` setting (OS1_DATABASE_URL) as a plain string, None for SQLite."""
    return settings.database_url.get_secret_value() if settings.database_url else None


@overload
def open_store(home: Path, user_id: str = ..., database_url: None = None) -> SQLiteStore: ...
@overload
def open_store(home: Path, user_id: str = ..., database_url: str | None = None) -> Store: ...
def open_store(home: Path, user_id: str = "local", database_url: str | None = None) -> Store:
    """The user's store: in PostgreSQL when `database_url` is a postgresql:// URL (the
    `database_url` setting), otherwise in the SQLite file of the OS1 home."""
    if is_postgres_url(database_url):
        # Imported only here: psycopg is not loaded by people who never use PostgreSQL.
        from os1.storage.postgres import PostgresStore

        assert database_url is not None
        return PostgresStore(database_url, user_id)
    return SQLiteStore(home / DB_FILE, user_id)


__all__ = [
    "Conversation",
    "MessageStatus",
    "SQLiteStore",
    "Store",
    "StoredMessage",
    "ToolCallRecord",
    "database_url_of",
    "is_postgres_url",
    "open_store",
]
