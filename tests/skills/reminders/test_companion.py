"""Reminders in conversation: the user's own words set, list and cancel them, with any model."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from os1.config import Settings
from os1.events import ConfirmationRequired, ToolCall, TurnDone
from os1.mind.companion import Companion
from os1.models import create_model
from os1.skills import SkillContext, Skills
from os1.skills.reminders import book, toolkit
from os1.skills.reminders.tools import remind_intent
from os1.storage import SQLiteStore
from tests.conftest import collect

LONDON = ZoneInfo("Europe/London")
WED_10 = datetime(2026, 3, 25, 10, 0, tzinfo=LONDON)


@pytest.fixture
def companion(store: SQLiteStore, home: Path) -> Companion:
    settings = Settings(model="scripted:echo", timezone="Europe/London")
    ctx = SkillContext(store=store, settings=settings, home=home, clock=lambda: WED_10)
    return Companion(
        store,
        create_model(settings),
        settings,
        today=lambda: date(2026, 3, 25),
        skills=Skills([toolkit]),
        skill_context=ctx,
    )


async def reply(companion: Companion, text: str) -> tuple[str, list[object]]:
    events = await collect(companion.turn(text))
    done = events[-1]
    assert isinstance(done, TurnDone), events
    return done.text, events


async def test_remind_me_sets_a_reminder_at_once_and_says_when(
    companion: Companion, store: SQLiteStore
) -> None:
    text, events = await reply(companion, "Remind me to call mum on Sunday at 6")
    assert text == "Okay, I'll remind you: call mum — Sun 29 Mar 18:00 (reminder 1)."
    assert not any(isinstance(e, ConfirmationRequired) for e in events)  # the request itself
    [reminder] = book.listed(store)
    assert reminder.due.isoformat() == "2026-03-29T18:00:00+01:00"
    assert reminder.source == "call mum on Sunday at 6"


async def test_a_repeating_reminder_is_understood_in_conversation(
    companion: Companion, store: SQLiteStore
) -> None:
    text, _ = await reply(companion, "can you remind me every day at 8 to take my pills?")
    assert "take my pills — Thu 26 Mar 08:00 (repeats: every day at 08:00)" in text


async def test_a_reminder_without_a_time_asks_for_one_and_keeps_nothing(
    companion: Companion, store: SQLiteStore
) -> None:
    text, _ = await reply(companion, "remind me to call mum")
    assert text.startswith("I couldn't tell when to remind you.")
    assert "tomorrow at 9" in text
    assert book.listed(store) == []


async def test_list_my_reminders(companion: Companion) -> None:
    await reply(companion, "remind me to call mum on Sunday at 6")
    await reply(companion, "remind me in 20 minutes to check the oven")
    text, _ = await reply(companion, "what are my reminders?")
    assert text == (
        "Your reminders:\n2. check the oven — Wed 25 Mar 10:20\n1. call mum — Sun 29 Mar 18:00"
    )


async def test_cancelling_by_words_asks_first_and_then_cancels(
    companion: Companion, store: SQLiteStore
) -> None:
    await reply(companion, "remind me to call mum on Sunday at 6")
    text, events = await reply(companion, "cancel my reminder to call mum")
    assert text == "Shall I cancel your reminder about call mum? Please confirm."
    assert book.listed(store) != []
    [ask] = [e for e in events if isinstance(e, ConfirmationRequired)]
    decided = await collect(companion.decide(ask.call_id, True))
    assert isinstance(decided[-1], TurnDone)
    assert decided[-1].text == "Cancelled reminder 1: call mum."
    assert book.listed(store) == []


async def test_cancelling_by_number_asks_first(companion: Companion, store: SQLiteStore) -> None:
    await reply(companion, "remind me to call mum on Sunday at 6")
    text, events = await reply(companion, "cancel reminder 1")
    assert text == "Shall I cancel reminder 1? Please confirm."
    [ask] = [e for e in events if isinstance(e, ConfirmationRequired)]
    await collect(companion.decide(ask.call_id, False))
    assert len(book.listed(store)) == 1  # declined: still there


async def test_questions_that_start_with_remind_me_are_not_reminders() -> None:
    settings = Settings(model="scripted:echo")
    ctx = SkillContext(store=None, settings=settings, home=Path("."))  # type: ignore[arg-type]
    for text in ("remind me what you know about me", "remind me who Sam is"):
        assert remind_intent.match(text, ctx) is None
    assert remind_intent.match("set a reminder for 9am to ring Jo", ctx) is not None


async def test_the_intent_calls_the_tool_the_model_could_call_too(companion: Companion) -> None:
    _, events = await reply(companion, "please remind me tomorrow morning to water the plants")
    [call] = [e for e in events if isinstance(e, ToolCall)]
    assert call.name == "set_reminder"
    assert call.arguments == {"what": "tomorrow morning to water the plants", "when": ""}
    schema = toolkit.tools[0].schema()["function"]
    assert schema["name"] == "set_reminder"
    assert set(schema["parameters"]["properties"]) == {"what", "when"}
