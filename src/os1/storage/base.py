"""The storage interface: everything OS1 keeps, scoped to one user.

SQLite implements it for one person; a PostgreSQL store for many users implements the same
methods. Every method reads and writes only the data of the user the store was opened for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

MessageStatus = Literal["complete", "cancelled", "error", "interrupted"]
StoredRole = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    title: str | None
    created_at: str
    updated_at: str
    message_count: int = 0


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    conversation_id: int
    role: StoredRole
    content: str
    status: MessageStatus
    created_at: str
    meta: dict[str, Any] = field(default_factory=dict)


class Store(ABC):
    """Durable conversations and profile for one user. Every write is committed on return."""

    user_id: str

    @abstractmethod
    def create_conversation(self, title: str | None = None) -> Conversation: ...

    @abstractmethod
    def get_conversation(self, conversation_id: int) -> Conversation:
        """Raise NotFound unless the conversation exists and belongs to this user."""

    @abstractmethod
    def latest_conversation(self) -> Conversation | None: ...

    @abstractmethod
    def list_conversations(self, limit: int = 50) -> list[Conversation]: ...

    @abstractmethod
    def add_message(
        self,
        conversation_id: int,
        role: StoredRole,
        content: str,
        status: MessageStatus = "complete",
        meta: dict[str, Any] | None = None,
    ) -> StoredMessage: ...

    @abstractmethod
    def messages(self, conversation_id: int, last: int | None = None) -> list[StoredMessage]:
        """Messages oldest first; `last` keeps only the most recent ones."""

    @abstractmethod
    def profile(self) -> dict[str, Any]:
        """The user's profile and the companion's identity (name, persona, answers)."""

    @abstractmethod
    def set_profile(self, key: str, value: Any) -> None: ...

    @abstractmethod
    def delete_profile(self, key: str) -> None: ...

    @abstractmethod
    def close(self) -> None: ...
