"""The `Store` methods both databases run alike, written once in the portable SQL subset.

`SQLStore` keeps conversations, messages, the profile and tool calls through the query layer
only (`query`, `transaction`, `user_id`); SQLite and PostgreSQL subclass it with their
connections, migrations and what truly differs: the hooks below, `dialogue` (the per-turn
read each backend does its fastest way), memory search, the catalog and forgetting's bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from os1.errors import NotFound
from os1.storage.base import (
    Conversation,
    MessageStatus,
    Row,
    Store,
    StoredMessage,
    StoredRole,
    ToolCallRecord,
    ToolCallStatus,
    now,
    title_from,
)

_CONVERSATION_SQL = (
    "SELECT c.id, c.title, c.created_at, c.updated_at, "
    "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
    "FROM conversations c WHERE c.user_id = ? "
)
_SET_PROFILE_SQL = (
    "INSERT INTO profile (user_id, key, value, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, "
    "updated_at = excluded.updated_at"
)
_NEW_CONVERSATION_SQL = (
    "INSERT INTO conversations (user_id, title, created_at, updated_at) "
    "VALUES (?, ?, ?, ?) RETURNING id"
)


def _no_conversation(conversation_id: int) -> NotFound:
    return NotFound(f"no conversation {conversation_id}", hint="`os1 history` lists conversations.")


def conversation_of(row: Row) -> Conversation:
    return Conversation(
        int(row["id"]), row["title"], row["created_at"], row["updated_at"], int(row["n"])
    )


def message_of(row: Row) -> StoredMessage:
    return StoredMessage(
        int(row["id"]),
        int(row["conversation_id"]),
        row["role"],
        row["content"],
        row["status"],
        row["created_at"],
        json.loads(row["meta"]) if row["meta"] != "{}" else {},
    )


def tool_call_of(row: Row) -> ToolCallRecord:
    return ToolCallRecord(
        id=row["id"],
        conversation_id=int(row["conversation_id"]),
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


class SQLStore(Store):
    """Conversations, messages, profile and tool calls over the query layer."""

    # An SQL expression for the conversation id a profile row `p` keeps as JSON text, NULL
    # (or no conversation's id) when the value is not a number.
    _PROFILE_CONVERSATION_ID: ClassVar[str]
    # Ends a SELECT of a row the transaction is about to update. PostgreSQL locks the row;
    # SQLite's BEGIN IMMEDIATE already lets one writer in at a time.
    _LOCK_ROW: ClassVar[str] = ""

    # -- conversations ------------------------------------------------------------------

    def create_conversation(self, title: str | None = None) -> Conversation:
        stamp = now()
        with self.transaction() as db:
            row = db.execute(_NEW_CONVERSATION_SQL, (self.user_id, title, stamp, stamp)).fetchone()
        assert row is not None  # RETURNING always yields the new row
        return Conversation(int(row[0]), title, stamp, stamp, 0)

    def ensure_conversation(self, profile_key: str, title: str) -> int:
        # transaction() lets one writer of this user in at a time, so the check and the
        # insert are one step: a second writer waits, then finds what the first recorded.
        with self.transaction() as db:
            row = db.execute(
                "SELECT c.id FROM profile p JOIN conversations c "
                f"ON c.id = {self._PROFILE_CONVERSATION_ID} AND c.user_id = p.user_id "
                "WHERE p.user_id = ? AND p.key = ?",
                (self.user_id, profile_key),
            ).fetchone()
            if row is not None:
                return int(row[0])
            stamp = now()
            made = db.execute(_NEW_CONVERSATION_SQL, (self.user_id, title, stamp, stamp)).fetchone()
            assert made is not None
            conv = int(made[0])
            db.execute(_SET_PROFILE_SQL, (self.user_id, profile_key, json.dumps(conv), stamp))
        return conv

    def get_conversation(self, conversation_id: int) -> Conversation:
        rows = self.query(_CONVERSATION_SQL + "AND c.id = ?", (self.user_id, conversation_id))
        if not rows:
            raise _no_conversation(conversation_id)
        return conversation_of(rows[0])

    def latest_conversation(self) -> Conversation | None:
        rows = self.query(
            _CONVERSATION_SQL + "ORDER BY c.updated_at DESC, c.id DESC LIMIT 1", (self.user_id,)
        )
        return conversation_of(rows[0]) if rows else None

    def latest_conversation_id(self) -> int | None:
        rows = self.query(
            "SELECT id FROM conversations WHERE user_id = ? ORDER BY updated_at DESC, id DESC "
            "LIMIT 1",
            (self.user_id,),
        )
        return int(rows[0][0]) if rows else None

    def own_conversation(self, conversation_id: int) -> int:
        rows = self.query(
            "SELECT id FROM conversations WHERE id = ? AND user_id = ?",
            (conversation_id, self.user_id),
        )
        if not rows:
            raise _no_conversation(conversation_id)
        return int(rows[0][0])

    def list_conversations(self, limit: int = 50) -> list[Conversation]:
        rows = self.query(
            _CONVERSATION_SQL + "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
            (self.user_id, limit),
        )
        return [conversation_of(r) for r in rows]

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
                "SELECT title FROM conversations WHERE id = ? AND user_id = ?" + self._LOCK_ROW,
                (conversation_id, self.user_id),
            ).fetchone()
            if owned is None:
                raise NotFound(f"no conversation {conversation_id}")
            made = db.execute(
                "INSERT INTO messages (conversation_id, user_id, role, content, status, "
                "created_at, meta) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (conversation_id, self.user_id, role, content, status, stamp, json.dumps(meta)),
            ).fetchone()
            assert made is not None
            title = owned["title"]
            if title is None and role == "user" and content.strip():
                title = title_from(content)
            db.execute(
                "UPDATE conversations SET updated_at = ?, title = ? WHERE id = ?",
                (stamp, title, conversation_id),
            )
        return StoredMessage(int(made[0]), conversation_id, role, content, status, stamp, meta)

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
        return message_of(row)

    def messages(self, conversation_id: int, last: int | None = None) -> list[StoredMessage]:
        self.get_conversation(conversation_id)  # ownership check, NotFound otherwise
        sql = "SELECT * FROM messages WHERE conversation_id = ? AND user_id = ? ORDER BY id DESC"
        params: tuple[Any, ...] = (conversation_id, self.user_id)
        if last is not None:
            sql += " LIMIT ?"
            params += (last,)
        return [message_of(r) for r in reversed(self.query(sql, params))]

    # -- profile ------------------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        rows = self.query("SELECT key, value FROM profile WHERE user_id = ?", (self.user_id,))
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def profile_values(self, *keys: str) -> dict[str, Any]:
        if not keys:
            return {}
        rows = self.query(
            "SELECT key, value FROM profile WHERE user_id = ? "
            f"AND key IN ({', '.join('?' * len(keys))})",
            (self.user_id, *keys),
        )
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set_profile(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.execute(_SET_PROFILE_SQL, (self.user_id, key, json.dumps(value), now()))

    def set_profiles(self, values: Mapping[str, Any]) -> None:
        if not values:
            return
        stamp = now()
        with self.transaction() as db:
            for key, value in values.items():
                db.execute(_SET_PROFILE_SQL, (self.user_id, key, json.dumps(value), stamp))

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

    def get_tool_call(self, call_id: str) -> ToolCallRecord:
        rows = self.query(
            "SELECT * FROM tool_calls WHERE id = ? AND user_id = ?", (call_id, self.user_id)
        )
        if not rows:
            raise NotFound(f"no tool call {call_id!r}")
        return tool_call_of(rows[0])

    def claim_tool_call(self, call_id: str, expected: ToolCallStatus, new: ToolCallStatus) -> bool:
        # One UPDATE with the expected status in its WHERE: a concurrent claimer waits for
        # the writer before it (PostgreSQL re-checks the row then), so exactly one changes it.
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
        return [tool_call_of(r) for r in self.query(sql + " ORDER BY created_at, id", params)]
