"""One reading of future times for reminders and the calendar: where the two old readers
disagreed, both now give the answer pinned here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from os1.skills.calendar.when import parse_when as plan_when
from os1.skills.reminders.parse import parse_reminder
from os1.skills.reminders.parse import parse_when as reminder_when
from os1.time.future import parse_span
from tests.skills.calendar.conftest import BERLIN, NOW  # Monday 30 November 2026, 10:00

STAMP = "%Y-%m-%d %H:%M"


def plan(text: str) -> str:
    found = parse_span(text, NOW)
    assert found is not None, text
    return f"{found.start:{STAMP}}"


def reminder(text: str) -> str:
    found = reminder_when(text, NOW, BERLIN)
    assert found is not None, text
    return f"{found.due:{STAMP}}"


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        # The calendar read "7:30" as morning, reminders as evening: a single-digit hour
        # without am/pm is the afternoon's or evening's up to 7, minutes or not.
        ("on Friday at 7:30", "2026-12-04 19:30"),
        # The calendar read "at 10 tonight" as this morning's 10:00, already past.
        ("at 10 tonight", "2026-11-30 22:00"),
        # Said on Monday after 9, the calendar put "Monday at 9" an hour in the past.
        ("Monday at 9", "2026-12-07 09:00"),
        ("at half past 6", "2026-11-30 18:30"),  # the calendar did not know it
        ("at midnight", "2026-12-01 00:00"),  # nor this
    ],
)
def test_reminders_and_plans_read_a_time_the_same_way(text: str, moment: str) -> None:
    assert plan(text) == moment
    assert reminder(text) == moment


def test_a_24_hour_clock_stays_as_written() -> None:
    assert plan("breakfast at 07:30 on Thursday") == "2026-12-03 07:30"
    assert reminder("at 07:30 on Thursday") == "2026-12-03 07:30"


def test_a_plan_in_some_hours_is_that_moment_and_in_some_days_that_whole_day() -> None:
    soon = parse_span("call in 2 hours", NOW)
    assert soon is not None and soon.timed
    assert soon.start.astimezone(UTC) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    later = plan_when("dinner in three days", NOW)
    assert later is not None and not later.timed
    assert f"{later.start:{STAMP}}|{later.end:{STAMP}}" == "2026-12-03 00:00|2026-12-04 00:00"


def test_a_weekday_with_a_date_is_that_date_not_the_coming_weekday() -> None:
    assert plan("pottery on Tuesday 8 December at 6:30pm") == "2026-12-08 18:30"
    assert plan("day off on Monday the 14th") == "2026-12-14 00:00"
    assert reminder("on Monday the 14th") == "2026-12-14 09:00"


def test_a_clock_range_may_be_said_with_between() -> None:
    found = parse_span("plumber tomorrow between 8 and 10am", NOW)
    assert found is not None
    assert f"{found.start:%H:%M}-{found.end:%H:%M}" == "08:00-10:00"


def test_number_words_are_built_not_listed() -> None:
    """ "twenty-five" is tens + units from the package data, not its own table entry."""
    parsed = parse_reminder("turn the oven off in twenty-five minutes", NOW, BERLIN)
    assert parsed.what == "turn the oven off"
    assert f"{parsed.when.due:%H:%M}" == "10:25"
