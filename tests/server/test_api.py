"""The REST API as the web app uses it: memory, persona, preferences, errors, static files."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from os1.server.app import WEB_DIR
from tests.server.conftest import local_client, make_app


def remembered(client: TestClient, text: str) -> dict[str, object]:
    client.post("/api/chat", json={"text": text})
    return next(m for m in client.get("/api/memories").json() if text in str(m["text"]))


def test_correcting_a_memory_supersedes_it_and_recall_finds_the_new_text(
    client: TestClient,
) -> None:
    old = remembered(client, "My cat is called Tom")
    fixed = client.patch(f"/api/memories/{old['id']}", json={"text": "My cat is called Tim"})
    assert fixed.status_code == 200
    new = fixed.json()
    assert new["text"] == "My cat is called Tim" and "user:edit" in new["sources"]
    current = [m["text"] for m in client.get("/api/memories").json()]
    assert "My cat is called Tim" in current and "user: My cat is called Tom" not in current
    history = client.get("/api/memories", params={"all": True}).json()
    assert any(m["id"] == old["id"] and m["superseded_by"] == new["id"] for m in history)
    hits = client.get("/api/memories/search", params={"q": "cat Tim"}).json()
    assert hits[0]["id"] == new["id"]


def test_forgetting_a_memory_removes_what_came_from_it_and_the_turn(client: TestClient) -> None:
    memory = remembered(client, "I failed my driving test")
    forgotten = client.delete(f"/api/memories/{memory['id']}").json()["forgotten"]
    assert memory["id"] in forgotten
    assert client.get(f"/api/memories/{memory['id']}").status_code == 404
    hits = client.get("/api/memories/search", params={"q": "driving test"}).json()
    assert not {h["id"] for h in hits} & set(forgotten)
    conv = client.get("/api/conversations").json()[0]
    contents = [
        m["content"] for m in client.get(f"/api/conversations/{conv['id']}/messages").json()
    ]
    assert "I failed my driving test" not in contents
    assert client.delete(f"/api/memories/{memory['id']}").status_code == 404


def test_memories_page_by_limit_and_offset_and_filter_by_kind(client: TestClient) -> None:
    for text in ("one", "two", "three"):
        client.post("/api/chat", json={"text": text})
    everything = client.get("/api/memories", params={"kind": "episode"}).json()
    page = client.get("/api/memories", params={"kind": "episode", "limit": 2, "offset": 1}).json()
    assert [m["id"] for m in page] == [m["id"] for m in everything[1:3]]
    assert client.get("/api/memories", params={"kind": "gossip"}).status_code == 422


def test_export_is_json_lines_with_everything(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "remember the lighthouse"})
    response = client.get("/api/memories/export")
    assert "attachment" in response.headers["content-disposition"]
    records = [json.loads(line) for line in response.text.splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "export" and records[0]["user"] == "local"
    assert "memory" in kinds and "conversation" in kinds
    conversation = next(r for r in records if r["type"] == "conversation")
    assert conversation["messages"][0]["content"] == "remember the lighthouse"


def test_persona_edits_and_reset(client: TestClient) -> None:
    default = client.get("/api/persona").json()
    assert default["persona_custom"] is False and default["persona_text"]
    changed = client.put(
        "/api/persona", json={"persona_text": "You are {name}, terse.", "companion_name": "Iris"}
    ).json()
    assert changed["companion_name"] == "Iris" and changed["persona_custom"] is True
    assert client.put("/api/persona", json={"companion_name": "  "}).status_code == 400
    reset = client.put("/api/persona", json={"persona_text": ""}).json()
    assert reset["persona_text"] == default["persona_text"] and reset["persona_custom"] is False
    assert client.get("/api/persona").json()["companion_name"] == "Iris"


def test_settings_are_masked_and_only_preferences_change(home: Path) -> None:
    app = make_app(home)
    hub = app.state.os1.hub
    hub.settings = hub.settings.model_copy(update={"mail": {"work": {"password": "hunter2"}}})
    with local_client(app) as c:
        shown = c.get("/api/settings").json()
        assert "hunter2" not in json.dumps(shown)
        assert shown["settings"]["model"] == "scripted:echo"
        changed = c.patch("/api/settings", json={"voice_speed": 1.25, "theme": "dark"}).json()
        assert changed["preferences"]["voice_speed"] == 1.25
        refused = c.patch("/api/settings", json={"model": "openai:gpt"})
        assert refused.status_code == 422 and "model" in refused.json()["error"]["message"]
        assert c.patch("/api/settings", json={"voice_speed": 9}).status_code == 422


def test_errors_have_one_shape_with_the_right_status(client: TestClient) -> None:
    cases = [
        (client.get("/api/conversations/12345/messages"), 404, "not_found"),
        (client.post("/api/chat", json={"text": ""}), 400, "empty_message"),
        (client.post("/api/chat", json={"txt": "typo"}), 422, "invalid_request"),
        (client.post("/api/chat", json={"text": "x" * 40_000}), 413, "too_large"),
        (
            client.post("/api/chat", content=b"x" * (5 * 2**20), headers={"content-type": "a/b"}),
            413,
            "too_large",
        ),
        (client.delete("/api/conversations"), 405, "method_not_allowed"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code and error["message"]
    assert client.get("/api/conversations").json() == []  # nothing half-written


def test_a_model_that_is_down_is_a_502_and_the_message_is_kept(home: Path) -> None:
    from os1.models.scripted import ScriptedModel

    with local_client(make_app(home, model=ScriptedModel("down", fail_with="unreachable"))) as c:
        response = c.post("/api/chat", json={"text": "are you there"})
        assert response.status_code == 502
        assert response.json()["error"]["code"] == "model_unreachable"
        conv = c.get("/api/conversations").json()[0]
        kept = c.get(f"/api/conversations/{conv['id']}/messages").json()
    assert [m["content"] for m in kept] == ["are you there"]


def test_web_app_is_served_at_the_root(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200 and "<html" in index.text.lower()
    some_file = next(p for p in WEB_DIR.iterdir() if p.suffix in (".js", ".css"))
    assert client.get(f"/static/{some_file.name}").status_code == 200
    assert client.get(f"/{some_file.name}").status_code == 200
    assert client.get("/../pyproject.toml").status_code == 404
    assert client.get("/static/../../config.py").status_code == 404


def test_new_conversation_and_listing(client: TestClient) -> None:
    made = client.post("/api/conversations", json={"title": "Plans"})
    assert made.status_code == 201 and made.json()["title"] == "Plans"
    assert client.get(f"/api/conversations/{made.json()['id']}").json()["message_count"] == 0
    listed = client.get("/api/conversations").json()
    assert [c["title"] for c in listed] == ["Plans"]
