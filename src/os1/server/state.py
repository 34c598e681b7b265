"""What every route reaches through `request.app.state.os1`: the hub, the accounts, the mode."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field
from starlette.requests import HTTPConnection

from os1.server.hub import Hub
from os1.server.users import Users

# SQLite integers are 64-bit: larger ids are refused as invalid, never reach a query.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


class AudioCache:
    """Spoken replies kept briefly in memory for `GET /api/voice/audio/<id>`, per user."""

    def __init__(self, max_items: int = 64, ttl: float = 600.0) -> None:
        self.max_items = max_items
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[str, float, bytes]] = OrderedDict()

    def put(self, key: str, user_id: str, wav: bytes) -> None:
        self._items[key] = (user_id, time.monotonic(), wav)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def get(self, key: str, user_id: str) -> bytes | None:
        found = self._items.get(key)
        if found is None or found[0] != user_id or time.monotonic() - found[1] > self.ttl:
            return None
        return found[2]


class LoginThrottle:
    """Slows password guessing: after `limit` failures for a name within `window` seconds,
    that name is refused until the window has passed (a right password included)."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}

    def _recent(self, username: str) -> list[float]:
        cutoff = time.monotonic() - self.window
        recent = [t for t in self._failures.get(username.lower(), []) if t > cutoff]
        if recent:
            self._failures[username.lower()] = recent
        else:
            self._failures.pop(username.lower(), None)
        return recent

    def blocked(self, username: str) -> bool:
        return len(self._recent(username)) >= self.limit

    def failed(self, username: str) -> None:
        self._recent(username)
        self._failures.setdefault(username.lower(), []).append(time.monotonic())
        if len(self._failures) > 100_000:  # a flood of made-up names: forget the oldest
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.lower(), None)


@dataclass
class Server:
    hub: Hub
    users: Users
    single_user: bool
    audio: AudioCache = field(default_factory=AudioCache)
    logins: LoginThrottle = field(default_factory=LoginThrottle)
    extra: dict[str, Any] = field(default_factory=dict)


def server_of(conn: HTTPConnection) -> Server:
    server: Server = conn.app.state.os1
    return server
