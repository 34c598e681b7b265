"""The mail skill's own tables: what the user does with each sender, the last listing, the
mail in focus ("archive that") and drafts. Every row belongs to one user."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from os1.skills.mail.lookalike import Contact
from os1.skills.mail.parse import ParsedMail, named_address, one_line
from os1.storage.base import Migrations, Row, Store

_SQLITE = [
    """
    CREATE TABLE mail_senders (
        user_id TEXT NOT NULL,
        address TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        read INTEGER NOT NULL DEFAULT 0,
        replied INTEGER NOT NULL DEFAULT 0,
        archived INTEGER NOT NULL DEFAULT 0,
        deleted INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, address)
    );
    CREATE TABLE mail_listing (
        user_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        account TEXT NOT NULL,
        folder TEXT NOT NULL,
        uid TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        address TEXT NOT NULL,
        subject TEXT NOT NULL,
        category TEXT NOT NULL,
        PRIMARY KEY (user_id, position)
    );
    CREATE TABLE mail_focus (
        user_id TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        folder TEXT NOT NULL,
        uid TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        address TEXT NOT NULL,
        subject TEXT NOT NULL,
        set_at TEXT NOT NULL
    );
    CREATE TABLE mail_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL,
        account TEXT NOT NULL,
        to_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        in_reply_to TEXT NOT NULL DEFAULT '',
        refs TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'draft',
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX mail_drafts_by_user ON mail_drafts(user_id, status, id);
    """,
    # Why the recipient may not be who they look like, said again when sending.
    "ALTER TABLE mail_drafts ADD COLUMN warning TEXT NOT NULL DEFAULT ''",
    # What the draft repeats from the mail it answers (words, names, codes), one per line:
    # shown marked as outside text when the user is asked to send it.
    "ALTER TABLE mail_drafts ADD COLUMN outside TEXT NOT NULL DEFAULT ''",
]

# The same steps, numbered alike, for PostgreSQL (ids by BIGSERIAL).
_POSTGRESQL = [
    """
    CREATE TABLE mail_senders (
        user_id TEXT NOT NULL,
        address TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        read BIGINT NOT NULL DEFAULT 0,
        replied BIGINT NOT NULL DEFAULT 0,
        archived BIGINT NOT NULL DEFAULT 0,
        deleted BIGINT NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, address)
    );
    CREATE TABLE mail_listing (
        user_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        account TEXT NOT NULL,
        folder TEXT NOT NULL,
        uid TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        address TEXT NOT NULL,
        subject TEXT NOT NULL,
        category TEXT NOT NULL,
        PRIMARY KEY (user_id, position)
    );
    CREATE TABLE mail_focus (
        user_id TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        folder TEXT NOT NULL,
        uid TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        address TEXT NOT NULL,
        subject TEXT NOT NULL,
        set_at TEXT NOT NULL
    );
    CREATE TABLE mail_drafts (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT NOT NULL,
        account TEXT NOT NULL,
        to_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        in_reply_to TEXT NOT NULL DEFAULT '',
        refs TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'draft',
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX mail_drafts_by_user ON mail_drafts(user_id, status, id);
    """,
    "ALTER TABLE mail_drafts ADD COLUMN warning TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE mail_drafts ADD COLUMN outside TEXT NOT NULL DEFAULT ''",
]

MIGRATIONS: Migrations = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


Action = Literal["read", "replied", "archived", "deleted"]


@dataclass(frozen=True)
class SenderStats:
    address: str
    name: str = ""
    read: int = 0
    replied: int = 0
    archived: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class MailRef:
    """A mail the user saw, identified well enough to act on exactly that one."""

    account: str
    folder: str
    uid: str
    message_id: str
    sender: str
    address: str
    subject: str

    @classmethod
    def of(cls, mail: ParsedMail) -> MailRef:
        return cls(
            account=mail.account,
            folder=mail.folder,
            uid=mail.uid,
            message_id=mail.message_id,
            sender=one_line(mail.sender, 60),
            address=mail.from_addr,
            subject=one_line(mail.subject or "(no subject)", 80),
        )

    @property
    def shown(self) -> str:
        """The sender with its address, as every confirmation shows it."""
        if not self.address or self.address in self.sender:
            return self.sender
        return named_address(self.sender, self.address)


@dataclass(frozen=True)
class Draft:
    id: int
    account: str
    to: str
    subject: str
    body: str
    in_reply_to: str
    references: list[str]
    status: str
    created_at: str
    warning: str = ""
    outside: tuple[str, ...] = ()


def record(store: Store, address: str, action: Action, name: str = "") -> None:
    """Learn from what the user does with a sender's mail."""
    if not address:
        return
    column = {"read": "read", "replied": "replied", "archived": "archived", "deleted": "deleted"}[
        action
    ]
    with _prepared(store).transaction() as db:
        db.execute(
            f"INSERT INTO mail_senders (user_id, address, name, {column}, updated_at) "
            f"VALUES (?, ?, ?, 1, ?) ON CONFLICT (user_id, address) DO UPDATE SET "
            f"{column} = mail_senders.{column} + 1, updated_at = excluded.updated_at, "
            f"name = CASE WHEN excluded.name != '' THEN excluded.name ELSE mail_senders.name END",
            (store.user_id, address.lower(), one_line(name, 80), now()),
        )


def sender_stats(store: Store) -> dict[str, SenderStats]:
    rows = _prepared(store).query(
        "SELECT address, name, read, replied, archived, deleted FROM mail_senders "
        "WHERE user_id = ?",
        (store.user_id,),
    )
    return {r[0]: SenderStats(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows}


def contacts(store: Store) -> list[Contact]:
    """The people the user has written to: their addresses are the verified ones."""
    rows = _prepared(store).query(
        "SELECT address, name FROM mail_senders WHERE user_id = ? AND replied > 0 "
        "ORDER BY replied DESC, address",
        (store.user_id,),
    )
    return [Contact(name=r["name"], address=r["address"]) for r in rows]


def save_listing(store: Store, entries: list[tuple[MailRef, str]]) -> None:
    with _prepared(store).transaction() as db:
        db.execute("DELETE FROM mail_listing WHERE user_id = ?", (store.user_id,))
        db.executemany(
            "INSERT INTO mail_listing (user_id, position, account, folder, uid, message_id, "
            "sender, address, subject, category) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    store.user_id,
                    n,
                    r.account,
                    r.folder,
                    r.uid,
                    r.message_id,
                    r.sender,
                    r.address,
                    r.subject,
                    category,
                )
                for n, (r, category) in enumerate(entries, start=1)
            ],  # fmt: skip
        )


def listed(store: Store, position: int) -> MailRef | None:
    rows = _prepared(store).query(
        "SELECT account, folder, uid, message_id, sender, address, subject FROM mail_listing "
        "WHERE user_id = ? AND position = ?",
        (store.user_id, position),
    )
    return _ref(rows[0]) if rows else None


def listing(store: Store) -> list[MailRef]:
    rows = _prepared(store).query(
        "SELECT account, folder, uid, message_id, sender, address, subject FROM mail_listing "
        "WHERE user_id = ? ORDER BY position",
        (store.user_id,),
    )
    return [_ref(r) for r in rows]


def set_focus(store: Store, ref: MailRef) -> None:
    with _prepared(store).transaction() as db:
        db.execute(
            "INSERT INTO mail_focus (user_id, account, folder, uid, message_id, sender, address, "
            "subject, set_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (user_id) DO UPDATE SET "
            "account = excluded.account, folder = excluded.folder, uid = excluded.uid, "
            "message_id = excluded.message_id, sender = excluded.sender, "
            "address = excluded.address, subject = excluded.subject, set_at = excluded.set_at",
            (store.user_id, ref.account, ref.folder, ref.uid, ref.message_id, ref.sender,
             ref.address, ref.subject, now()),
        )  # fmt: skip


def clear_focus(store: Store) -> None:
    with _prepared(store).transaction() as db:
        db.execute("DELETE FROM mail_focus WHERE user_id = ?", (store.user_id,))


def focus(store: Store) -> MailRef | None:
    rows = _prepared(store).query(
        "SELECT account, folder, uid, message_id, sender, address, subject FROM mail_focus "
        "WHERE user_id = ?",
        (store.user_id,),
    )
    return _ref(rows[0]) if rows else None


def add_draft(
    store: Store,
    account: str,
    to: str,
    subject: str,
    body: str,
    in_reply_to: str = "",
    references: list[str] | None = None,
    warning: str = "",
    outside: tuple[str, ...] = (),
) -> Draft:
    with _prepared(store).transaction() as db:
        cur = db.execute(
            "INSERT INTO mail_drafts (user_id, account, to_addr, subject, body, in_reply_to, "
            "refs, created_at, warning, outside) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
            (store.user_id, account, to, subject, body, in_reply_to,
             " ".join(references or []), now(), warning, "\n".join(outside)),
        )  # fmt: skip
        draft_id = _new_id(cur.fetchone())
    found = draft(store, draft_id)
    assert found is not None
    return found


def draft(store: Store, draft_id: int) -> Draft | None:
    rows = _prepared(store).query(
        "SELECT id, account, to_addr, subject, body, in_reply_to, refs, status, created_at, "
        "warning, outside FROM mail_drafts WHERE user_id = ? AND id = ?",
        (store.user_id, draft_id),
    )
    return _draft(rows[0]) if rows else None


def latest_draft(store: Store) -> Draft | None:
    rows = _prepared(store).query(
        "SELECT id, account, to_addr, subject, body, in_reply_to, refs, status, created_at, "
        "warning, outside FROM mail_drafts WHERE user_id = ? AND status = 'draft' "
        "ORDER BY id DESC LIMIT 1",
        (store.user_id,),
    )
    return _draft(rows[0]) if rows else None


def mark_sent(store: Store, draft_id: int) -> bool:
    """Claim a draft as sent, once: a second send of the same draft finds nothing to claim."""
    with _prepared(store).transaction() as db:
        cur = db.execute(
            "UPDATE mail_drafts SET status = 'sent', sent_at = ? "
            "WHERE user_id = ? AND id = ? AND status = 'draft'",
            (now(), store.user_id, draft_id),
        )
        return cur.rowcount == 1


def unmark_sent(store: Store, draft_id: int) -> None:
    with _prepared(store).transaction() as db:
        db.execute(
            "UPDATE mail_drafts SET status = 'draft', sent_at = NULL WHERE user_id = ? AND id = ?",
            (store.user_id, draft_id),
        )


_PREPARED: weakref.WeakSet[Store] = weakref.WeakSet()


def _prepared(store: Store) -> Store:
    """The user's store, with this skill's tables in place (checked once per store)."""
    if store not in _PREPARED:
        store.migrate_component("skill:mail", MIGRATIONS)
        _PREPARED.add(store)
    return store


def _new_id(row: Row | None) -> int:
    # INSERT ... RETURNING id always returns its row: there is no lastrowid on PostgreSQL.
    if row is None:
        raise RuntimeError("INSERT ... RETURNING gave no row")
    return int(row[0])


def _ref(r: Row) -> MailRef:
    return MailRef(r[0], r[1], r[2], r[3], r[4], r[5], r[6])


def _draft(r: Row) -> Draft:
    names = r.keys()  # some readers select fewer columns
    return Draft(
        id=int(r[0]), account=r[1], to=r[2], subject=r[3], body=r[4], in_reply_to=r[5],
        references=str(r[6]).split(), status=r[7], created_at=r[8],
        warning=str(r[9]) if len(names) > 9 else "",
        outside=tuple(str(r[10]).splitlines()) if len(names) > 10 else (),
    )  # fmt: skip
