"""Durable storage behind one small interface (SQLite now; PostgreSQL for many users later)."""

from os1.storage.base import Conversation, MessageStatus, Store, StoredMessage
from os1.storage.sqlite import SQLiteStore, open_store

__all__ = ["Conversation", "MessageStatus", "SQLiteStore", "Store", "StoredMessage", "open_store"]
