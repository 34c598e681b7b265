"""Mood that carries over: "you sounded worn out last night — did you sleep?" said the next
day, once; with a capable model (a scripted one here) in its own words, checked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.config import Settings
from os1.inner.life import InnerLife
from os1.inner.writing import ModelFactory
from os1.models.scripted import ScriptedModel
from os1.storage.sqlite import SQLiteStore

SETTINGS = Settings(model="scripted:echo", timezone="UTC")
LINE = "You sounded worn out last night — did you sleep?"
LATE = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)


@pytest.fixture
def store(home: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(home / "os1.db", "local")
    yield s
    s.close()


def turn(store: SQLiteStore, text: str, now: datetime, model: ModelFactory | None = None) -> str:
    conv = store.create_conversation().id
    message = store.add_message(conv, "user", text)
    life = InnerLife(store, SETTINGS, now=now, model=model)
    life.observe(message)
    opener = life.opener()
    return opener.text if opener is not None and opener.kind == "mood" else ""


def scripted(reply: str) -> tuple[ScriptedModel, ModelFactory]:
    model = ScriptedModel("mood", [reply])
    return model, lambda: model


def test_a_tired_night_is_spoken_of_the_next_day_once(store: SQLiteStore) -> None:
    assert turn(store, "I'm so exhausted, I can barely keep my eyes open", LATE) == ""
    assert turn(store, "still up", LATE.replace(minute=30)) == ""  # not the same day
    assert turn(store, "morning", datetime(2026, 3, 5, 8, 0, tzinfo=UTC)) == LINE
    assert turn(store, "I did, thanks", datetime(2026, 3, 5, 8, 5, tzinfo=UTC)) == ""


def test_a_tired_night_is_not_brought_up_two_days_later(store: SQLiteStore) -> None:
    turn(store, "I'm so exhausted", LATE)
    assert turn(store, "hello", datetime(2026, 3, 6, 9, 0, tzinfo=UTC)) == ""


def test_a_capable_model_says_it_in_its_own_words_once(store: SQLiteStore) -> None:
    worded = "You seemed really drained last night. Did you manage to get some rest?"
    model, factory = scripted(worded)
    turn(store, "I'm so exhausted, I can barely keep my eyes open", LATE, factory)
    assert model.calls == []  # nothing to say on the day itself
    assert turn(store, "morning", datetime(2026, 3, 5, 8, 0, tzinfo=UTC), factory) == worded
    assert LINE in model.calls[0][-1].content
    assert turn(store, "yes", datetime(2026, 3, 5, 8, 5, tzinfo=UTC), factory) == ""
    assert len(model.calls) == 1


@pytest.mark.parametrize(
    "reply",
    [
        "Did Anna keep you up in Lisbon last night?",  # names what was never said
        "You sounded tired last night.",  # not a question
        "You sounded tired. " * 20 + "Did you sleep?",  # not one short sentence
    ],
)
def test_a_model_wording_that_strays_is_replaced_by_the_line(
    store: SQLiteStore, reply: str
) -> None:
    _, factory = scripted(reply)
    turn(store, "I'm so exhausted", LATE, factory)
    assert turn(store, "morning", datetime(2026, 3, 5, 8, 0, tzinfo=UTC), factory) == LINE


def test_a_model_that_fails_leaves_the_line(store: SQLiteStore) -> None:
    model = ScriptedModel("down", fail_with="timeout")
    turn(store, "I'm so exhausted", LATE, lambda: model)
    assert turn(store, "morning", datetime(2026, 3, 5, 8, 0, tzinfo=UTC), lambda: model) == LINE


def test_taking_in_a_message_is_one_write_and_the_story_changes_only_with_the_day(
    store: SQLiteStore,
) -> None:
    def observe(now: datetime) -> tuple[int, int]:
        """(transactions, profile rows written) for taking in one message."""
        conv = store.create_conversation().id
        message = store.add_message(conv, "user", "a quiet evening")
        ended, rows = store._ended[0], store._db.total_changes
        InnerLife(store, SETTINGS, now=now).observe(message)
        return store._ended[0] - ended, store._db.total_changes - rows

    assert observe(LATE) == (1, 2)  # the day's mood, and the story: the first day
    assert observe(LATE.replace(minute=30)) == (1, 1)  # the same day: the mood alone
    assert observe(datetime(2026, 3, 5, 8, 0, tzinfo=UTC)) == (1, 2)  # a new day
