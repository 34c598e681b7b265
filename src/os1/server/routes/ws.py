"""The turn's event stream over a WebSocket, confirmations, cancel, and the companion's own
messages (notifications) as they are delivered.

Client → server: `{"type": "say", "text", "conversation_id", "new"}`,
`{"type": "confirm", "call_id", "approve"}`, `{"type": "cancel"}`.
Server → client: every turn event as JSON (with its `type`) and `notification` events. A bad
message gets an `error` event; the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from os1.errors import OS1Error
from os1.events import Event, TextDelta, TurnError
from os1.mind.outbox import notifier
from os1.server.auth import Caller, identify_socket
from os1.server.errors import Busy
from os1.server.state import RowId, server_of

router = APIRouter()
log = logging.getLogger("os1.server")

MAX_FRAME = 256 * 1024


class Say(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["say"]
    text: str
    conversation_id: RowId | None = None
    new: bool = False


class Confirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["confirm"]
    call_id: str = Field(min_length=1, max_length=200)
    approve: bool


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["cancel"]


class Ping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["ping"]


ClientMessage = Annotated[Say | Confirm | Cancel | Ping, Field(discriminator="type")]
client_message: TypeAdapter[Say | Confirm | Cancel | Ping] = TypeAdapter(ClientMessage)


def _error(code: str, message: str, hint: str = "") -> dict[str, Any]:
    return TurnError(code=code, message=message, hint=hint).model_dump(mode="json")


class Session:
    """One open socket: at most one turn at a time, sends serialised."""

    def __init__(self, ws: WebSocket, caller: Caller) -> None:
        self.ws = ws
        self.caller = caller
        self.hub = server_of(ws).hub
        self.task: asyncio.Task[None] | None = None
        self._finished = True
        self._send_lock = asyncio.Lock()

    async def send(self, data: dict[str, Any] | Event) -> None:
        # An event is written by pydantic's own serialiser in one step (no dict in between):
        # a reply streams one event per token.
        text = (
            json.dumps(data, ensure_ascii=False)
            if isinstance(data, dict)
            else data.model_dump_json()
        )
        async with self._send_lock:
            await self.ws.send_text(text)

    async def handle(self, raw: str) -> None:
        if len(raw) > MAX_FRAME:
            await self.send(_error("too_large", f"messages are limited to {MAX_FRAME} bytes"))
            return
        try:
            message = client_message.validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "message"
            await self.send(
                _error(
                    "invalid_message",
                    f"{where}: {first['msg']}",
                    'Send {"type": "say", "text": "…"}, {"type": "confirm", "call_id": "…", '
                    '"approve": true} or {"type": "cancel"}.',
                )
            )
            return
        if isinstance(message, Ping):
            await self.send({"type": "pong"})
        elif isinstance(message, Cancel):
            await self.cancel()
        elif self.replying:
            busy = Busy("a reply is still being written")
            await self.send(_error(busy.code, busy.message, busy.hint))
        else:
            if self.task is not None and not self.task.done():
                await asyncio.wait([self.task])  # its last event is out; it is tidying up
            if isinstance(message, Say):
                self.start(self._say(message))
            else:
                self.start(self.hub.decide(self.caller.user_id, message.call_id, message.approve))

    @property
    def replying(self) -> bool:
        """A turn is running and has not sent its last event (done or error) yet."""
        return self.task is not None and not self.task.done() and not self._finished

    def start(self, events: AsyncIterator[Event]) -> None:
        self._finished = False
        self.task = asyncio.get_running_loop().create_task(self._forward(events))

    async def _say(self, message: Say) -> AsyncIterator[Event]:
        async for event in self.hub.turn(
            self.caller.user_id, message.text, message.conversation_id, new=message.new
        ):
            yield event

    async def _forward(self, events: AsyncIterator[Event]) -> None:
        """Send the turn's events in order. The turn runs as a task of its own that queues
        them: text deltas that are ready together (a model faster than the socket) go out
        as one frame, since each frame costs the server far more than its few characters.
        A delta is never held back waiting for the next one."""
        ready: asyncio.Queue[Event | OS1Error | None] = asyncio.Queue()
        producer = asyncio.get_running_loop().create_task(_produce(events, ready))
        try:
            while (item := await ready.get()) is not None:
                batch: list[Event | OS1Error | None] = [item]
                while not ready.empty():
                    batch.append(ready.get_nowait())
                for event in _joined(batch):
                    if isinstance(event, OS1Error):
                        raise event
                    if event is None:
                        return
                    if event.type in ("done", "error"):
                        self._finished = True
                    await self.send(event)
        except OS1Error as exc:
            self._finished = True
            await self.send(_error(exc.code, exc.message, exc.hint))
        except (WebSocketDisconnect, RuntimeError):
            pass  # the socket went away mid-reply; the companion kept what it had written
        finally:
            # Cancelled (or the socket gone): the turn is stopped and keeps what it wrote,
            # stored before cancel() returns, as when the turn ran in this task.
            if not producer.done():
                producer.cancel()
            await asyncio.wait([producer])
            if not producer.cancelled() and (failure := producer.exception()) is not None:
                log.error("a turn failed unexpectedly", exc_info=failure)

    async def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def notifications(self) -> None:
        queue, unsubscribe = notifier.subscribe_queue(
            self.caller.user_id, asyncio.get_running_loop()
        )
        try:
            while True:
                note = await queue.get()
                await self.send(note)
        except (WebSocketDisconnect, RuntimeError):
            pass  # closed: the message is stored and waits in the conversation
        finally:
            unsubscribe()


async def _produce(
    events: AsyncIterator[Event], ready: asyncio.Queue[Event | OS1Error | None]
) -> None:
    """Run the turn, queueing its events; then an expected failure, if any; then None."""
    try:
        async with contextlib.aclosing(events):  # type: ignore[type-var]
            async for event in events:
                ready.put_nowait(event)
    except OS1Error as exc:
        ready.put_nowait(exc)
    finally:
        ready.put_nowait(None)


def _joined(
    batch: list[Event | OS1Error | None],
) -> list[Event | OS1Error | None]:
    """The batch with each run of consecutive text deltas joined into one."""
    joined: list[Event | OS1Error | None] = []
    for item in batch:
        last = joined[-1] if joined else None
        if isinstance(item, TextDelta) and isinstance(last, TextDelta):
            joined[-1] = TextDelta(text=last.text + item.text)
        else:
            joined.append(item)
    return joined


@router.websocket("/api/ws")
async def socket(ws: WebSocket) -> None:
    """Authenticated by the login cookie, `?token=` or (single-user mode) nothing."""
    try:
        caller = identify_socket(ws)
    except OS1Error as exc:
        await ws.accept()
        await ws.send_text(json.dumps(_error(exc.code, exc.message, exc.hint)))
        await ws.close(code=4401 if exc.code == "auth_required" else 4403)
        return
    await ws.accept()
    session = Session(ws, caller)
    listener = asyncio.get_running_loop().create_task(session.notifications())
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:
                await session.send(_error("invalid_message", "send JSON in text frames"))
                continue
            await session.handle(raw)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        listener.cancel()
        # Leaving stops a reply in progress; what was written is stored as cancelled.
        await session.cancel()
