"""A turn over the WebSocket and REST: streamed events, confirmations, cancel, notifications."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path
from typing import Any

import pytest
import websockets
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from os1.inner import threads
from os1.language import analyzer, use_analyzer
from os1.language.analysis import Analysis
from os1.mind.outbox import deliver
from os1.server import create_app
from os1.skills import Skills
from os1.storage import SQLiteStore
from tests.server.conftest import GARDEN, GATE, WATERED, Multi, make_app, run_live, server_settings

WS = "ws://127.0.0.1/api/ws"


def until_done(ws: WebSocketTestSession) -> list[dict[str, Any]]:
    events = []
    while True:
        event = ws.receive_json()
        events.append(event)
        if event["type"] in ("done", "error"):
            return events


def test_websocket_streams_the_turn_as_typed_events(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        ws.send_json({"type": "say", "text": "hello there", "conversation_id": None})
        events = until_done(ws)
    types = [e["type"] for e in events]
    assert types[0] == "turn_started" and types[-1] == "done"
    assert "".join(e["text"] for e in events if e["type"] == "text_delta") == (
        "You said: hello there"
    )
    done = events[-1]
    assert done["status"] == "complete" and done["text"] == "You said: hello there"
    stored = client.get(f"/api/conversations/{done['conversation_id']}/messages").json()
    assert [m["content"] for m in stored] == ["hello there", "You said: hello there"]


def test_text_written_faster_than_the_socket_sends_goes_out_in_one_delta(
    client: TestClient,
) -> None:
    """Each frame costs the server far more than the few characters of a token: pieces the
    model has already written when the socket is free again go out together, the same text.
    (A model slower than the socket still streams piece by piece: see the cancel test.)"""
    with client.websocket_connect(WS) as ws:
        ws.send_json({"type": "say", "text": "one two three four five six"})
        events = until_done(ws)
    deltas = [e["text"] for e in events if e["type"] == "text_delta"]
    assert deltas == ["You said: one two three four five six"]
    assert events[-1]["text"] == "You said: one two three four five six"


def test_new_starts_a_conversation_and_an_id_continues_one(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        ws.send_json({"type": "say", "text": "first"})
        first = until_done(ws)[-1]["conversation_id"]
        ws.send_json({"type": "say", "text": "second", "new": True})
        second = until_done(ws)[-1]["conversation_id"]
        ws.send_json({"type": "say", "text": "third", "conversation_id": first})
        third = until_done(ws)[-1]["conversation_id"]
    assert second != first and third == first


def test_malformed_messages_get_an_error_and_the_socket_stays_open(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        for bad in ["not json", '{"type": "dance"}', '{"type": "say"}', "[1, 2]"]:
            ws.send_text(bad)
            error = ws.receive_json()
            assert error["type"] == "error" and error["code"] == "invalid_message", bad
        ws.send_json({"type": "say", "text": "   "})
        assert ws.receive_json()["code"] == "empty_message"
        ws.send_json({"type": "say", "text": "still here"})
        assert until_done(ws)[-1]["type"] == "done"
    assert client.get("/api/conversations").json()[0]["message_count"] == 2


def test_confirming_over_the_websocket_runs_the_action_once(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        ws.send_json({"type": "say", "text": "water the basil"})
        events = until_done(ws)
        confirm = next(e for e in events if e["type"] == "confirm")
        assert confirm["summary"] == "water the basil" and WATERED == []
        ws.send_json({"type": "confirm", "call_id": confirm["call_id"], "approve": True})
        result = until_done(ws)
        ws.send_json({"type": "confirm", "call_id": confirm["call_id"], "approve": True})
        again = ws.receive_json()
    assert any(e["type"] == "tool_result" and e["status"] == "done" for e in result)
    assert WATERED == ["local:basil"]
    assert again["type"] == "error" and again["code"] == "tool_error"


def test_rest_confirm_and_decline(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "water the fern"})
    client.post("/api/chat", json={"text": "water the cactus"})
    fern, cactus = client.get("/api/actions", params={"status": "pending"}).json()
    done = client.post(f"/api/actions/{fern['id']}/confirm").json()
    assert done == {"status": "done", "output": "Watered the fern.", "reply": "Watered the fern."}
    declined = client.post(f"/api/actions/{cactus['id']}/decline").json()
    assert declined["status"] == "declined" and WATERED == ["local:fern"]
    twice = client.post(f"/api/actions/{fern['id']}/confirm")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "tool_error"
    assert client.get("/api/actions", params={"status": "pending"}).json() == []
    assert client.post("/api/actions/call_nope/confirm").status_code == 404


def test_a_second_say_while_replying_is_refused_as_busy(home: Path) -> None:
    with TestClient(make_app(home), base_url="http://127.0.0.1") as c:
        with c.websocket_connect(WS) as ws:
            ws.send_json({"type": "say", "text": "wait for the gate"})
            assert ws.receive_json()["type"] == "turn_started"
            ws.send_json({"type": "say", "text": "and another thing"})
            busy = ws.receive_json()
            while busy["type"] != "error":  # tool_call events may come first
                busy = ws.receive_json()
            GATE.set()
            rest = until_done(ws)
    assert busy["code"] == "busy"
    assert rest[-1]["text"] == "The gate opened."


def test_one_users_blocked_turn_does_not_stall_another_user(multi: Multi) -> None:
    """Alice's turn blocks in its worker thread; Bob is answered meanwhile."""
    c = multi.client
    with c.websocket_connect(f"{WS}?token={multi.alice.token}") as alice:
        alice.send_json({"type": "say", "text": "wait for the gate"})
        assert alice.receive_json()["type"] == "turn_started"
        bob = c.post("/api/chat", json={"text": "are you there"}, headers=multi.bob.auth)
        assert bob.json()["reply"] == "You said: are you there"
        assert not GATE.is_set()  # alice's turn was still waiting all along
        GATE.set()
        assert until_done(alice)[-1]["text"] == "The gate opened."


async def test_cancel_stops_the_reply_and_keeps_what_was_written(home: Path) -> None:
    from os1.models.scripted import ScriptedModel

    slow = ScriptedModel("slow", ["one two three four five six seven eight"], delay=0.2)
    for live in run_live(make_app(home, model=slow)):
        async with websockets.connect(live.url.replace("http", "ws") + "/api/ws") as ws:
            await ws.send(json.dumps({"type": "say", "text": "talk slowly"}))
            seen = []
            while len([e for e in seen if e["type"] == "text_delta"]) < 2:
                seen.append(json.loads(await ws.recv()))
            await ws.send(json.dumps({"type": "cancel"}))
            await ws.send(json.dumps({"type": "say", "text": "are you still there"}))
            after = []
            while not after or after[-1]["type"] not in ("done", "error"):
                after.append(json.loads(await ws.recv()))
    store = SQLiteStore(home / "os1.db")
    try:
        messages = store.messages(seen[0]["conversation_id"])
    finally:
        store.close()
    cancelled = messages[1]
    assert cancelled.status == "cancelled" and cancelled.content.startswith("one two")
    assert "eight" not in cancelled.content
    assert messages[2].content == "are you still there"


async def test_socket_frames_are_sent_uncompressed_even_when_the_client_offers(
    home: Path,
) -> None:
    for live in run_live(make_app(home)):
        # The client offers permessage-deflate, as browsers do.
        async with websockets.connect(live.url.replace("http", "ws") + "/api/ws") as ws:
            assert ws.protocol.extensions == []
            await ws.send(json.dumps({"type": "say", "text": "hello"}))
            while json.loads(await ws.recv())["type"] not in ("done", "error"):
                pass


async def test_notifications_reach_only_their_users_open_sockets(home: Path) -> None:
    app = make_app(home, single_user=False)
    users = app.state.os1.users
    tokens = {}
    for name in ("alice", "bob"):
        users.add(name, f"{name}-password-1")
        tokens[name] = users.create_token(name)[1]
    alice_id = users.get("alice").id
    for live in run_live(app):
        base = live.url.replace("http", "ws") + "/api/ws?token="
        async with (
            websockets.connect(base + tokens["alice"]) as alice,
            websockets.connect(base + tokens["bob"]) as bob,
        ):
            await alice.send(json.dumps({"type": "ping"}))
            await bob.send(json.dumps({"type": "ping"}))
            assert json.loads(await alice.recv())["type"] == "pong"  # both subscribed by now
            assert json.loads(await bob.recv())["type"] == "pong"
            store = SQLiteStore(home / "os1.db", alice_id)
            try:
                note = await asyncio.to_thread(deliver, store, "Time for tea", "reminder")
            finally:
                store.close()
            got = json.loads(await asyncio.wait_for(alice.recv(), 10))
            await bob.send(json.dumps({"type": "ping"}))
            bob_next = json.loads(await asyncio.wait_for(bob.recv(), 10))
    assert got["type"] == "notification" and got["text"] == "Time for tea"
    assert got["message_id"] == note.message_id
    assert bob_next["type"] == "pong"  # bob heard nothing of alice's reminder


async def test_the_servers_scheduler_delivers_a_due_reminder_to_the_open_socket(
    home: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from os1.skills.reminders import book
    from os1.skills.reminders.parse import When

    app = create_app(
        home,
        server_settings().model_copy(
            update={
                "reminders": {"tick_seconds": 0.2},
                "proactive": {"hold_late_reminders": False},
            }
        ),
        skills=Skills([GARDEN]),
    )
    for live in run_live(app):
        async with websockets.connect(live.url.replace("http", "ws") + "/api/ws") as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
            store = SQLiteStore(home / "os1.db")
            try:
                due = datetime.now(UTC) - timedelta(seconds=1)
                book.add(store, "stretch your legs", When(due=due), "UTC")
            finally:
                store.close()
            got = json.loads(await asyncio.wait_for(ws.recv(), 20))
    assert got["type"] == "notification" and "stretch your legs" in got["text"]


def test_a_started_server_keeps_what_it_loaded_out_of_full_collections(home: Path) -> None:
    # A full collection walks every tracked object with the GIL held: the language pipeline
    # alone made each one ~80 ms, a pause every open turn waited for.
    gc.unfreeze()
    threads._parse_date.cache_clear()
    try:
        with TestClient(make_app(home), base_url="http://127.0.0.1"):
            # The pipeline is loaded before the server takes turns, and frozen with the rest.
            assert analyzer()._nlp is not None  # type: ignore[attr-defined]
            # So are dateparser's tables, built on the first phrase it reads (~85 ms): that
            # was the first turn to name a day.
            assert threads._parse_date.cache_info().misses >= 1
            walked = len(gc.get_objects())  # what a full collection would walk now
            assert gc.get_freeze_count() > 50_000 and walked < gc.get_freeze_count()
    finally:
        gc.unfreeze()


def test_a_server_whose_language_pipeline_does_not_load_still_starts(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Missing:
        name = "missing"

        def analyze(self, text: str) -> Analysis:
            raise OSError("no such model")

    with use_analyzer(Missing()), TestClient(make_app(home), base_url="http://127.0.0.1") as c:
        assert c.get("/healthz").status_code == 200
    assert "did not load at start-up: no such model" in caplog.text
