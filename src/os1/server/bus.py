"""The notification bus: what the companion says first reaches the user's sockets in every
worker process, whichever worker's scheduler or turn produced it.

The outbox stores each message first and then publishes it on the process's `notifier`. With
one process (SQLite) that is the whole story: `LocalBus` leaves publications in the process.
With PostgreSQL, `PostgresBus` relays every publication through NOTIFY on one channel, and a
thread in each worker LISTENs and hands what arrives to that worker's sockets (the sending
worker hears its own NOTIFY, so every socket is served by one path). A notification missed
while a worker reconnects is not lost: it is stored, and the app shows it on the next load.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Protocol

from os1.errors import OS1Error
from os1.events import Notification
from os1.mind.outbox import Notifier, notifier

log = logging.getLogger("os1.server")

CHANNEL = "os1_notifications"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a longer text is cut for the
# live copy only (the stored message keeps all of it).
MAX_PAYLOAD = 7900


class Bus(Protocol):
    def close(self) -> None: ...


class LocalBus:
    """One process: publications are dispatched where they are made."""

    def close(self) -> None:
        pass


def encode(user_id: str, note: Notification) -> str:
    """The NOTIFY payload for one notification: ASCII JSON, at most MAX_PAYLOAD bytes."""
    body = note.model_dump(mode="json")
    payload = json.dumps({"user_id": user_id, "note": body})
    while len(payload) > MAX_PAYLOAD:
        text: str = body["text"]
        # Escaped characters take up to 6 bytes each: cut at least the excess, then check.
        body["text"] = text[: max(0, len(text) - (len(payload) - MAX_PAYLOAD) - 1)] + "…"
        payload = json.dumps({"user_id": user_id, "note": body})
    return payload


def decode(payload: str) -> tuple[str, Notification]:
    data = json.loads(payload)
    return str(data["user_id"]), Notification.model_validate(data["note"])


class PostgresBus:
    """NOTIFY to publish, a LISTEN thread to receive; shared by every app of the process."""

    def __init__(self, url: str, notify_to: Notifier = notifier, channel: str = CHANNEL) -> None:
        from os1.storage.postgres import Listener

        self.url = url
        self.notifier = notify_to
        self.channel = channel
        self._stop = threading.Event()
        # Opened here, so that a database that cannot be reached fails the start-up.
        self._listener: Listener | None = Listener(url, channel)
        self._thread = threading.Thread(target=self._listen, name="os1-bus", daemon=True)
        self._thread.start()
        notify_to.relay_through(self.send)

    def send(self, user_id: str, note: Notification) -> None:
        from os1.storage.postgres import notify

        notify(self.url, self.channel, encode(user_id, note))

    def _listen(self) -> None:
        from os1.storage.postgres import Listener

        down = False  # said once per outage, not once per retry
        while not self._stop.is_set():
            try:
                if self._listener is None:
                    self._listener = Listener(self.url, self.channel)
                if down:
                    log.warning("notification bus reconnected")
                    down = False
                for payload in self._listener.receive(timeout=0.5):
                    try:
                        user_id, note = decode(payload)
                    except (ValueError, KeyError) as exc:
                        log.warning("a malformed notification was dropped: %s", exc)
                        continue
                    self.notifier.dispatch(user_id, note)
            except OS1Error as exc:
                if not down:
                    log.warning("notification bus lost its connection: %s", exc)
                    down = True
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
                self._stop.wait(1.0)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def close(self) -> None:
        self.notifier.relay_through(None)
        self._stop.set()
        self._thread.join(timeout=5)


_shared: dict[str, tuple[PostgresBus, int]] = {}
_shared_guard = threading.Lock()


class _Handle:
    """One app's use of its process's bus: the last one closed stops it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._closed = False

    def close(self) -> None:
        with _shared_guard:
            if self._closed:
                return
            self._closed = True
            bus, users = _shared[self.url]
            if users > 1:
                _shared[self.url] = (bus, users - 1)
                return
            del _shared[self.url]
        bus.close()


def open_bus(database_url: str | None) -> Bus:
    """The bus for a database: PostgreSQL's when it is one, otherwise in-process. Apps in one
    process share one (two relays on one notifier would hand every message over twice)."""
    from os1.storage import is_postgres_url

    if database_url is None or not is_postgres_url(database_url):
        return LocalBus()
    with _shared_guard:
        bus, users = _shared.get(database_url) or (None, 0)
        if bus is None:
            bus = PostgresBus(database_url)
        _shared[database_url] = (bus, users + 1)
    return _Handle(database_url)
