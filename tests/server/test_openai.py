"""OS1 as an OpenAI-compatible model, driven by the official `openai` SDK over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import openai
import pytest

from os1.models.base import Message
from os1.models.scripted import ScriptedModel
from tests.server.conftest import Live, make_app, run_live


def probe(messages: Sequence[Message]) -> str:
    """Reports what the companion put in the prompt: its persona and recalled memories."""
    system = messages[0].content
    context = " ".join(m.content for m in messages[1:-1])
    return (
        f"name={'Samantha' in system} memory={'Ada' in context} "
        f"history={sum(m.role == 'user' for m in messages)} said={messages[-1].content}"
    )


@pytest.fixture
def live(home: Path) -> Iterator[Live]:
    yield from run_live(make_app(home, model=ScriptedModel("probe", [probe])))


@pytest.fixture
def sdk(live: Live) -> openai.OpenAI:
    return openai.OpenAI(base_url=live.url + "/v1", api_key="anything", max_retries=0)


def test_models_lists_the_companion(sdk: openai.OpenAI) -> None:
    assert [m.id for m in sdk.models.list()] == ["os1"]


def test_chat_completion_answers_as_the_companion_with_persona_and_memory(
    live: Live, sdk: openai.OpenAI
) -> None:
    httpx.put(live.url + "/api/persona", json={"companion_name": "Samantha"})
    httpx.post(live.url + "/api/chat", json={"text": "My sister is called Ada"})
    reply = sdk.chat.completions.create(
        model="os1",
        messages=[
            {"role": "system", "content": "You are a pirate."},
            {"role": "user", "content": "How is my sister doing?"},
        ],
    )
    text = reply.choices[0].message.content
    assert text == "name=True memory=True history=1 said=How is my sister doing?"
    assert reply.choices[0].finish_reason == "stop" and reply.usage is not None


def test_streaming_yields_the_reply_in_pieces(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="os1", stream=True, messages=[{"role": "user", "content": "stream please"}]
    )
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream]
    assert len([p for p in pieces if p]) > 1
    assert "".join(pieces) == "name=False memory=False history=1 said=stream please"


def test_the_user_field_keeps_one_conversation_per_client(sdk: openai.OpenAI) -> None:
    def say(text: str, user: str | None) -> str:
        extra = {"user": user} if user else {}
        reply = sdk.chat.completions.create(
            model="os1", messages=[{"role": "user", "content": text}], **extra
        )
        return reply.choices[0].message.content or ""

    say("one", "phone")
    assert "history=2" in say("two", "phone")  # the companion's stored history, not the request
    assert "history=1" in say("three", "tablet")
    assert "history=1" in say("four", None)  # no user field: a fresh conversation


def test_a_conversation_header_continues_that_conversation(live: Live) -> None:
    chat = httpx.post(live.url + "/api/chat", json={"text": "hello"}).json()
    response = httpx.post(
        live.url + "/v1/chat/completions",
        json={"model": "os1", "messages": [{"role": "user", "content": "again"}]},
        headers={"X-OS1-Conversation": str(chat["conversation_id"])},
    )
    assert response.headers["X-OS1-Conversation"] == str(chat["conversation_id"])
    assert "history=2" in response.json()["choices"][0]["message"]["content"]


def test_sdk_errors_carry_the_clear_message(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="no model .gpt-4."):
        sdk.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user"):
        sdk.chat.completions.create(model="os1", messages=[{"role": "assistant", "content": "hi"}])


def test_an_invalid_os1_token_is_refused_even_in_single_user_mode(live: Live) -> None:
    sdk = openai.OpenAI(base_url=live.url + "/v1", api_key="os1_not-a-real-one", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        sdk.models.list()


def test_login_mode_needs_a_personal_token(home: Path) -> None:
    app = make_app(home, single_user=False)
    app.state.os1.users.add("carol", "carol-password-1")
    _, token = app.state.os1.users.create_token("carol")
    for live in run_live(app):
        anonymous = openai.OpenAI(base_url=live.url + "/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            anonymous.models.list()
        carol = openai.OpenAI(base_url=live.url + "/v1", api_key=token, max_retries=0)
        reply = carol.chat.completions.create(
            model="os1", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content == "You said: hi"
