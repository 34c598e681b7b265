"""The small-model profile: whole sentences, no repeats, never the user's life, memory answers
composed in code — with the scripted model standing in for the tiny one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from os1.config import Settings
from os1.events import MemoryRecalled, TextDelta, TurnDone
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.memory.store import NewMemory
from os1.mind.companion import Companion
from os1.mind.small_model import check_reply, fallback_reply, profile_enabled
from os1.models.base import ChatModel
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore
from tests.conftest import collect
from tests.helpers import os1

SMALL = Settings(model="scripted:echo", small_model_profile=True, max_reply_tokens=200)


def companion(store: SQLiteStore, model: ChatModel, settings: Settings = SMALL) -> Companion:
    memory = LongTermMemory(store, HashingEmbedder())
    return Companion(store, model, settings, memory=memory, today=lambda: date(2026, 12, 5))


async def say(c: Companion, text: str, conv: int | None = None) -> TurnDone:
    events = await collect(c.turn(text, conv))
    done = events[-1]
    assert isinstance(done, TurnDone)
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert streamed.strip() == done.text
    return done


def test_the_profile_is_on_for_the_embedded_model_and_off_for_a_server() -> None:
    auto = Settings(model="scripted:echo")
    assert profile_enabled(auto, type("M", (), {"backend": "llamacpp"})())  # type: ignore[arg-type]
    assert not profile_enabled(auto, type("M", (), {"backend": "openai"})())  # type: ignore[arg-type]
    assert profile_enabled(SMALL, ScriptedModel())


async def test_a_reply_cut_off_mid_sentence_ends_on_its_last_whole_sentence(
    store: SQLiteStore,
) -> None:
    model = ScriptedModel(replies=["That sounds like a lovely walk. Did you see anything and then"])
    done = await say(companion(store, model), "I went for a walk by the river today.")
    assert done.text == "That sounds like a lovely walk."
    assert store.messages(done.conversation_id)[-1].meta["small_model"] == ["cut_off"]


async def test_a_sentence_said_in_an_earlier_turn_is_not_said_again(store: SQLiteStore) -> None:
    model = ScriptedModel(
        replies=[
            "I'm glad you're here. What shall we talk about?",
            "I'm glad you're here. Tell me about your week.",
        ]
    )
    c = companion(store, model)
    first = await say(c, "Hello there.")
    second = await say(c, "Not much to say.", first.conversation_id)
    assert second.text == "Tell me about your week."


@pytest.mark.parametrize(
    ("user", "reply"),
    [
        ("My ex-wife is Catherine.", "Catherine. She's my ex-wife. But I love her so much."),
        ("I'm okay. A little lonely.", "I'm going to go out tonight and meet some friends."),
        ("My sister lives in Leeds.", "My sister lives in Leeds too!"),
        ("How was your weekend?", "I went to the park with my mother."),
    ],
)
async def test_a_reply_that_speaks_as_the_user_or_a_human_is_replaced_and_never_remembered(
    store: SQLiteStore, user: str, reply: str
) -> None:
    c = companion(store, ScriptedModel(replies=[reply]))
    done = await say(c, user)
    assert reply not in done.text and "my " not in done.text.lower()
    assert done.text.endswith(("?", "."))
    stored = store.messages(done.conversation_id)[-1]
    assert "role_confusion" in stored.meta["small_model"]
    assert c.memory is not None
    c.memory.consolidate()
    remembered = [m.text for m in c.memory.store.list()]
    assert not any(done.text in t or reply in t for t in remembered)


def test_the_fallback_reflects_the_users_message() -> None:
    assert "lonely" in fallback_reply("I'm okay. A little lonely.")
    assert "ex-wife" in fallback_reply("My ex-wife is Catherine.")
    said = fallback_reply("Hi!")
    assert fallback_reply("Hi!", [said]) != said


def test_a_reply_of_its_own_passes_unchanged() -> None:
    checked = check_reply(
        "That sounds like a hard day. What would help you rest tonight?",
        user_text="Work was long and my boss was rude.",
    )
    assert checked.issues == [] and checked.text.startswith("That sounds")


async def test_the_tiny_model_sees_a_compact_persona_and_only_the_last_turns(
    store: SQLiteStore,
) -> None:
    model = ScriptedModel(replies=[lambda m: f"Reply number {len(m)} is here."])
    c = companion(store, model)
    conv = None
    for i in range(6):
        conv = (await say(c, f"Message {i} about the garden.", conv)).conversation_id
    sent = model.calls[-1]
    assert sent[0].role == "system" and "not a human" in sent[0].content
    history = [m.content for m in sent if m.role == "user"]
    assert "Message 5 about the garden." == history[-1]
    assert "Message 2 about the garden." not in history  # only the last two exchanges


async def test_a_question_about_a_told_fact_is_answered_from_memory_with_its_source(
    store: SQLiteStore,
) -> None:
    model = ScriptedModel(replies=["Okay, noted."])
    c = companion(store, model)
    conv = (await say(c, "My sister's birthday is 14 March.")).conversation_id
    calls = len(model.calls)
    events = await collect(c.turn("What's my sister's birthday?", conv))
    done = events[-1]
    assert isinstance(done, TurnDone)
    assert done.text.startswith("Your sister's birthday is 14 March")
    assert "(you told me on" in done.text
    recalled = [e for e in events if isinstance(e, MemoryRecalled)]
    assert recalled and "14 March" in str(recalled[0].memories[0]["text"])
    assert len(model.calls) == calls  # the model was not asked


async def test_a_fact_that_came_from_a_mail_is_never_cited_as_told(store: SQLiteStore) -> None:
    c = companion(store, ScriptedModel(replies=["Okay, noted."]))
    assert c.memory is not None
    c.memory.store.add(
        NewMemory(
            kind="fact",
            text="Amy lives in Lagos.",
            sources=("mail:7",),
            subject="amy",
            attribute="lives_in",
            value="Lagos",
            untrusted=True,
        ),
        consolidated=True,
    )
    done = await say(c, "Where does Amy live?")
    assert "Lagos" in done.text
    assert "from a mail" in done.text and "you told me" not in done.text.replace(
        "not something you told me", ""
    )
    # What the user said outweighs what a mail claims.
    await say(c, "Amy lives in Porto.", done.conversation_id)
    again = await say(c, "Where does Amy live?", done.conversation_id)
    assert again.text.startswith("Amy lives in Porto") and "(you told me on" in again.text


async def test_memory_answers_follow_a_correction(store: SQLiteStore) -> None:
    c = companion(store, ScriptedModel(replies=["Okay, noted."]))
    conv = (await say(c, "I live in Leeds.")).conversation_id
    await say(c, "Actually I live in York now.", conv)
    done = await say(c, "Where do I live?", conv)
    assert done.text.startswith("You live in York")


async def test_a_capable_model_answers_memory_questions_itself_with_memory_in_context(
    store: SQLiteStore,
) -> None:
    settings = Settings(model="scripted:echo", small_model_profile=False)
    model = ScriptedModel(replies=["Noted.", "It's on 14 March."])
    c = companion(store, model, settings)
    await say(c, "My sister's birthday is 14 March.")
    assert c.memory is not None
    c.memory.consolidate()
    events = await collect(c.turn("What's my sister's birthday?", new=True))
    done = events[-1]
    assert isinstance(done, TurnDone)
    assert done.text == "It's on 14 March."
    assert any("14 March" in m.content for m in model.calls[-1] if m.role == "system")


def test_say_json_lists_the_memories_a_reply_used(home: Path) -> None:
    env = {"OS1_EMBEDDER": "hashing", "OS1_SMALL_MODEL_PROFILE": "true"}
    os1(home, "say", "My dog is called Rex.", **env)
    result = os1(home, "say", "--json", "What's my dog called?", **env)
    data = json.loads(result.stdout)
    assert data["reply"].startswith("Your dog is called Rex")
    assert data["memories"] and "Rex" in data["memories"][0]["text"]


def test_cheer_at_hard_news_is_dropped() -> None:
    checked = check_reply(
        "That's wonderful. I'm glad to hear that. What would help you rest?",
        user_text="I'm tired.",
    )
    assert checked.text == "What would help you rest?" and checked.issues == ["tone"]


async def test_a_long_conversations_prompt_extends_the_last_one_every_other_turn(
    store: SQLiteStore,
) -> None:
    # The tiny model reuses the tokens it cached for the last prompt only if the next one
    # begins with it: the window of history moves two exchanges at a time, however long the
    # conversation has grown past the lines read for a prompt (here 512 / 8 = 64).
    model = ScriptedModel(replies=[lambda m: f"Reply number {len(m)} is here."], context_window=512)
    c = companion(store, model)
    conv = None
    for i in range(40):
        conv = (await say(c, f"Message {i} about the garden.", conv)).conversation_id
    late = model.calls[-10:]
    extended = [
        later[: len(earlier)] == earlier for earlier, later in zip(late, late[1:], strict=False)
    ]
    assert extended.count(True) >= 4
