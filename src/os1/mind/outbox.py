"""When the companion speaks first: the message is stored, then offered to whoever listens.

A reminder, a check-in or a nudge is first written to the user's conversation (so it is never
lost, whichever interface is open or none), then published to the interfaces subscribed for
that user (a terminal, the web app's WebSocket). Nobody listening is fine: the stored message
is waiting the next time the user looks.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from os1.errors import NotFound, OS1Error
from os1.events import Notification
from os1.storage.base import Store

log = logging.getLogger(__name__)

# Proactive messages go to one conversation of their own, so they never interleave with a
# conversation the user is in the middle of.
CONVERSATION_TITLE = "From your companion"
PROFILE_KEY = "outbox_conversation"

Listener = Callable[[Notification], None]
# Carries a publication to every process serving the users (a server's bus); each of them,
# this one included, hands it to its own listeners with `dispatch`.
Relay = Callable[[str, Notification], None]


class Notifier:
    """Publish/subscribe of notifications, per user. Thread-safe: schedulers publish from
    worker threads, listeners are usually bound to an event loop. In-process unless a relay
    (the server's bus) carries publications across worker processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Listener]] = {}
        self._relay: Relay | None = None

    def relay_through(self, relay: Relay | None) -> None:
        """Send publications through `relay` from now on (None: back to in-process only)."""
        self._relay = relay

    def subscribe(self, user_id: str, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.setdefault(user_id, []).append(listener)

        def unsubscribe() -> None:
            with self._lock:
                listeners = self._listeners.get(user_id, [])
                if listener in listeners:
                    listeners.remove(listener)

        return unsubscribe

    def subscribe_queue(
        self, user_id: str, loop: asyncio.AbstractEventLoop
    ) -> tuple[asyncio.Queue[Notification], Callable[[], None]]:
        """A queue on `loop` that receives this user's notifications (for a WebSocket)."""
        queue: asyncio.Queue[Notification] = asyncio.Queue()

        def put(note: Notification) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, note)

        return queue, self.subscribe(user_id, put)

    def listening(self, user_id: str) -> int:
        with self._lock:
            return len(self._listeners.get(user_id, []))

    def publish(self, user_id: str, note: Notification) -> int:
        """Offer `note` to the user's listeners in every process the relay reaches; the
        number listening in this one."""
        relay = self._relay
        if relay is None:
            return self.dispatch(user_id, note)
        try:
            relay(user_id, note)
        except OS1Error as exc:
            # The bus is down: this process's listeners still get it; the message is stored.
            log.warning("notification not relayed to other workers: %s", exc)
            return self.dispatch(user_id, note)
        return self.listening(user_id)

    def dispatch(self, user_id: str, note: Notification) -> int:
        """Hand `note` to this process's listeners for the user."""
        with self._lock:
            listeners = list(self._listeners.get(user_id, []))
        for listener in listeners:
            try:
                listener(note)
            except RuntimeError:
                # A listener whose event loop has closed: it is going away.
                continue
        return len(listeners)


# One per process: the scheduler and the interfaces of a process meet here.
notifier = Notifier()


def outbox_conversation(store: Store) -> int:
    """The user's conversation for messages the companion starts (made once, atomically:
    two schedulers delivering at the same moment must not each start one)."""
    return store.ensure_conversation(PROFILE_KEY, CONVERSATION_TITLE)


def deliver(
    store: Store,
    text: str,
    kind: str,
    *,
    due_at: str | None = None,
    late: bool = False,
    meta: dict[str, Any] | None = None,
    notify: Notifier = notifier,
    conversation_id: int | None = None,
) -> Notification:
    """Store a message the companion starts, then publish it to open interfaces; in
    `conversation_id` (where a reminder was set) while it exists, else in the outbox."""
    conv = outbox_conversation(store) if conversation_id is None else conversation_id
    if conversation_id is not None:
        try:
            store.get_conversation(conversation_id)
        except NotFound:  # deleted since: the outbox takes it
            conv = outbox_conversation(store)
    stored = store.add_message(
        conv,
        "assistant",
        text,
        meta={"proactive": kind, "due_at": due_at, "late": late, **(meta or {})},
    )
    # -- inner life: a follow-up delivered is its thread asked, so nothing asks it again
    if kind == "followup" and isinstance((meta or {}).get("reminder_id"), int):
        from os1.inner.checkins import asked_proactively

        try:
            asked_proactively(store, int((meta or {})["reminder_id"]), stored.created_at)
        except OS1Error as exc:  # the message is out either way; only the thread lags
            log.warning("follow-up %s not matched to a thread: %s", stored.id, exc)
    # -- end inner life
    note = Notification(
        kind=kind,
        text=text,
        conversation_id=conv,
        message_id=stored.id,
        due_at=due_at,
        late=late,
    )
    notify.publish(store.user_id, note)
    return note
