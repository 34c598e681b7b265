"""The user's letters, kept in their own tables: every revision is a new version, none lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from os1.errors import NotFound
from os1.skills.base import ToolError
from os1.storage.base import Migrations, Row, Store

# Append-only: the skill's own schema, applied with `store.migrate_component("skill:letters")`.
_SQLITE = [
    """
    CREATE TABLE letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL,
        recipient TEXT NOT NULL DEFAULT '',
        sender TEXT NOT NULL DEFAULT '',
        occasion TEXT NOT NULL DEFAULT '',
        tone TEXT NOT NULL DEFAULT 'warm',
        notes TEXT NOT NULL DEFAULT '',
        starred INTEGER NOT NULL DEFAULT 0,
        -- rises each time a letter is written or revised: "the letter" in a conversation
        touched INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX letters_by_user ON letters (user_id, updated_at);
    CREATE TABLE letter_versions (
        letter_id INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        change TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT 'composer',
        created_at TEXT NOT NULL,
        PRIMARY KEY (letter_id, version)
    );
    """
]
# The same step for PostgreSQL (ids by BIGSERIAL), same tables and columns.
_POSTGRESQL = [
    """
    CREATE TABLE letters (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT NOT NULL,
        recipient TEXT NOT NULL DEFAULT '',
        sender TEXT NOT NULL DEFAULT '',
        occasion TEXT NOT NULL DEFAULT '',
        tone TEXT NOT NULL DEFAULT 'warm',
        notes TEXT NOT NULL DEFAULT '',
        starred BIGINT NOT NULL DEFAULT 0,
        touched BIGINT NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX letters_by_user ON letters (user_id, updated_at);
    CREATE TABLE letter_versions (
        letter_id BIGINT NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        version BIGINT NOT NULL,
        body TEXT NOT NULL,
        change TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT 'composer',
        created_at TEXT NOT NULL,
        PRIMARY KEY (letter_id, version)
    );
    """
]
MIGRATIONS: Migrations = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}

COMPONENT = "skill:letters"
# A letter longer than this is not a letter any more; refusing it keeps the book and the
# proofreader fast, and the user's message itself is already stored by the companion.
MAX_LETTER_CHARS = 20_000
MAX_NOTES_CHARS = 8_000


@dataclass(frozen=True)
class Letter:
    id: int
    recipient: str
    sender: str
    occasion: str
    tone: str
    notes: str
    starred: bool
    created_at: str
    updated_at: str
    version: int
    body: str

    @property
    def title(self) -> str:
        who = f"To {self.recipient}" if self.recipient else "A letter"
        if self.sender:
            who += f", from {self.sender}"
        return f"{who} — {self.occasion}" if self.occasion else who

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "recipient": self.recipient,
            "sender": self.sender,
            "occasion": self.occasion,
            "tone": self.tone,
            "notes": self.notes,
            "starred": self.starred,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
            "body": self.body,
        }


@dataclass(frozen=True)
class Version:
    version: int
    body: str
    change: str
    author: str
    created_at: str


def check_body(body: str) -> str:
    """A letter's text, or a clear error if there is none or far too much."""
    if not body.strip():
        raise ToolError("the letter is empty", hint="Give it some words first.")
    if len(body) > MAX_LETTER_CHARS:
        raise ToolError(
            f"that letter is too long ({len(body):,} characters; the most is {MAX_LETTER_CHARS:,})",
            hint="Split it into several letters; nothing was changed.",
        )
    return body


_SELECT = """
    SELECT l.*, v.version, v.body FROM letters l
    JOIN letter_versions v ON v.letter_id = l.id AND v.user_id = l.user_id
    WHERE l.user_id = ? AND v.version = (
        SELECT MAX(version) FROM letter_versions WHERE letter_id = l.id AND user_id = l.user_id
    )
"""


class LetterLibrary:
    """One user's letters. Every query is scoped by the store's user id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate_component(COMPONENT, MIGRATIONS)

    @property
    def user_id(self) -> str:
        return self.store.user_id

    def add(
        self,
        body: str,
        *,
        now: datetime,
        recipient: str = "",
        sender: str = "",
        occasion: str = "",
        tone: str = "warm",
        notes: str = "",
        author: str = "composer",
    ) -> Letter:
        check_body(body)
        stamp = now.isoformat(timespec="seconds")
        with self.store.transaction() as db:
            cur = db.execute(
                "INSERT INTO letters (user_id, recipient, sender, occasion, tone, notes, "
                "touched, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
                "(SELECT COALESCE(MAX(touched), 0) + 1 FROM letters WHERE user_id = ?), ?, ?) "
                "RETURNING id",
                (
                    self.user_id,
                    recipient,
                    sender,
                    occasion,
                    tone,
                    notes,
                    self.user_id,
                    stamp,
                    stamp,
                ),
            )
            letter_id = _new_id(cur.fetchone())
            db.execute(
                "INSERT INTO letter_versions (letter_id, user_id, version, body, change, author,"
                " created_at) VALUES (?, ?, 1, ?, 'first draft', ?, ?)",
                (letter_id, self.user_id, body, author, stamp),
            )
        return self.get(letter_id)

    def get(self, letter_id: int) -> Letter:
        rows = self.store.query(_SELECT + " AND l.id = ?", (self.user_id, letter_id))
        if not rows:
            raise NotFound(
                f"there is no letter #{letter_id}",
                hint="`os1 letters list` shows your letters and their numbers.",
            )
        return _letter(rows[0])

    def latest(self) -> Letter:
        """The letter worked on most recently (what "make it warmer" is about)."""
        rows = self.store.query(
            _SELECT + " ORDER BY l.touched DESC, l.id DESC LIMIT 1", (self.user_id,)
        )
        if not rows:
            raise NotFound(
                "you have no letters yet", hint='Say "write a letter to … about …" to start one.'
            )
        return _letter(rows[0])

    def all(self, *, starred: bool = False) -> list[Letter]:
        sql = _SELECT + (" AND l.starred = 1" if starred else "") + " ORDER BY l.id"
        return [_letter(r) for r in self.store.query(sql, (self.user_id,))]

    def revise(
        self, letter_id: int, body: str, *, change: str, now: datetime, author: str
    ) -> Letter:
        """Keep a new version; the earlier ones stay as they were."""
        check_body(body)
        current = self.get(letter_id)
        if body == current.body:
            return current
        stamp = now.isoformat(timespec="seconds")
        with self.store.transaction() as db:
            found = db.execute(
                "SELECT MAX(version) FROM letter_versions WHERE letter_id = ? AND user_id = ?",
                (letter_id, self.user_id),
            ).fetchone()
            top = found[0] if found is not None and found[0] is not None else 0
            db.execute(
                "INSERT INTO letter_versions (letter_id, user_id, version, body, change, author,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (letter_id, self.user_id, int(top) + 1, body, change[:200], author, stamp),
            )
            db.execute(
                "UPDATE letters SET updated_at = ?, touched = "
                "(SELECT MAX(touched) + 1 FROM letters WHERE user_id = ?) "
                "WHERE id = ? AND user_id = ?",
                (stamp, self.user_id, letter_id, self.user_id),
            )
        return self.get(letter_id)

    def versions(self, letter_id: int) -> list[Version]:
        self.get(letter_id)  # NotFound for another user's letter
        rows = self.store.query(
            "SELECT version, body, change, author, created_at FROM letter_versions "
            "WHERE letter_id = ? AND user_id = ? ORDER BY version",
            (letter_id, self.user_id),
        )
        return [Version(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def star(self, letter_id: int, starred: bool = True) -> Letter:
        self.get(letter_id)
        with self.store.transaction() as db:
            db.execute(
                "UPDATE letters SET starred = ? WHERE id = ? AND user_id = ?",
                (int(starred), letter_id, self.user_id),
            )
        return self.get(letter_id)

    def set_tone(self, letter_id: int, tone: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE letters SET tone = ? WHERE id = ? AND user_id = ?",
                (tone, letter_id, self.user_id),
            )

    def delete(self, letter_id: int) -> None:
        self.get(letter_id)
        with self.store.transaction() as db:
            db.execute(
                "DELETE FROM letter_versions WHERE letter_id = ? AND user_id = ?",
                (letter_id, self.user_id),
            )
            db.execute(
                "DELETE FROM letters WHERE id = ? AND user_id = ?", (letter_id, self.user_id)
            )


def _new_id(row: Row | None) -> int:
    # INSERT ... RETURNING id always returns its row: there is no lastrowid on PostgreSQL.
    if row is None:
        raise RuntimeError("INSERT ... RETURNING gave no row")
    return int(row[0])


def _letter(row: Row) -> Letter:
    return Letter(
        id=row["id"],
        recipient=row["recipient"],
        sender=row["sender"],
        occasion=row["occasion"],
        tone=row["tone"],
        notes=row["notes"],
        starred=bool(row["starred"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        body=row["body"],
    )
