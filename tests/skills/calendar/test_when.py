"""Times in calendar requests are read towards the future, in the user's zone, DST-correct."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from os1.config import Settings
from os1.skills.base import ToolError
from os1.skills.calendar.when import parse_moment, parse_when, strip_when, user_zone
from tests.skills.calendar.conftest import BERLIN, NOW


def day(text: str) -> tuple[str, str]:
    found = parse_when(text, NOW)
    assert found is not None, text
    return f"{found.start:%Y-%m-%d %H:%M}", f"{found.end:%Y-%m-%d %H:%M}"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tomorrow", "2026-12-01 00:00", "2026-12-02 00:00"),
        ("Friday", "2026-12-04 00:00", "2026-12-05 00:00"),
        ("on Monday", "2026-11-30 00:00", "2026-12-01 00:00"),  # today is Monday
        ("next Monday", "2026-12-07 00:00", "2026-12-08 00:00"),
        ("Thursday evening", "2026-12-03 18:00", "2026-12-04 00:00"),
        ("next week", "2026-12-07 00:00", "2026-12-14 00:00"),
        ("4 December", "2026-12-04 00:00", "2026-12-05 00:00"),
        ("2 November", "2027-11-02 00:00", "2027-11-03 00:00"),  # passed: next year's
        ("on the 4th", "2026-12-04 00:00", "2026-12-05 00:00"),  # passed: next month's
        ("Friday at 1pm", "2026-12-04 13:00", "2026-12-04 13:00"),
        ("from 1 to 2:30pm on Friday", "2026-12-04 13:00", "2026-12-04 14:30"),
        ("lunch at 1 on Friday for 90 minutes", "2026-12-04 13:00", "2026-12-04 14:30"),
        ("at 9am", "2026-12-01 09:00", "2026-12-01 09:00"),  # 9am has passed today
        ("2026-12-04 13:00", "2026-12-04 13:00", "2026-12-04 13:00"),
    ],
)
def test_phrases_resolve_to_the_coming_time(text: str, start: str, end: str) -> None:
    assert day(text) == (start, end)


def test_words_without_a_time_are_not_a_when() -> None:
    assert parse_when("lunch with Amy", NOW) is None


def test_a_day_across_the_dst_change_keeps_its_wall_clock_hours() -> None:
    saturday = datetime(2027, 3, 27, 10, 0, tzinfo=BERLIN)  # clocks go forward on Sunday 28th
    found = parse_when("tomorrow at 9am", saturday)
    assert found is not None
    assert f"{found.start:%H:%M %z}" == "09:00 +0200"
    whole = parse_when("tomorrow", saturday)
    assert whole is not None
    # Same-zone subtraction in Python is wall-clock; the real length shows in UTC.
    assert whole.end.astimezone(UTC) - whole.start.astimezone(UTC) == timedelta(hours=23)


def test_the_title_is_what_is_left_without_the_time() -> None:
    assert strip_when("lunch with Amy on Friday at 1pm") == "lunch with Amy"


def test_a_tool_argument_may_be_iso_or_words() -> None:
    moment, timed = parse_moment("2026-12-04 13:00", NOW, BERLIN)
    assert (f"{moment:%Y-%m-%d %H:%M %z}", timed) == ("2026-12-04 13:00 +0100", True)
    moment, timed = parse_moment("2026-12-04", NOW, BERLIN)
    assert timed is False
    moment, timed = parse_moment("in 3 days", NOW, BERLIN)  # dateparser's fallback
    assert moment.date() == (NOW + timedelta(days=3)).date()
    with pytest.raises(ToolError) as err:
        parse_moment("whenever the moon is blue", NOW, BERLIN)
    assert err.value.hint


def test_the_zone_comes_from_settings_and_a_bad_one_is_a_clear_error() -> None:
    assert str(user_zone(Settings(model="scripted:echo", timezone="Asia/Tokyo"))) == "Asia/Tokyo"
    with pytest.raises(ToolError) as err:
        user_zone(Settings(model="scripted:echo", timezone="Mars/Olympus"))
    assert "IANA" in err.value.hint
