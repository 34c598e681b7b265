"""The companion reaches out: check-ins after a hard day, follow-ups on plans, nudges before
events — under the user's visible policy (quiet hours, a daily limit, kinds on or off)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from os1.errors import ConfigError
from os1.skills.base import SkillContext
from os1.skills.reminders import book
from os1.skills.reminders.policy import effective_policy, set_policy
from os1.skills.reminders.proactive import hard_day, plans_in
from os1.storage.sqlite import SQLiteStore
from tests.skills.reminders.conftest import Clock, World, make_world

LONDON = ZoneInfo("Europe/London")


def say(world: World, text: str, user: str = "local") -> datetime:
    """The user says something in a conversation; returns when it was stored."""
    store = world.store(user)
    conv = store.create_conversation().id
    stored = store.add_message(conv, "user", text)
    return datetime.fromisoformat(stored.created_at)


def local_day_after(moment: datetime, at: time) -> datetime:
    day = moment.astimezone(LONDON).date() + timedelta(days=1)
    return datetime.combine(day, at, tzinfo=LONDON)


@pytest.mark.parametrize(
    "text",
    [
        "Today was awful.",
        "ugh, today was so exhausting",
        "I had a really rough day at work",
        "What a long day",
        "my day has been brutal",
        "I'm exhausted after today",
    ],
)
def test_a_hard_day_is_recognised(text: str) -> None:
    assert hard_day(text)


@pytest.mark.parametrize(
    "text",
    [
        "Today wasn't bad at all",
        "today was not awful, just long-ish",
        "the film was awful",
        "it was hard to choose a colour",
        "Today was lovely",
        "The film? It was long",
    ],
)
def test_an_ordinary_day_is_not_a_hard_one(text: str) -> None:
    assert not hard_day(text)


def test_plans_are_found_with_their_time() -> None:
    said = datetime(2026, 3, 25, 10, 0, tzinfo=LONDON)  # a Wednesday
    from os1.skills.reminders.parse import DayHours

    found = plans_in(
        "I have a job interview on Friday. Also I've got a dentist appointment tomorrow at 3",
        said,
        LONDON,
        DayHours(),
    )
    assert [(thing, at.isoformat(), timed) for thing, at, timed in found] == [
        ("job interview", "2026-03-27T09:00:00+00:00", False),
        ("dentist appointment", "2026-03-26T15:00:00+00:00", True),
    ]


def test_a_hard_day_brings_a_check_in_the_next_evening(world: World) -> None:
    said = say(world, "Today was awful, honestly.")
    clock = Clock(said)
    with world.scheduler(clock) as scheduler:
        assert scheduler.tick().planned == 1
        assert scheduler.tick().planned == 0  # read once
        [planned] = book.listed(world.store(), kind="checkin")
        expected = local_day_after(said, time(18, 0))
        assert planned.due == expected
        assert scheduler.tick(clock.set(expected - timedelta(minutes=1))).fired == 0
        assert scheduler.tick(clock.set(expected)).fired == 1
    [message] = world.arrived()
    assert message["proactive"] == "checkin"
    assert message["text"] == "Yesterday sounded hard. How are you feeling today?"


def test_a_planned_interview_brings_a_follow_up_after_it(world: World) -> None:
    said = say(world, "I have a job interview on Friday and I'm nervous")
    clock = Clock(said)
    with world.scheduler(clock) as scheduler:
        scheduler.tick()
        [planned] = book.listed(world.store(), kind="followup")
        due = planned.due.astimezone(LONDON)
        assert (due.strftime("%A"), due.time()) == ("Friday", time(19, 0))
        assert due.astimezone(UTC) > said
        scheduler.tick(clock.set(due))
    assert [m["text"] for m in world.arrived()] == ["How did the job interview go?"]


def test_a_timed_plan_is_followed_up_hours_after_it(world: World) -> None:
    said = say(world, "I've got a dentist appointment tomorrow at 3")
    with world.scheduler(Clock(said)) as scheduler:
        scheduler.tick()
    [planned] = book.listed(world.store(), kind="followup")
    assert planned.due == local_day_after(said, time(18, 0))  # 15:00 + 3 hours
    assert planned.text == "How did the dentist appointment go?"


def test_proactive_messages_wait_for_quiet_hours_to_end(home: Path) -> None:
    world = make_world(home, proactive={"quiet_hours": "22:00-08:00", "checkin_time": "23:00"})
    try:
        said = say(world, "today was rough")
        clock = Clock(said)
        with world.scheduler(clock) as scheduler:
            scheduler.tick()
            due = local_day_after(said, time(23, 0))
            assert scheduler.tick(clock.set(due)).held == 1
            morning = datetime.combine(due.date() + timedelta(days=1), time(8), tzinfo=LONDON)
            assert scheduler.tick(clock.set(morning - timedelta(minutes=1))).fired == 0
            assert scheduler.tick(clock.set(morning)).fired == 1
        assert [m["proactive"] for m in world.arrived()] == ["checkin"]
    finally:
        world.close()


def test_the_daily_limit_holds_the_rest_until_the_next_day(home: Path) -> None:
    world = make_world(home, proactive={"max_per_day": 1, "quiet_hours": "22:00-08:00"})
    try:
        said = say(world, "Today was awful. I have a job interview tomorrow at 3")
        clock = Clock(said)
        with world.scheduler(clock) as scheduler:
            assert scheduler.tick().planned == 2
            evening = local_day_after(said, time(18, 0))  # both are due then
            report = scheduler.tick(clock.set(evening))
            assert (report.fired, report.held) == (1, 1)
            midnight = datetime.combine(evening.date() + timedelta(days=1), time(0), tzinfo=LONDON)
            assert scheduler.tick(clock.set(midnight)).held == 1  # now quiet hours
            assert scheduler.tick(clock.set(midnight + timedelta(hours=8))).fired == 1
        assert sorted(m["proactive"] for m in world.arrived()) == ["checkin", "followup"]
    finally:
        world.close()


def test_a_kind_turned_off_is_neither_planned_nor_sent(world: World) -> None:
    set_policy(world.store(), world.settings, "kinds", "followup")
    said = say(world, "today was awful")
    with world.scheduler(Clock(said)) as scheduler:
        assert scheduler.tick().planned == 0
    assert book.listed(world.store(), kind="checkin") == []


def test_a_kind_turned_off_after_planning_is_skipped_when_due(world: World) -> None:
    said = say(world, "today was awful")
    clock = Clock(said)
    with world.scheduler(clock) as scheduler:
        scheduler.tick()
        set_policy(world.store(), world.settings, "enabled", "false")
        report = scheduler.tick(clock.set(local_day_after(said, time(18, 0))))
        assert (report.fired, report.skipped) == (0, 1)
    assert world.arrived() == []
    [skipped] = book.listed(world.store(), include_all=True, kind="checkin")
    assert (skipped.state, skipped.note) == ("skipped", "checkin is turned off")


def test_a_stale_proactive_message_is_dropped_not_sent(world: World) -> None:
    said = say(world, "today was awful")
    clock = Clock(said)
    with world.scheduler(clock) as scheduler:
        scheduler.tick()
        days_later = local_day_after(said, time(18, 0)) + timedelta(days=3)
        assert scheduler.tick(clock.set(days_later)).skipped == 1
    assert world.arrived() == []


def test_policy_is_the_config_then_the_users_own_choices(world: World) -> None:
    store = world.store()
    assert effective_policy(store, world.settings).max_per_day == 3  # from [proactive]
    set_policy(store, world.settings, "max_per_day", "5")
    set_policy(store, world.settings, "quiet_hours", "off")
    policy = effective_policy(store, world.settings)
    assert (policy.max_per_day, policy.quiet_hours) == (5, None)
    assert effective_policy(world.store("someone-else"), world.settings).max_per_day == 3
    set_policy(store, world.settings, "max_per_day", None)
    assert effective_policy(store, world.settings).max_per_day == 3


@pytest.mark.parametrize(
    ("key", "value"),
    [("quiet_hours", "late at night"), ("max_per_day", "-1"), ("kinds", "gossip"), ("nope", "1")],
)
def test_a_bad_policy_value_is_refused_and_nothing_changes(
    world: World, key: str, value: str
) -> None:
    before = effective_policy(world.store(), world.settings)
    with pytest.raises(ConfigError) as caught:
        set_policy(world.store(), world.settings, key, value)
    assert caught.value.hint
    assert effective_policy(world.store(), world.settings) == before


def test_an_event_in_the_calendar_gets_a_nudge_before_it(world: World) -> None:
    from os1.skills.calendar.service import import_ics

    start = datetime(2026, 3, 25, 11, 0, tzinfo=LONDON)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:dentist-1\r\nDTSTAMP:20260301T000000Z\r\n"
        f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{(start + timedelta(hours=1)).astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    now = datetime(2026, 3, 25, 10, 0, tzinfo=LONDON)
    ctx = SkillContext(
        store=world.store(), settings=world.settings, home=world.home, clock=lambda: now
    )
    import_ics(ctx, ics, "test.ics")
    world.store().set_profile("name", "Sam")  # the scheduler nudges users it knows
    clock = Clock(now)
    with world.scheduler(clock) as scheduler:
        assert scheduler.tick().planned == 0  # not within the look-ahead yet
        assert scheduler.tick(clock.set(now + timedelta(minutes=40))).planned == 1
        assert scheduler.tick(clock.set(now + timedelta(minutes=44))).fired == 0
        assert scheduler.tick(clock.set(now + timedelta(minutes=45))).fired == 1
        assert scheduler.tick(clock.set(now + timedelta(minutes=50))).planned == 0
    assert [m["text"] for m in world.arrived()] == ["In 15 minutes: Dentist (at 11:00)."]


def test_a_message_is_planned_from_once_even_if_read_twice(world: World) -> None:
    said = say(world, "today was awful")
    with world.scheduler(Clock(said)) as first:
        assert first.tick().planned == 1
    world.store().query("DELETE FROM proactive_scan")  # as if the cursor were lost
    with world.scheduler(Clock(said)) as second:
        assert second.tick().planned == 0
    assert len(book.listed(world.store(), kind="checkin")) == 1


def test_old_messages_read_for_the_first_time_plan_nothing_stale(world: World) -> None:
    said = say(world, "today was awful")
    with world.scheduler(Clock(said + timedelta(days=5))) as scheduler:
        assert scheduler.tick().planned == 0
    assert book.listed(world.store(), include_all=True, kind="checkin") == []


def test_many_users_messages_are_read_on_the_schedulers_one_connection(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More users than stay open (max_open_stores) used to mean a new connection, and its
    # set-up, for nearly every message that planned something.
    users = [f"user{i}" for i in range(5)]
    said = {user: say(world, "Today was awful, honestly.", user) for user in users}
    opened: list[str] = []
    real_init = SQLiteStore.__init__

    def counting_init(self: SQLiteStore, *args: Any, **kwargs: Any) -> None:
        opened.append(self.__class__.__name__)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteStore, "__init__", counting_init)
    with world.scheduler(Clock(max(said.values()))) as scheduler:
        scheduler.max_open_stores = 2
        assert scheduler.tick().planned == len(users)
        assert scheduler.tick().planned == 0  # read once
    assert len(opened) == 1
    for user in users:
        [planned] = book.listed(world.store(user), kind="checkin")
        assert planned.due == local_day_after(said[user], time(18, 0))
