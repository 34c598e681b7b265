"""Proactive check-ins on open threads: after the thread's day the companion asks by itself,
under the proactive policy (quiet hours, the daily maximum, kinds), once in all — whether it
asks in a conversation or by a check-in — and never about something forgotten."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from os1.inner.life import InnerLife, forget_threads
from os1.skills.reminders import book
from os1.skills.reminders.parse import When
from tests.helpers import os1
from tests.skills.reminders.conftest import Clock, World, make_world

LONDON = ZoneInfo("Europe/London")
QUESTION = "How did your interview go?"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=LONDON)


WEDNESDAY = at(4, 10)  # the interview is on Friday the 6th: asked from Saturday


@pytest.fixture
def world(home: Path) -> Iterator[World]:
    w = make_world(home)
    yield w
    w.close()


def turn(world: World, text: str, now: datetime) -> str | None:
    """One user turn's inner life, as the companion runs it: the line said before the reply."""
    store = world.store()
    conv = store.create_conversation().id
    message = store.add_message(conv, "user", text)
    life = InnerLife(store, world.settings, now=now)
    life.observe(message)
    opener = life.opener()
    life.open_threads(message)
    return opener.text if opener is not None else None


def follow_ups(world: World) -> list[str]:
    return [m["text"] for m in world.arrived() if m.get("proactive") == "followup"]


def tick(world: World, now: datetime) -> None:
    with world.scheduler(Clock(now)) as scheduler:
        scheduler.tick(now)


def thread_state(world: World) -> dict[str, object]:
    [thread] = InnerLife(world.store(), world.settings, now=WEDNESDAY).threads(include_closed=True)
    return thread.as_dict()


def test_a_check_in_asks_after_the_day_once_quiet_hours_end_and_only_once(world: World) -> None:
    turn(world, "My interview is on Friday.", WEDNESDAY)
    tick(world, at(5, 12))
    tick(world, at(6, 20))  # the day itself
    assert follow_ups(world) == []
    tick(world, at(7, 0, 30))  # after the day, but in quiet hours: held
    assert follow_ups(world) == []
    tick(world, at(7, 8, 30))
    assert follow_ups(world) == [QUESTION]
    assert thread_state(world)["state"] == "asked"
    assert thread_state(world)["asked_via"] == "proactive"
    listed = os1(world.home, "threads", "list")
    assert listed.returncode == 0, listed.stderr
    assert "asked by a check-in" in listed.stdout
    # The next conversation does not ask again; what the user says answers it.
    assert turn(world, "It went great, they want me back!", at(7, 9)) != QUESTION
    assert thread_state(world)["state"] == "closed"
    assert thread_state(world)["answer"] == "It went great, they want me back!"
    tick(world, at(8, 9))
    assert turn(world, "morning", at(8, 9, 5)) != QUESTION
    assert follow_ups(world) == [QUESTION]


def test_a_thread_asked_in_conversation_gets_no_check_in(world: World) -> None:
    turn(world, "My interview is on Friday.", WEDNESDAY)
    assert turn(world, "good morning", at(7, 7)) == QUESTION  # quiet hours hold the check-in
    tick(world, at(7, 9))
    tick(world, at(8, 9))
    assert follow_ups(world) == []
    assert thread_state(world)["asked_via"] == "conversation"


def test_nothing_forgotten_is_checked_on(world: World) -> None:
    turn(world, "My interview is on Friday.", WEDNESDAY)
    forget_threads(world.store(), re.compile("interview", re.IGNORECASE))
    tick(world, at(7, 9))
    assert follow_ups(world) == []
    assert turn(world, "good morning", at(7, 9, 5)) is None


def test_a_thread_closed_by_hand_gets_no_check_in(world: World) -> None:
    turn(world, "My interview is on Friday.", WEDNESDAY)
    life = InnerLife(world.store(), world.settings, now=at(5, 9))
    life.close(life.threads()[0].id)
    tick(world, at(7, 9))
    assert follow_ups(world) == []


def test_follow_ups_turned_off_leave_the_asking_to_the_next_conversation(home: Path) -> None:
    world = make_world(home, proactive={"kinds": ["checkin", "event_nudge"]})
    try:
        turn(world, "My interview is on Friday.", WEDNESDAY)
        tick(world, at(7, 9))
        assert follow_ups(world) == []
        assert turn(world, "good morning", at(7, 9, 5)) == QUESTION
        assert turn(world, "and hello again", at(7, 9, 10)) != QUESTION
    finally:
        world.close()


def test_the_daily_maximum_holds_a_check_in_to_the_next_day(home: Path) -> None:
    world = make_world(home, proactive={"max_per_day": 1, "quiet_hours": "off"})
    try:
        turn(world, "My interview is on Friday.", WEDNESDAY)
        book.add(
            world.store(), "How are you?", When(due=at(6, 23, 59)), "Europe/London", kind="checkin"
        )
        tick(world, at(7, 0, 1))  # the older check-in takes the day's one message
        assert [m["text"] for m in world.arrived()] == ["How are you?"]
        tick(world, at(7, 12))
        assert follow_ups(world) == []
        tick(world, at(8, 0, 5))
        assert follow_ups(world) == [QUESTION]
    finally:
        world.close()


def test_a_follow_up_the_scheduler_planned_from_the_same_message_asks_only_once(
    world: World,
) -> None:
    turn(world, "My interview is on Friday.", WEDNESDAY)
    [thread] = InnerLife(world.store(), world.settings, now=WEDNESDAY).threads()
    # What `proactive.plan_from_message` plans from the same words: the evening of the day.
    book.add(
        world.store(),
        "How did the interview go?",
        When(due=at(6, 19)),
        "Europe/London",
        kind="followup",
        source=thread.source,
    )
    tick(world, at(6, 19, 30))
    tick(world, at(7, 9))
    tick(world, at(8, 9))
    assert follow_ups(world) == ["How did the interview go?"]
    assert thread_state(world)["state"] == "asked"
    assert turn(world, "It was fine", at(8, 10)) != QUESTION
