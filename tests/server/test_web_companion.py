"""The REST side of the companion on the web: first meeting, rendered persona, memory view."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from os1.memory.about import second_person

ANSWERS = {
    "user_name": "Ada",
    "social": "I recharge on my own, by the sea",
    "current_life": "a new job",
    "hopes": "someone to think out loud with",
    "voice": "calm and soft please",
}


def test_onboarding_offers_the_terminal_questions_until_it_is_done(client: TestClient) -> None:
    first = client.get("/api/onboarding").json()
    assert first["onboarded"] is False and first["welcome"]
    assert [q["key"] for q in first["questions"]][0] == "user_name"
    met = client.post("/api/onboarding", json={"answers": ANSWERS})
    assert met.status_code == 200
    body = met.json()
    persona = body["persona"]
    assert persona["onboarded"] is True and persona["user_name"] == "Ada"
    assert persona["voice"] == "calm" and persona["companion_name"] != "OS1"
    assert body["intro"].startswith("Hi Ada.") and persona["companion_name"] in body["intro"]
    assert persona["name_reason"] and persona["name_reason"] in body["intro"]
    assert client.get("/api/onboarding").json()["onboarded"] is True


def test_onboarding_refuses_answers_to_questions_it_did_not_ask(client: TestClient) -> None:
    refused = client.post("/api/onboarding", json={"answers": {"password": "x"}})
    assert refused.status_code == 400
    assert client.get("/api/persona").json()["onboarded"] is False


def test_the_persona_comes_rendered_with_both_names(client: TestClient) -> None:
    client.put("/api/persona", json={"companion_name": "Iris", "user_name": "Ada"})
    persona = client.get("/api/persona").json()
    assert "{name}" in persona["persona_text"]
    assert "{name}" not in persona["rendered"] and "{user_name}" not in persona["rendered"]
    assert persona["rendered"].startswith("You are Iris") and "Ada" in persona["rendered"]


def test_second_person_reads_as_said_to_the_user() -> None:
    names = ["user", "Ada"]
    assert second_person("User's sister is called Anna.", names) == "Your sister is called Anna."
    assert second_person("Anna is user's sister.", names) == "Anna is your sister."
    assert second_person("Ada loves green tea.", names) == "You love green tea."
    assert second_person("User is going to Rome.", names) == "You are going to Rome."
    assert second_person("Ada watches birds.", names) == "You watch birds."
    assert second_person("Tom lives in Oslo.", names) == "Tom lives in Oslo."


def about(client: TestClient, **params: str | bool) -> list[dict[str, Any]]:
    response = client.get("/api/memories/about", params=params)
    assert response.status_code == 200, response.text
    lines: list[dict[str, Any]] = response.json()
    return lines


def test_what_i_know_is_in_the_second_person_merged_and_grouped_by_person(
    client: TestClient,
) -> None:
    for text in ("My sister is called Anna", "I love green tea", "Anna likes jazz"):
        client.post("/api/chat", json={"text": text})
    lines = about(client)
    texts = [line["text"] for line in lines]
    assert "You love green tea." in texts
    sister = [line for line in lines if "sister" in str(line["text"])]
    assert len(sister) == 1 and sister[0]["text"] == "Your sister is called Anna."
    assert len(sister[0]["ids"]) == 2
    assert sister[0]["person"] == "Anna"
    jazz = next(line for line in lines if "jazz" in str(line["text"]))
    assert jazz["person"] == "Anna"
    assert lines[0]["person"] is None  # the user first, then the people in their life
    assert not any("You said" in t or t.startswith("user:") for t in texts)


def test_conversation_excerpts_only_when_asked_for(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "I love green tea"})
    assert all(line["kind"] != "episode" for line in about(client))
    excerpts = [line for line in about(client, excerpts=True) if line["kind"] == "episode"]
    assert {line["text"] for line in excerpts} >= {"user: I love green tea"}
    assert all(line["person"] == "Conversation excerpts" for line in excerpts)


def test_search_keeps_the_best_matches_in_rank_order(client: TestClient) -> None:
    for text in (
        "My sister is called Anna",
        "I love green tea",
        "We're going to Rome next Friday",
        "My brother Tom lives in Oslo",
        "I work as a nurse",
    ):
        client.post("/api/chat", json={"text": text})
    found = about(client, q="sister")
    assert found and "sister" in str(found[0]["text"])
    assert len(found) <= 2
    assert not any("tea" in str(line["text"]) or "Rome" in str(line["text"]) for line in found)


def test_a_conversation_can_be_renamed_and_deleted_with_what_was_learnt_from_it(
    client: TestClient,
) -> None:
    first = client.post("/api/chat", json={"text": "My sister is called Anna"}).json()
    other = client.post("/api/chat", json={"text": "I love green tea", "new": True}).json()
    conv = first["conversation_id"]
    renamed = client.patch(f"/api/conversations/{conv}", json={"title": "  Family  "})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Family"
    assert client.patch(f"/api/conversations/{conv}", json={"title": " "}).status_code == 400
    deleted = client.delete(f"/api/conversations/{conv}")
    assert deleted.status_code == 200 and deleted.json()["forgotten"]
    assert client.get(f"/api/conversations/{conv}").status_code == 404
    assert client.delete(f"/api/conversations/{conv}").status_code == 404
    assert client.patch(f"/api/conversations/{conv}", json={"title": "x"}).status_code == 404
    left = [c["id"] for c in client.get("/api/conversations").json()]
    assert left == [other["conversation_id"]]
    texts = [m["text"] for m in client.get("/api/memories").json()]
    assert not any("Anna" in t for t in texts) and any("green tea" in t for t in texts)


def test_me_tells_the_longest_message_the_server_takes(client: TestClient) -> None:
    assert client.get("/api/me").json()["max_message_chars"] == 32_000
