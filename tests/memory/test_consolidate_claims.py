"""Typed claims reach the store through real chat: a companion turn is remembered, then
consolidated with the turn before it, so pronouns, moves, endings and corrections change what
OS1 holds about people — keeping the older claims as history."""

from __future__ import annotations

import json
from pathlib import Path

from os1.config import Settings
from os1.memory import LongTermMemory, Memory
from os1.memory.answers import answer_question
from os1.memory.embedders import HashingEmbedder
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore
from tests.conftest import collect
from tests.helpers import os1


async def _chat(store: SQLiteStore, settings: Settings, *messages: str) -> LongTermMemory:
    """Say each message in one conversation (the companion answering in between), then
    consolidate as the background step would."""
    memory = LongTermMemory(store, HashingEmbedder())
    replies = [f"Tell me more ({i})." for i in range(len(messages))]
    companion = Companion(store, ScriptedModel(replies=replies), settings, memory=memory)
    for message in messages:
        await collect(companion.turn(message))
    await memory.aconsolidate()
    return memory


def _slot(memory: LongTermMemory, subject: str, attribute: str) -> list[Memory]:
    return [
        m
        for m in memory.store.list(include_superseded=True, subject=subject)
        if m.attribute == attribute
    ]


def _current(memory: LongTermMemory, subject: str, attribute: str) -> list[str]:
    return [m.value or "" for m in _slot(memory, subject, attribute) if m.superseded_by is None]


async def test_she_in_the_next_turn_is_the_friend_named_in_the_one_before(
    store: SQLiteStore, settings: Settings
) -> None:
    memory = await _chat(
        store, settings, "My friend Amy lives downstairs.", "She makes documentaries."
    )
    facts = [m.text for m in memory.store.list("fact", subject="amy")]
    assert "Amy makes documentaries." in facts
    assert "Amy lives downstairs." in facts


async def test_the_companions_reply_in_between_is_not_the_users_previous_turn(
    store: SQLiteStore, settings: Settings
) -> None:
    # The reply names another woman; "she" still means the one the user spoke of.
    memory = LongTermMemory(store, HashingEmbedder())
    model = ScriptedModel(replies=["Lovely. My friend Beth does that too.", "Nice."])
    companion = Companion(store, model, settings, memory=memory)
    await collect(companion.turn("My friend Amy lives downstairs."))
    await collect(companion.turn("She makes documentaries."))
    await memory.aconsolidate()
    assert _current(memory, "amy", "does") == ["make documentaries"]
    assert memory.store.list(subject="beth") == []


async def test_a_pronoun_in_a_new_conversation_finds_no_antecedent(
    store: SQLiteStore, settings: Settings
) -> None:
    memory = LongTermMemory(store, HashingEmbedder())
    companion = Companion(store, ScriptedModel(replies=["Oh?", "Oh?"]), settings, memory=memory)
    await collect(companion.turn("My friend Amy lives downstairs."))
    await collect(companion.turn("She makes documentaries.", new=True))
    await memory.aconsolidate()
    assert _current(memory, "amy", "does") == []


async def test_a_move_supersedes_where_someone_lived_and_keeps_it_as_history(
    store: SQLiteStore, settings: Settings
) -> None:
    memory = await _chat(store, settings, "My friend Amy lives downstairs.", "Amy moved to Paris.")
    slot = _slot(memory, "amy", "lives_in")
    old = next(m for m in slot if m.value == "downstairs")
    new = next(m for m in slot if m.value == "Paris")
    assert old.superseded_by == new.id and new.superseded_by is None
    hits = memory.recall.search("Where does Amy live?", k=5)
    assert "Paris" in hits[0].memory.text
    answer = answer_question(memory, "Where does Amy live?", "Theodore")
    assert answer is not None and "Paris" in answer.text and "downstairs" not in answer.text


async def test_no_longer_living_somewhere_ends_that_slot_and_keeps_it_as_history(
    store: SQLiteStore, settings: Settings
) -> None:
    memory = await _chat(store, settings, "I live in Leeds.", "I don't live in Leeds anymore")
    (leeds,) = _slot(memory, "user", "lives_in")
    ended_by = memory.store.get(leeds.superseded_by or 0)
    # Ended by the turn that said so, which the history shows; no new value was invented.
    assert ended_by.kind == "episode" and "anymore" in ended_by.text
    assert _current(memory, "user", "lives_in") == []
    answer = answer_question(memory, "Where do I live?")
    # Not "you live in Leeds", nor "you never told me": what he said last, quoted.
    assert answer is not None and "You live in Leeds" not in answer.text
    assert '"I don\'t live in Leeds anymore."' in answer.text


async def test_ending_a_place_never_ends_a_different_one(
    store: SQLiteStore, settings: Settings
) -> None:
    memory = await _chat(store, settings, "I live in Cork.", "I don't live in Leeds anymore.")
    assert _current(memory, "user", "lives_in") == ["Cork"]


async def test_actually_its_x_not_y_corrects_the_previous_turns_slot(
    store: SQLiteStore, settings: Settings
) -> None:
    memory = await _chat(store, settings, "I live in Cork", "Actually it's Dublin, not Cork.")
    assert _current(memory, "user", "lives_in") == ["Dublin"]
    (cork,) = [m for m in _slot(memory, "user", "lives_in") if m.value == "Cork"]
    assert cork.superseded_by is not None
    answer = answer_question(memory, "Where do I live?")
    assert answer is not None and "Dublin" in answer.text and "Cork" not in answer.text


async def test_an_ending_said_in_a_turn_since_forgotten_ends_nothing(
    store: SQLiteStore, settings: Settings
) -> None:
    memory = await _chat(store, settings, "I live in Leeds.")
    turn = memory.store.list("episode")[0]
    memory.store.forget([turn.id])
    # The slot's fact went with its turn; a fresh one must not be ended by a missing turn.
    await _chat(store, settings, "I live in York.")
    assert memory.store.end_slot("user", "lives_in", turn.id) == []
    assert _current(memory, "user", "lives_in") == ["York"]


def test_os1_say_then_memory_search_ranks_where_amy_lives_now_first(home: Path) -> None:
    for message in (
        "My friend Amy lives downstairs.",
        "She makes documentaries.",
        "Amy moved to Paris.",
    ):
        said = os1(home, "say", message)
        assert said.returncode == 0, said.stderr
    result = os1(home, "memory", "search", "Where does Amy live?", "--k", "3", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert "Paris" in hits[0]["text"]
    listed = json.loads(os1(home, "memory", "list", "--json").stdout)
    assert "Amy makes documentaries." in [m["text"] for m in listed]
