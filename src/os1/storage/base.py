"""The storage interface: everything OS1 keeps, scoped to one user.

SQLite implements it for one person; a PostgreSQL store for many users implements the same
methods. Every method reads and writes only the data of the user the store was opened for.

Components with tables of their own (skills, the server, memory) use the small query layer at
the bottom of `Store`: `query`, `transaction` and `migrate_component`. SQL written for it is
the portable subset both backends run unchanged:

- `?` placeholders (the PostgreSQL store translates them);
- `INSERT ... RETURNING id` for a new row's id (there is no `lastrowid` on PostgreSQL);
- `INSERT ... ON CONFLICT (...) DO NOTHING | DO UPDATE SET x = excluded.x`, never `INSERT OR`;
- no `PRAGMA`, no `rowid`, no SQLite or PostgreSQL functions beyond `COUNT/MAX/MIN/SUM/
  COALESCE/LOWER/LENGTH` and `STRING_AGG(text, separator ORDER BY ...)` (SQLite has it since
  3.44); timestamps are ISO-8601 text written by Python.

Schema differs (`INTEGER PRIMARY KEY AUTOINCREMENT` vs `BIGSERIAL`), so a component's
migrations may be given per dialect. Nothing outside `storage/` asks which database it is;
what truly differs sits behind store methods: memory search (`memory_index()`: full-text and
vector candidates), the catalog (`table_exists`), forgetting's bytes (`scrub`) and removing a
user (`purge_user`).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    import numpy as np

Dialect = Literal["sqlite", "postgresql"]
# A component's append-only migrations: one list both backends run, or one list per dialect
# (numbered alike: step N of each list is the same change).
Migrations = Sequence[str] | Mapping[Dialect, Sequence[str]]


class Row(Protocol):
    """A result row: by position and by column name."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Sequence[str]: ...


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> list[Row]: ...


class Transaction(Protocol):
    """What `Store.transaction()` yields: statements inside one committed-or-rolled-back unit."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Cursor: ...


# A user id starting with this names no person but a system task that reads across users
# (the reminder scheduler's index store, "*scheduler*"). Account ids never start with it
# ("local", "u_…"). On PostgreSQL only such a store passes row-level security for every row.
SYSTEM_USER_PREFIX = "*"


def is_system_user(user_id: str) -> bool:
    return user_id.startswith(SYSTEM_USER_PREFIX)


def scripts_for(migrations: Migrations, dialect: Dialect) -> list[str]:
    if isinstance(migrations, Mapping):
        return list(migrations[dialect])
    return list(migrations)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 60 else line[:57].rstrip() + "…"


class MemoryIndex(ABC):
    """Memory search where the databases differ, for one user's memories (the `memories`,
    `memory_sources` and `memory_embeddings` tables themselves are portable).

    A `match` is a full-text query of quoted phrases joined by OR (`"paris" OR "sister"`), as
    `os1.memory.recall.fts_query` writes it; each backend reads it its own way. Vector search
    only finds candidates: the memory store reranks them with the exact vectors.
    """

    @abstractmethod
    def lexical(self, match: str, limit: int) -> list[tuple[int, float]]:
        """Current (not superseded) memories matching, as (id, score), best first; a higher
        score is better, BM25-like (rarer words and denser matches count more)."""

    @abstractmethod
    def lexical_from(self, match: str, source_prefix: str, limit: int) -> list[int]:
        """Ids of matching memories (superseded ones too) with a source starting with
        `source_prefix`, best first."""

    @abstractmethod
    def matching(self, match: str) -> list[int]:
        """Every memory of the user that matches (to forget them)."""

    @abstractmethod
    def common_terms(self, terms: Sequence[str], cap: int) -> set[str]:
        """Terms found in more than `cap` of the user's memories (counting stops at cap+1)."""

    def prepare(self, dim: int) -> None:  # noqa: B027
        """Make what vectors of `dim` dimensions are kept in, before the transaction that
        writes them (DDL of its own, taking locks a writer must not wait for)."""

    @abstractmethod
    def store_vectors(
        self, db: Transaction, dim: int, items: Sequence[tuple[int, np.ndarray]]
    ) -> None:
        """Index (id, search vector) pairs of `dim` dimensions, inside the writing
        transaction (an id indexed before is replaced)."""

    @abstractmethod
    def vector_candidates(self, vector: np.ndarray, k: int, *, again: bool = False) -> list[int]:
        """Ids of up to `k` memories whose search vectors are near `vector` (approximately).
        `again`: a second search of the same moment (recall's feedback pass), which need not
        look again for what other connections wrote since the first."""

    def nearest(  # noqa: B027
        self, vector: np.ndarray, limit: int, candidates: int
    ) -> list[tuple[int, float]] | None:
        """(id, inner product with `vector`) of the nearest current memories, best first,
        where the backend scores candidates itself; None leaves the exact rerank of
        `vector_candidates` to the memory store."""
        return None

    @abstractmethod
    def remove(self, db: Transaction, ids: Sequence[int]) -> None:
        """Drop forgotten memories' index entries, inside the forgetting transaction."""

    def committed(  # noqa: B027
        self, dim: int, added: Sequence[tuple[int, np.ndarray]], removed: Sequence[int]
    ) -> None:
        """After a commit: caches outside the database (an in-memory index) catch up."""


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


@dataclass(frozen=True, slots=True)
class DialogueLine:
    """A message as the model's history needs it: who said what, and whether it carried
    outside text."""

    id: int
    role: Literal["user", "assistant"]
    content: str
    untrusted: bool = False


ToolCallStatus = Literal["pending", "running", "done", "failed", "declined", "expired"]


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call as kept: a side effect waits as 'pending' until the user confirms it."""

    id: str
    conversation_id: int
    name: str
    arguments: dict[str, Any]
    side_effect: bool
    origin: Literal["intent", "model"]
    summary: str
    status: ToolCallStatus
    created_at: str
    output: str | None = None
    decided_at: str | None = None


class Store(ABC):
    """Durable conversations and profile for one user. Every write is committed on return."""

    user_id: str

    @abstractmethod
    def create_conversation(self, title: str | None = None) -> Conversation: ...

    @abstractmethod
    def ensure_conversation(self, profile_key: str, title: str) -> int:
        """The conversation whose id the profile keeps under `profile_key`, created (and
        recorded there) in one transaction if it is missing: two writers get the same one."""

    @abstractmethod
    def get_conversation(self, conversation_id: int) -> Conversation:
        """Raise NotFound unless the conversation exists and belongs to this user."""

    @abstractmethod
    def latest_conversation(self) -> Conversation | None: ...

    def latest_conversation_id(self) -> int | None:
        """The id of `latest_conversation()`. A turn needs only this, and a conversation's
        message count grows with it (backends answer without counting)."""
        latest = self.latest_conversation()
        return latest.id if latest is not None else None

    def own_conversation(self, conversation_id: int) -> int:
        """`conversation_id`, once it is known to exist and belong to this user (NotFound
        otherwise): `get_conversation` without reading the rest."""
        return self.get_conversation(conversation_id).id

    @abstractmethod
    def list_conversations(self, limit: int = 50) -> list[Conversation]: ...

    @abstractmethod
    def rename_conversation(self, conversation_id: int, title: str | None) -> Conversation:
        """Raise NotFound unless the conversation exists and belongs to this user."""

    @abstractmethod
    def delete_conversation(self, conversation_id: int) -> None:
        """Delete a conversation with its messages and tool calls (NotFound if not the user's)."""

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
    def truncate_message(
        self, message_id: int, content: str, status: MessageStatus = "interrupted"
    ) -> StoredMessage:
        """Cut a stored assistant message down to `content` with a new `status`: a reply
        written whole but cut off while it was spoken keeps only what was heard. NotFound
        unless it is one of this user's assistant messages."""

    @abstractmethod
    def messages(self, conversation_id: int, last: int | None = None) -> list[StoredMessage]:
        """Messages oldest first; `last` keeps only the most recent ones."""

    @abstractmethod
    def dialogue(self, conversation_id: int, last: int) -> list[DialogueLine]:
        """The last non-empty user and assistant messages, oldest first (for prompts)."""

    @abstractmethod
    def profile(self) -> dict[str, Any]:
        """The user's profile and the companion's identity (name, persona, answers)."""

    def profile_values(self, *keys: str) -> dict[str, Any]:
        """Those keys of `profile()` that are set, values of the caller's own to change. The
        profile holds the inner life's state (threads, journal marks, the self), which grows
        with the months; most readers want a few parts of it."""
        whole = self.profile()
        return {key: whole[key] for key in keys if key in whole}

    def profile_value(self, key: str) -> Any:
        """One key of the profile (None when unset)."""
        return self.profile_values(key).get(key)

    def steady(self) -> AbstractContextManager[None]:
        """A stretch of one thread's work (a turn's trip to a worker thread) in which reads
        of the profile need not look for what other connections committed since the first
        one: a backend that caches the profile checks for that once, not at every read."""
        return contextlib.nullcontext()

    def exclusive(self) -> AbstractContextManager[None]:
        """A stretch of this thread's work on the user's data that no other process does
        for the same user at the same time (consolidating a batch: two workers, or `os1
        memory search` beside the server, would each derive the same facts). The store's
        own calls inside it are part of it. Stretches do not nest."""
        return contextlib.nullcontext()

    @abstractmethod
    def set_profile(self, key: str, value: Any) -> None: ...

    def set_profiles(self, values: Mapping[str, Any]) -> None:
        """Several profile keys at once (a backend writes them in one transaction)."""
        for key, value in values.items():
            self.set_profile(key, value)

    @abstractmethod
    def delete_profile(self, key: str) -> None: ...

    # -- tool calls ---------------------------------------------------------------------

    @abstractmethod
    def add_tool_call(self, record: ToolCallRecord) -> None: ...

    @abstractmethod
    def get_tool_call(self, call_id: str) -> ToolCallRecord:
        """Raise NotFound unless the call exists and belongs to this user."""

    @abstractmethod
    def claim_tool_call(self, call_id: str, expected: ToolCallStatus, new: ToolCallStatus) -> bool:
        """Move a call from `expected` to `new` atomically; False if it was not `expected`
        (already confirmed, declined, or another user's). This is what makes a confirmation
        run its action exactly once."""

    @abstractmethod
    def finish_tool_call(self, call_id: str, status: ToolCallStatus, output: str) -> None: ...

    @abstractmethod
    def tool_calls(
        self, status: ToolCallStatus | None = None, conversation_id: int | None = None
    ) -> list[ToolCallRecord]: ...

    # -- the query layer for components with tables of their own -------------------------

    dialect: Dialect

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One read in the portable SQL subset (see the module's docstring)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """Writes that commit together or not at all; other writers wait."""

    @abstractmethod
    def migrate_component(self, name: str, scripts: Migrations) -> None:
        """Apply a component's own append-only migrations (skills, server, memory), numbered
        from 1 and recorded per component, once, even with several processes starting."""

    def vacuum(self) -> None:  # noqa: B027
        """Give deleted rows' bytes back and overwrite them (forgetting); a no-op where the
        backend has nothing to do."""

    def scrub(self) -> None:
        """After forgetting: leave as few bytes of deleted rows behind as the backend can
        (index segments that still hold deleted words, free pages, the write-ahead log)."""
        self.vacuum()

    @abstractmethod
    def memory_index(self, *, in_memory: bool = True) -> MemoryIndex:
        """This user's memory search. `in_memory=False` asks a backend with an in-memory
        candidate index to search its on-disk one instead (benchmarks compare the two)."""

    @abstractmethod
    def table_exists(self, name: str) -> bool:
        """Whether a table exists (a skill's, if it is installed)."""

    @abstractmethod
    def purge_user(self) -> dict[str, int]:
        """Delete every row of this user in every table with a `user_id` column, except the
        server's own (`server_*`), in one transaction; rows removed per table. Forget the
        user's memories first (`MemoryStore.forget`) so derived index entries go too."""

    def sharing_connection(self, user_id: str) -> Store | None:
        """Another user's store on this store's own connection, where the backend has one
        connection per file (SQLite) and reopening costs more than the work; None where it
        does not (PostgreSQL lends connections from a pool). For a process that serves many
        users: the view shares this store's lock, and closing it leaves the connection to
        this store."""
        return None

    @abstractmethod
    def close(self) -> None: ...
