"""Durable storage behind one small interface (SQLite now; PostgreSQL for many users later)."""

from os1.storage.base import (
    Conversation,
    MessageStatus,
    Store,
    StoredMessage,
    ToolCallRecord,
)
from os1.storage.sqlite import SQLiteStore, open_store

__all__ = [
    "Conversation",
    "MessageStatus",
    "SQLiteStore",
    "Store",
    "StoredMessage",
    "ToolCallRecord",
    "open_store",
]
