"""Hands-free voice over the WebSocket `/api/voice/live`: microphone PCM in, events and the
reply's voice out, barge-in, through the real server app (scripted model, fake engines)."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from starlette.testclient import WebSocketTestSession

from os1.models.scripted import ScriptedModel
from tests.server.conftest import local_client, make_app

LONG_REPLY = (
    "That sounds like a heavy day. I am glad you told me about it. "
    "Do you want to talk about what happened at work? "
    "Or we could talk about something else entirely. "
    "Either way, I am here with you for as long as you like. "
    "Some days are like that, and they pass. Tell me whatever you want, in any order."
)


def pcm(kind: str, seconds: float) -> bytes:
    n = int(seconds * 16_000)
    if kind == "silence":
        return np.zeros(n, "<i2").tobytes()
    t = np.arange(n) / 16_000
    wave = 0.3 * np.sin(2 * np.pi * 180 * t) + np.random.default_rng(1).normal(0, 0.05, n)
    return (wave * 32767).astype("<i2").tobytes()


PACKET = 3200  # 100 ms of 16 kHz int16, as a browser sends them
WAIT_SECONDS = 30  # far beyond any event's latency: reaching it means the event never comes


def send(ws: WebSocketTestSession, kind: str, seconds: float, *, live: bool = False) -> None:
    """The microphone: `live` paces the packets in real time, as a browser's arrive. Speech
    over OS1's voice must be live: its words are checked while they come, and audio sent all
    at once is over before a decode of it is done."""
    data = pcm(kind, seconds)
    for start in range(0, len(data), PACKET):
        ws.send_bytes(data[start : start + PACKET])
        if live:
            time.sleep(PACKET / 2 / 16_000)  # int16: 2 bytes a sample


def _receive(ws: WebSocketTestSession, seconds: float) -> Any:
    """The next message, or None after `seconds` (the test session's own receive has no
    timeout, and a missing event would hang the suite)."""

    async def within() -> Any:
        with anyio.move_on_after(seconds):
            return await ws._send_rx.receive()
        return None

    return ws.portal.call(within)


def until(ws: WebSocketTestSession, kind: str, seen: list[Any]) -> Any:
    """Read events and audio until an event of `kind` ("audio" for the voice), sending
    silence meanwhile as a live microphone does: the turn's end is a silence heard, not the
    audio stopping."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        message = _receive(ws, PACKET / 2 / 16_000)  # a packet's worth of time
        if message is None:
            ws.send_bytes(bytes(PACKET))
            continue
        if message.get("bytes") is not None:
            seen.append(message["bytes"])
            if kind == "audio":
                return message["bytes"]
        elif message.get("text") is not None:
            event = json.loads(message["text"])
            seen.append(event)
            if event["type"] == kind:
                return event
            assert event["type"] != "error", event
        else:
            raise AssertionError(f"socket closed before {kind!r}: {seen}")
    events = [m for m in seen if isinstance(m, dict)]
    raise AssertionError(f"no {kind!r} within {WAIT_SECONDS} s: {events}")


def test_a_spoken_turn_is_heard_and_answered_in_voice_over_the_socket(home: Path) -> None:
    client = local_client(make_app(home, model=ScriptedModel(replies=["Hello to you too."])))
    seen: list[Any] = []
    with client, client.websocket_connect("ws://127.0.0.1/api/voice/live") as ws:
        conv = until(ws, "listening", seen)["conversation_id"]
        send(ws, "silence", 0.3)
        send(ws, "speech", 1.0)
        send(ws, "silence", 1.6)
        until(ws, "speech_started", seen)
        assert until(ws, "heard", seen)["text"] == "hello there"
        audio = until(ws, "audio", seen)
        (rate,) = struct.unpack("<I", audio[:4])
        assert rate == 16_000 and len(audio) > 4 + 100
        # Hanging up mid-reply would keep only what was heard: let it be said to its end.
        until(ws, "spoken", seen)
        ws.send_text(json.dumps({"type": "stop"}))
        messages = client.get(f"/api/conversations/{conv}/messages").json()
    assert [(m["role"], m["content"], m["status"]) for m in messages] == [
        ("user", "hello there", "complete"),
        ("assistant", "Hello to you too.", "complete"),
    ]


def test_talking_over_the_reply_stops_it_and_keeps_only_what_was_sent(home: Path) -> None:
    model = ScriptedModel(replies=[LONG_REPLY, "Go on."], delay=0.05)
    client = local_client(make_app(home, model=model))
    seen: list[Any] = []
    with client, client.websocket_connect("ws://127.0.0.1/api/voice/live?new=1") as ws:
        conv = until(ws, "listening", seen)["conversation_id"]
        send(ws, "silence", 0.3)
        send(ws, "speech", 1.0)
        send(ws, "silence", 1.6)
        until(ws, "audio", seen)
        until(ws, "audio", seen)
        # The user talks over it, for long enough that their words tell them from the voice's
        # own echo.
        send(ws, "speech", 1.2, live=True)
        interrupted = until(ws, "interrupted", seen)
        ws.send_text(json.dumps({"type": "stop"}))
        messages = client.get(f"/api/conversations/{conv}/messages").json()
    reply = messages[1]
    assert reply["status"] == "interrupted"
    assert reply["content"] == interrupted["spoken"]
    assert reply["content"] and len(reply["content"]) < len(LONG_REPLY)


def test_talking_over_a_reply_already_written_cuts_it_back_to_what_was_sent(home: Path) -> None:
    model = ScriptedModel(replies=[LONG_REPLY, "Go on."])  # written in a moment, spoken in seconds
    client = local_client(make_app(home, model=model))
    seen: list[Any] = []
    with client, client.websocket_connect("ws://127.0.0.1/api/voice/live?new=1") as ws:
        conv = until(ws, "listening", seen)["conversation_id"]
        send(ws, "silence", 0.3)
        send(ws, "speech", 1.0)
        send(ws, "silence", 1.6)
        written = until(ws, "reply", seen)
        until(ws, "audio", seen)
        # The user talks over it, for long enough that their words tell them from the voice's
        # own echo.
        send(ws, "speech", 1.2, live=True)
        interrupted = until(ws, "interrupted", seen)
        ws.send_text(json.dumps({"type": "stop"}))
        messages = client.get(f"/api/conversations/{conv}/messages").json()
    assert written["text"] == LONG_REPLY
    reply = messages[1]
    assert (reply["id"], reply["status"]) == (written["message_id"], "interrupted")
    assert reply["content"] == interrupted["spoken"]
    assert reply["content"] and len(reply["content"]) < len(LONG_REPLY)


def test_a_socket_from_another_site_is_refused(home: Path) -> None:
    client = local_client(make_app(home))
    with (
        client,
        client.websocket_connect(
            "ws://127.0.0.1/api/voice/live", headers={"Origin": "https://evil.example"}
        ) as ws,
    ):
        event = json.loads(ws.receive_text())
    assert event["type"] == "error" and event["code"] == "forbidden"
