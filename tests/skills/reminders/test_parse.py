"""Reminder times in plain words, resolved against fixed moments, in real time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from os1.skills.base import ToolError
from os1.skills.reminders.parse import next_occurrence, parse_reminder

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
# Wednesday 25 March 2026, 10:00 in London (GMT; clocks go forward on Sunday 29 March).
WED = datetime(2026, 3, 25, 10, 0, tzinfo=LONDON)


def at(*args: int, tz: ZoneInfo = LONDON) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("words", "what", "due", "rule"),
    [
        ("to call mum on Sunday at 6", "call mum", at(2026, 3, 29, 18, 0), None),
        ("in 20 minutes to check the oven", "check the oven", at(2026, 3, 25, 10, 20), None),
        ("tomorrow morning to water the plants", "water the plants", at(2026, 3, 26, 9), None),
        ("to pay rent every first Monday", "pay rent", at(2026, 4, 6, 9), "BYDAY=+1MO"),
        ("every day at 8 to take my pills", "take my pills", at(2026, 3, 26, 8), "FREQ=DAILY"),
        (
            "on the 3rd of March at noon to renew the passport",
            "renew the passport",
            at(2027, 3, 3, 12),
            None,
        ),
        ("to call the bank at 9:30", "call the bank", at(2026, 3, 26, 9, 30), None),
        ("to call the bank at 14:45", "call the bank", at(2026, 3, 25, 14, 45), None),
        ("to stretch at 10:30am", "stretch", at(2026, 3, 25, 10, 30), None),
        ("tonight to lock the door", "lock the door", at(2026, 3, 25, 21), None),
        ("at 6 in the morning to run", "run", at(2026, 3, 26, 6), None),
        ("at half past 7 to cook", "cook", at(2026, 3, 25, 19, 30), None),
        ("next Wednesday to bin day", "bin day", at(2026, 4, 1, 9), None),
        ("on Wednesday at 11 to call Jo", "call Jo", at(2026, 3, 25, 11), None),
        ("on Wednesday at 9 to call Jo", "call Jo", at(2026, 4, 1, 9), None),
        ("to book the dentist on the 1st", "book the dentist", at(2026, 4, 1, 9), None),
        ("to put on sun cream at 2pm", "put on sun cream", at(2026, 3, 25, 14), None),
        ("to renew the passport on 12/03/2027", "renew the passport", at(2027, 3, 12, 9), None),
        ("in an hour and a half to stretch", "stretch", at(2026, 3, 25, 11, 30), None),
        (
            "every Monday and Thursday at 7am to go running",
            "go running",
            at(2026, 3, 26, 7),
            "BYDAY=MO,TH",
        ),
        (
            "every weekday at 8:15 to stand up",
            "stand up",
            at(2026, 3, 26, 8, 15),
            "BYDAY=MO,TU,WE,TH,FR",
        ),
        ("on the 1st of every month to pay rent", "pay rent", at(2026, 4, 1, 9), "BYMONTHDAY=1"),
        ("every year on 3 March to send a card", "send a card", at(2027, 3, 3, 9), "BYMONTH=3"),
        ("to stretch every 2 hours", "stretch", at(2026, 3, 25, 12), "FREQ=HOURLY;INTERVAL=2"),
    ],
)
def test_phrasings_resolve_to_the_expected_local_time(
    words: str, what: str, due: datetime, rule: str | None
) -> None:
    parsed = parse_reminder(words, WED, LONDON)
    assert parsed.what == what
    assert parsed.when.due == due
    assert parsed.when.due.utcoffset() == due.utcoffset()
    if rule is None:
        assert parsed.when.rrule is None
    else:
        assert parsed.when.rrule is not None and rule in parsed.when.rrule


def test_sunday_at_6_is_a_summer_time_moment_after_the_clocks_change() -> None:
    parsed = parse_reminder("call mum on Sunday at 6", WED, LONDON)
    assert parsed.when.due.isoformat() == "2026-03-29T18:00:00+01:00"


def test_a_duration_is_elapsed_time_across_the_spring_change() -> None:
    # 00:30 GMT; clocks jump from 01:00 to 02:00: two real hours later reads 03:30 BST.
    before = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)
    parsed = parse_reminder("in 2 hours to check", before, LONDON)
    assert parsed.when.due.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=2)
    assert parsed.when.due.isoformat() == "2026-03-29T03:30:00+01:00"


def test_a_wall_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    parsed = parse_reminder(
        "at 1:30am to feed the cat", datetime(2026, 3, 28, 22, 0, tzinfo=LONDON), LONDON
    )
    assert parsed.when.due.isoformat() == "2026-03-29T02:30:00+01:00"


def test_an_ambiguous_autumn_wall_time_is_the_first_of_the_two() -> None:
    # 25 October 2026: 01:30 happens twice in London; the first is still summer time.
    parsed = parse_reminder(
        "at 1:30am to sleep", datetime(2026, 10, 24, 22, 0, tzinfo=LONDON), LONDON
    )
    assert parsed.when.due.isoformat() == "2026-10-25T01:30:00+01:00"


@pytest.mark.parametrize(
    ("start", "tz"),
    [
        (datetime(2026, 3, 26, 12, tzinfo=LONDON), LONDON),
        (datetime(2026, 10, 22, 12, tzinfo=LONDON), LONDON),
        (datetime(2026, 3, 5, 12, tzinfo=NEW_YORK), NEW_YORK),
        (datetime(2026, 10, 29, 12, tzinfo=NEW_YORK), NEW_YORK),
    ],
)
def test_every_day_at_9_stays_at_9_local_across_a_dst_change(start: datetime, tz: ZoneInfo) -> None:
    parsed = parse_reminder("every day at 9 to stretch", start, tz)
    assert parsed.when.rrule is not None and parsed.when.start is not None
    due = parsed.when.due
    seen = []
    for _ in range(8):
        seen.append(due)
        nxt = next_occurrence(parsed.when.rrule, parsed.when.start, due.replace(tzinfo=None), tz)
        assert nxt is not None
        due = nxt
    assert {(d.hour, d.minute) for d in seen} == {(9, 0)}
    assert len({d.utcoffset() for d in seen}) == 2  # the week crossed a change
    gaps = [b.astimezone(UTC) - a.astimezone(UTC) for a, b in zip(seen, seen[1:], strict=False)]
    assert sorted(gaps)[1:-1] == [timedelta(hours=24)] * 5  # and one of 23 or 25 hours
    assert {sorted(gaps)[0], sorted(gaps)[-1]} & {timedelta(hours=23), timedelta(hours=25)}


def test_the_same_words_in_new_york_use_new_york_time() -> None:
    now = datetime(2026, 3, 25, 10, 0, tzinfo=NEW_YORK)
    parsed = parse_reminder("tomorrow at 8 to call", now, NEW_YORK)
    assert parsed.when.due.isoformat() == "2026-03-26T08:00:00-04:00"


def test_a_time_already_passed_today_is_tomorrow() -> None:
    parsed = parse_reminder("at 9 to walk", WED, LONDON)
    assert parsed.when.due == at(2026, 3, 26, 9)


def test_a_date_already_passed_this_year_is_next_year() -> None:
    parsed = parse_reminder("on 3 March to renew", WED, LONDON)
    assert parsed.when.due == at(2027, 3, 3, 9)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("to call mum", "when"),
        ("tomorrow at 9", "what"),
        ("today at 9 to walk", "already passed"),
        ("on 31 February at 9 to walk", "no day 31"),
    ],
)
def test_what_cannot_be_understood_gets_a_clear_error_with_a_hint(words: str, message: str) -> None:
    with pytest.raises(ToolError) as caught:
        parse_reminder(words, WED, LONDON)
    assert message in caught.value.message
    assert caught.value.hint or "already" in message or "no day" in message


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=1, max_value=600),
    ref=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
)
def test_in_n_minutes_is_always_exactly_n_minutes_later(minutes: int, ref: datetime) -> None:
    now = ref.replace(tzinfo=LONDON)
    parsed = parse_reminder(f"in {minutes} minutes to check", now, LONDON)
    assert parsed.when.due.astimezone(UTC) - now.astimezone(UTC) == timedelta(minutes=minutes)
    assert parsed.what == "check"


@settings(max_examples=60, deadline=None)
@given(
    hour=st.integers(min_value=0, max_value=23),
    minute=st.integers(min_value=0, max_value=59),
    ref=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
)
def test_a_24_hour_clock_time_is_always_the_next_one_ahead(
    hour: int, minute: int, ref: datetime
) -> None:
    now = ref.replace(tzinfo=LONDON)
    parsed = parse_reminder(f"at {hour:02d}:{minute:02d} to act", now, LONDON)
    due = parsed.when.due
    assert now.astimezone(UTC) < due.astimezone(UTC) <= now.astimezone(UTC) + timedelta(hours=25)
