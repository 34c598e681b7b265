"""Accounts, login sessions and personal API tokens, in the same database as everything else.

Passwords are hashed with argon2; session and API tokens are long random strings kept only
as their sha256 (high entropy makes a slow hash unnecessary). A secret is shown once, when it
is made, and never stored, logged or returned again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from os1.errors import NotFound, OS1Error
from os1.storage.base import Migrations, Store

COMPONENT = "server"
_SQLITE = [
    """
    CREATE TABLE server_users (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE server_tokens (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES server_users (user_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    CREATE INDEX server_tokens_user ON server_tokens (user_id);
    CREATE TABLE server_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES server_users (user_id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX server_sessions_user ON server_sessions (user_id);
    """,
    # Login attempts (os1.server.throttle): in the database so a restart does not forgive
    # them and worker processes share them. `last_failure` is Unix time.
    """
    CREATE TABLE server_login_failures (
        scope TEXT NOT NULL,
        subject TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_failure REAL NOT NULL,
        PRIMARY KEY (scope, subject)
    );
    CREATE INDEX server_login_failures_age ON server_login_failures (last_failure);
    """,
    # Usernames are looked up as LOWER(username) = LOWER(?) on every backend (PostgreSQL has
    # no NOCASE): this index serves that lookup. USERNAME allows ASCII only, where NOCASE and
    # LOWER agree, so rows unique under NOCASE stay unique here.
    "CREATE UNIQUE INDEX server_users_username_lower ON server_users (LOWER(username))",
]
# The same steps for PostgreSQL, numbered alike.
_POSTGRESQL = [
    """
    CREATE TABLE server_users (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE server_tokens (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES server_users (user_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    CREATE INDEX server_tokens_user ON server_tokens (user_id);
    CREATE TABLE server_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES server_users (user_id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX server_sessions_user ON server_sessions (user_id);
    """,
    """
    CREATE TABLE server_login_failures (
        scope TEXT NOT NULL,
        subject TEXT NOT NULL,
        failures BIGINT NOT NULL,
        last_failure DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (scope, subject)
    );
    CREATE INDEX server_login_failures_age ON server_login_failures (last_failure);
    """,
    "CREATE UNIQUE INDEX server_users_username_lower ON server_users (LOWER(username))",
]
MIGRATIONS: Migrations = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}

LOCAL_USER = "local"  # the user id the CLI writes as: single-user mode serves the same data
TOKEN_PREFIX = "os1_"
SESSION_TTL = timedelta(days=30)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8


class UserError(OS1Error):
    exit_code = 2
    code = "bad_user"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    created_at: str

    def public(self) -> dict[str, str]:
        return {"id": self.id, "username": self.username}


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    created_at: str
    last_used_at: str | None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Users:
    """The server's accounts. `store` is any store on the shared database."""

    def __init__(self, store: Store, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self.hasher = hasher or PasswordHasher()
        store.migrate_component(COMPONENT, MIGRATIONS)
        # Verifying against this when the name is unknown costs the same time as a real check,
        # so a login's timing does not tell which usernames exist.
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    # -- accounts -----------------------------------------------------------------------

    def add(self, username: str, password: str, *, user_id: str | None = None) -> User:
        if not USERNAME.match(username):
            raise UserError(
                f"{username!r} is not a valid username",
                hint="Use 1–64 letters, digits, and . _ @ - (starting with a letter or digit).",
            )
        if len(password) < MIN_PASSWORD:
            raise UserError(
                f"the password is too short (at least {MIN_PASSWORD} characters)",
                hint="Choose a longer password; a few words together work well.",
            )
        chosen = user_id or "u_" + uuid.uuid4().hex[:16]
        hashed = self.hasher.hash(password)
        with self.store.transaction() as db:
            clash = db.execute(
                "SELECT username FROM server_users WHERE LOWER(username) = LOWER(?) OR user_id = ?",
                (username, chosen),
            ).fetchone()
            if clash is not None:
                raise UserError(
                    f"there is already a user {clash[0]!r}"
                    + (f" with the data of {chosen!r}" if user_id else ""),
                    hint="`os1 users list` shows them.",
                )
            stamp = now()
            db.execute(
                "INSERT INTO server_users (user_id, username, password_hash, created_at) "
                "VALUES (?, ?, ?, ?)",
                (chosen, username, hashed, stamp),
            )
        return User(chosen, username, stamp)

    def has_accounts(self) -> bool:
        """Whether at least one account exists."""
        # Asked on every request in single-user mode: one primary-key probe, as cheap as the
        # SQLite-only change counter that used to guard a cached answer, and right at once
        # after another process's `os1 users add`.
        return bool(self.store.query("SELECT user_id FROM server_users LIMIT 1"))

    def list_users(self) -> list[User]:
        rows = self.store.query(
            "SELECT user_id, username, created_at FROM server_users "
            "ORDER BY LOWER(username), username"
        )
        return [User(r[0], r[1], r[2]) for r in rows]

    def get(self, username: str) -> User:
        rows = self.store.query(
            "SELECT user_id, username, created_at FROM server_users "
            "WHERE LOWER(username) = LOWER(?)",
            (username,),
        )
        if not rows:
            raise NotFound(f"no user {username!r}", hint="`os1 users list` shows them.")
        return User(rows[0][0], rows[0][1], rows[0][2])

    def by_id(self, user_id: str) -> User | None:
        rows = self.store.query(
            "SELECT user_id, username, created_at FROM server_users WHERE user_id = ?",
            (user_id,),
        )
        return User(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    def remove(self, username: str) -> User:
        """Remove the account with its tokens and sessions (not its data: see `purge`)."""
        user = self.get(username)
        with self.store.transaction() as db:
            db.execute("DELETE FROM server_users WHERE user_id = ?", (user.id,))
        return user

    def set_password(self, username: str, password: str) -> None:
        user = self.get(username)
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password is too short (at least {MIN_PASSWORD} characters)")
        with self.store.transaction() as db:
            db.execute(
                "UPDATE server_users SET password_hash = ? WHERE user_id = ?",
                (self.hasher.hash(password), user.id),
            )
            # A new password logs every browser out.
            db.execute("DELETE FROM server_sessions WHERE user_id = ?", (user.id,))

    def verify(self, username: str, password: str) -> User | None:
        """The user, if the password is theirs. Slow on purpose (argon2): call off the loop."""
        rows = self.store.query(
            "SELECT user_id, username, created_at, password_hash FROM server_users "
            "WHERE LOWER(username) = LOWER(?)",
            (username,),
        )
        stored = rows[0][3] if rows else self._dummy_hash
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        user = User(rows[0][0], rows[0][1], rows[0][2])
        if self.hasher.check_needs_rehash(stored):
            with self.store.transaction() as db:
                db.execute(
                    "UPDATE server_users SET password_hash = ? WHERE user_id = ?",
                    (self.hasher.hash(password), user.id),
                )
        return user

    # -- API tokens ---------------------------------------------------------------------

    def create_token(self, username: str, name: str = "api") -> tuple[TokenInfo, str]:
        """A new personal API token; the secret is returned here and never again."""
        user = self.get(username)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        stamp = now()
        with self.store.transaction() as db:
            cur = db.execute(
                "INSERT INTO server_tokens (user_id, name, token_hash, created_at) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (user.id, name, digest(secret), stamp),
            )
            made = cur.fetchone()
        if made is None:  # RETURNING always gives the inserted row
            raise RuntimeError("INSERT ... RETURNING gave no row")
        return TokenInfo(int(made[0]), name, stamp, None), secret

    def tokens(self, username: str) -> list[TokenInfo]:
        user = self.get(username)
        rows = self.store.query(
            "SELECT id, name, created_at, last_used_at FROM server_tokens WHERE user_id = ? "
            "ORDER BY id",
            (user.id,),
        )
        return [TokenInfo(r[0], r[1], r[2], r[3]) for r in rows]

    def revoke_token(self, username: str, token_id: int) -> None:
        user = self.get(username)
        with self.store.transaction() as db:
            cur = db.execute(
                "DELETE FROM server_tokens WHERE id = ? AND user_id = ?", (token_id, user.id)
            )
        if cur.rowcount != 1:
            raise NotFound(
                f"{username} has no token {token_id}",
                hint=f"`os1 users token {username} --list`",
            )

    def user_for_token(self, secret: str) -> tuple[User, int | None] | None:
        """The token's owner, and the token's id when its last use is worth recording (at
        most once a minute: a busy client shouldn't cause a write on every request)."""
        rows = self.store.query(
            "SELECT u.user_id, u.username, u.created_at, t.id, t.last_used_at "
            "FROM server_tokens t JOIN server_users u ON u.user_id = t.user_id "
            "WHERE t.token_hash = ?",
            (digest(secret),),
        )
        if not rows:
            return None
        stale = rows[0][4] is None or rows[0][4][:16] != now()[:16]
        return User(rows[0][0], rows[0][1], rows[0][2]), rows[0][3] if stale else None

    def touch_token(self, token_id: int) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE server_tokens SET last_used_at = ? WHERE id = ?", (now(), token_id))

    # -- login sessions -----------------------------------------------------------------

    def start_session(self, user: User) -> str:
        secret = secrets.token_urlsafe(32)
        created = datetime.now(UTC)
        with self.store.transaction() as db:
            db.execute("DELETE FROM server_sessions WHERE expires_at < ?", (created.isoformat(),))
            db.execute(
                "INSERT INTO server_sessions (token_hash, user_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (
                    digest(secret),
                    user.id,
                    created.isoformat(),
                    (created + SESSION_TTL).isoformat(),
                ),
            )
        return secret

    def user_for_session(self, secret: str) -> User | None:
        rows = self.store.query(
            "SELECT u.user_id, u.username, u.created_at FROM server_sessions s "
            "JOIN server_users u ON u.user_id = s.user_id "
            "WHERE s.token_hash = ? AND s.expires_at > ?",
            (digest(secret), datetime.now(UTC).isoformat()),
        )
        return User(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    def end_session(self, secret: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM server_sessions WHERE token_hash = ?", (digest(secret),))


def purge_user_data(store: Store) -> dict[str, Any]:
    """Delete everything stored for `store.user_id`: memories (with their index entries),
    conversations, and the rows of every table that has a user_id column. One transaction
    for the rows, so a failure leaves the data whole."""
    from os1.memory.store import MemoryStore

    memories = MemoryStore(store)
    ids = memories.all_ids()
    memories.forget(ids)
    # Which tables hold a user's rows is the store's to know (its catalog differs per backend).
    removed: dict[str, Any] = {"memories": len(ids)}
    removed.update(store.purge_user())
    return removed
