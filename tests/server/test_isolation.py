"""No user can read, search, edit, confirm or forget another user's data, by any route."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.server.conftest import WATERED, Account, Multi


@dataclass
class AliceData:
    conversation: int
    memory: int
    action: str


def alice_data(multi: Multi) -> AliceData:
    c, auth = multi.client, multi.alice.auth
    chat = c.post("/api/chat", json={"text": "I keep bees in Oslo"}, headers=auth).json()
    c.post(
        "/api/chat",
        json={"text": "water the fern", "conversation_id": chat["conversation_id"]},
        headers=auth,
    )
    action = c.get("/api/actions", params={"status": "pending"}, headers=auth).json()[0]["id"]
    memory = next(
        m["id"] for m in c.get("/api/memories", headers=auth).json() if "bees" in m["text"]
    )
    return AliceData(chat["conversation_id"], memory, action)


def alice_is_intact(multi: Multi, data: AliceData) -> None:
    c, auth = multi.client, multi.alice.auth
    messages = c.get(f"/api/conversations/{data.conversation}/messages", headers=auth).json()
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "I keep bees in Oslo",
        "water the fern",
    ]
    memory = c.get(f"/api/memories/{data.memory}", headers=auth).json()
    assert memory["text"] == "user: I keep bees in Oslo" and memory["superseded_by"] is None
    pending = c.get("/api/actions", params={"status": "pending"}, headers=auth).json()
    assert [a["id"] for a in pending] == [data.action]
    assert WATERED == []


FOREIGN_ROUTES = [
    ("GET", "/api/conversations/{conversation}", None),
    ("GET", "/api/conversations/{conversation}/messages", None),
    ("POST", "/api/chat", {"text": "let me in", "conversation_id": "{conversation}"}),
    ("GET", "/api/memories/{memory}", None),
    ("PATCH", "/api/memories/{memory}", {"text": "bob was here"}),
    ("DELETE", "/api/memories/{memory}", None),
    ("POST", "/api/actions/{action}/confirm", None),
    ("POST", "/api/actions/{action}/decline", None),
]


@pytest.mark.parametrize(("method", "path", "body"), FOREIGN_ROUTES)
def test_another_users_ids_are_not_found_and_nothing_changes(
    multi: Multi, method: str, path: str, body: dict[str, object] | None
) -> None:
    data = alice_data(multi)
    ids = {"conversation": data.conversation, "memory": data.memory, "action": data.action}
    if body is not None:
        body = {k: (ids[v[1:-1]] if v == "{conversation}" else v) for k, v in body.items()}
    response = multi.client.request(method, path.format(**ids), json=body, headers=multi.bob.auth)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    alice_is_intact(multi, data)
    # …and bob got nothing half-written either.
    assert multi.client.get("/api/conversations", headers=multi.bob.auth).json() == []


def listing(multi: Multi, who: Account, path: str, **params: object) -> str:
    response = multi.client.get(path, params=params, headers=who.auth)
    assert response.status_code == 200
    return response.text


def test_listings_search_and_export_show_only_your_own(multi: Multi) -> None:
    data = alice_data(multi)
    multi.client.post("/api/chat", json={"text": "I grow tomatoes"}, headers=multi.bob.auth)
    for path, params in [
        ("/api/conversations", {}),
        ("/api/memories", {}),
        ("/api/memories", {"all": True}),
        ("/api/memories/search", {"q": "bees Oslo"}),
        ("/api/memories/export", {}),
        ("/api/actions", {}),
    ]:
        seen_by_bob = listing(multi, multi.bob, path, **params)
        assert "bees" not in seen_by_bob and data.action not in seen_by_bob, path
    assert "tomatoes" in listing(multi, multi.bob, "/api/memories/export")
    assert "tomatoes" not in listing(multi, multi.alice, "/api/memories/export")


def test_persona_and_preferences_are_per_user(multi: Multi) -> None:
    c = multi.client
    c.put("/api/persona", json={"companion_name": "Samantha"}, headers=multi.bob.auth)
    c.patch("/api/settings", json={"voice_speed": 1.7}, headers=multi.bob.auth)
    alice_persona = c.get("/api/persona", headers=multi.alice.auth).json()
    alice_prefs = c.get("/api/settings", headers=multi.alice.auth).json()["preferences"]
    assert alice_persona["companion_name"] == "OS1" and alice_prefs["voice_speed"] == 1.0
    assert c.get("/api/persona", headers=multi.bob.auth).json()["companion_name"] == "Samantha"


def test_websocket_confirm_of_another_users_action_is_refused(multi: Multi) -> None:
    data = alice_data(multi)
    url = f"ws://127.0.0.1/api/ws?token={multi.bob.token}"
    with multi.client.websocket_connect(url) as ws:
        ws.send_json({"type": "confirm", "call_id": data.action, "approve": True})
        event = ws.receive_json()
    assert event["type"] == "error" and event["code"] == "not_found"
    alice_is_intact(multi, data)


def test_openai_route_cannot_continue_another_users_conversation(multi: Multi) -> None:
    data = alice_data(multi)
    response = multi.client.post(
        "/v1/chat/completions",
        json={"model": "os1", "messages": [{"role": "user", "content": "hello"}]},
        headers={**multi.bob.auth, "X-OS1-Conversation": str(data.conversation)},
    )
    assert response.status_code == 404
    alice_is_intact(multi, data)


def test_the_same_openai_user_field_means_different_conversations_per_account(
    multi: Multi,
) -> None:
    body = {"model": "os1", "user": "laptop", "messages": [{"role": "user", "content": "hi"}]}
    a = multi.client.post("/v1/chat/completions", json=body, headers=multi.alice.auth)
    b = multi.client.post("/v1/chat/completions", json=body, headers=multi.bob.auth)
    assert a.headers["X-OS1-Conversation"] != b.headers["X-OS1-Conversation"]


def test_spoken_reply_audio_is_only_for_its_owner(multi: Multi) -> None:
    server = multi.app.state.os1
    server.audio.put("abc123", multi.alice.user_id, b"RIFF")
    assert multi.client.get("/api/voice/audio/abc123", headers=multi.bob.auth).status_code == 404
    assert multi.client.get("/api/voice/audio/abc123", headers=multi.alice.auth).status_code == 200
