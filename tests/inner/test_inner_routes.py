"""The inner life's pages over HTTP: story, journal, threads, the self and a piece of music,
each user seeing and changing only their own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import Account, add_account, local_client, make_app


@dataclass
class Two:
    client: TestClient
    alice: Account
    bob: Account


@pytest.fixture
def two(home: Path) -> Iterator[Two]:
    app = make_app(home, single_user=False)
    alice, bob = add_account(app, "alice"), add_account(app, "bob")
    with local_client(app) as c:
        yield Two(c, alice, bob)


def chat(two: Two, who: Account, text: str, **extra: Any) -> dict[str, Any]:
    reply = two.client.post("/api/chat", json={"text": text, **extra}, headers=who.auth)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def get(two: Two, who: Account, path: str, **params: Any) -> Any:
    reply = two.client.get(path, headers=who.auth, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_story_journal_and_threads_are_the_users_own(
    two: Two, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OS1_NOW", "2026-03-04T12:00")
    chat(two, two.alice, "I had lunch with Anna in Lisbon today.")
    chat(two, two.alice, "My interview is on Friday.")
    monkeypatch.setenv("OS1_NOW", "2026-03-05T09:00")
    chat(two, two.alice, "Good morning!")

    [met] = get(two, two.alice, "/api/inner/story")
    assert (met["day"], met["kind"]) == ("2026-03-04", "met")
    [entry] = get(two, two.alice, "/api/inner/journal")
    assert entry["day"] == "2026-03-04" and "Anna" in entry["text"]
    [thread] = get(two, two.alice, "/api/inner/threads")
    assert thread["question"] == "How did your interview go?"

    assert get(two, two.bob, "/api/inner/journal") == []
    assert get(two, two.bob, "/api/inner/threads") == []
    c, bob = two.client, two.bob.auth
    assert c.delete(f"/api/inner/journal/{entry['id']}", headers=bob).status_code == 404
    assert c.post(f"/api/inner/threads/{thread['id']}/close", headers=bob).status_code == 404
    assert len(get(two, two.alice, "/api/inner/journal")) == 1

    closed = c.post(f"/api/inner/threads/{thread['id']}/close", headers=two.alice.auth)
    assert closed.json()["state"] == "closed"
    assert c.delete(f"/api/inner/journal/{entry['id']}", headers=two.alice.auth).status_code == 204
    assert get(two, two.alice, "/api/inner/journal") == []


def test_the_self_is_seen_edited_and_reset_by_its_user_alone(two: Two) -> None:
    c, alice = two.client, two.alice.auth
    added = c.post(
        "/api/inner/self/claims",
        json={"kind": "opinion", "text": "Rain suits long talks", "why": "ours were"},
        headers=alice,
    )
    assert added.status_code == 201, added.text
    [claim] = added.json()["claims"]
    changed = c.patch(
        f"/api/inner/self/claims/{claim['id']}",
        json={"text": "Rain suits slow talks", "reason": "my word"},
        headers=alice,
    )
    assert changed.json()["claims"][0]["text"] == "Rain suits slow talks"
    assert get(two, two.bob, "/api/inner/self") == {"version": 0, "claims": []}
    bobs = c.patch(
        f"/api/inner/self/claims/{claim['id']}", json={"text": "x"}, headers=two.bob.auth
    )
    assert bobs.status_code == 404

    history = get(two, two.alice, "/api/inner/self/history")
    assert [v["reason"] for v in history] == ["added by the user", "my word"]
    back = c.post("/api/inner/self/reset", json={"version": 1}, headers=alice).json()
    assert back["version"] == 3
    assert back["claims"][0]["text"] == "Rain suits long talks"
    assert get(two, two.alice, "/api/inner/self", version=2)["claims"][0]["text"] == (
        "Rain suits slow talks"
    )
    bad = c.post("/api/inner/self/claims", json={"kind": "persona", "text": "x"}, headers=alice)
    assert bad.status_code == 400 and "no kind of claim" in bad.json()["error"]["message"]
    gone = c.delete(f"/api/inner/self/claims/{claim['id']}", headers=alice)
    assert gone.json()["claims"] == []


def test_a_piece_of_music_of_our_time_comes_back_as_audio_or_midi(two: Two) -> None:
    pytest.importorskip("mido", reason="composing needs mido (pip install mido)")
    c, alice = two.client, two.alice.auth
    nothing = c.post("/api/inner/compose", json={}, headers=alice)
    assert nothing.status_code == 404
    chat(two, two.alice, "What a wonderful, happy day it was!")
    piece = c.post("/api/inner/compose", json={}, headers=alice)
    assert piece.status_code == 200, piece.text
    assert piece.headers["content-type"] in ("audio/wav", "audio/midi")
    assert piece.content[:4] == (
        b"RIFF" if piece.headers["content-type"] == "audio/wav" else b"MThd"
    )
    assert piece.headers["x-os1-key"].endswith("major")
    assert c.post("/api/inner/compose", json={}, headers=two.bob.auth).status_code == 404
