"""What every route reaches through `request.app.state.os1`: the hub, the accounts, the mode."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field
from starlette.requests import HTTPConnection

from os1.server.hub import Hub
from os1.server.throttle import LoginThrottle
from os1.server.users import Users

# SQLite integers are 64-bit: larger ids are refused as invalid, never reach a query.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


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


@dataclass
class Server:
    hub: Hub
    users: Users
    logins: LoginThrottle
    # `[server] single_user` is on and the server listens on a loopback address only.
    single_user_allowed: bool
    audio: AudioCache = field(default_factory=AudioCache)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def single_user(self) -> bool:
        """No login: allowed, and nobody has an account yet. Decided per request, so the
        first `os1 users add` turns login on at once, even while the server runs."""
        return self.single_user_allowed and not self.users.has_accounts()


def server_of(conn: HTTPConnection) -> Server:
    server: Server = conn.app.state.os1
    return server
