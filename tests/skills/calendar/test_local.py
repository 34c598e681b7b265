"""Local calendars: events added, listed, imported and exported as iCalendar, repeating
events expanded, every row scoped to its user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from os1.skills import SkillContext
from os1.skills.calendar import upcoming_events
from os1.skills.calendar.events import CalendarFileError
from os1.skills.calendar.service import export_ics, import_ics
from os1.skills.calendar.tools import calendar_add, calendar_events, calendar_free
from os1.storage import SQLiteStore
from tests.skills.calendar.conftest import BERLIN, NOW

SAMPLE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:STANDARD
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:call-ny@test
SUMMARY:Call with the New York office
DTSTART;TZID=America/New_York:20261201T090000
DTEND;TZID=America/New_York:20261201T100000
LOCATION:Zoom
END:VEVENT
BEGIN:VEVENT
UID:birthday@test
SUMMARY:Mum's birthday
DTSTART;VALUE=DATE:20261203
DTEND;VALUE=DATE:20261204
END:VEVENT
BEGIN:VEVENT
UID:yoga@test
SUMMARY:Yoga
DTSTART;TZID=Europe/Berlin:20261102T183000
DTEND;TZID=Europe/Berlin:20261102T193000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Berlin:20261207T183000
END:VEVENT
BEGIN:VEVENT
UID:yoga@test
RECURRENCE-ID;TZID=Europe/Berlin:20261214T183000
SUMMARY:Yoga (late class)
DTSTART;TZID=Europe/Berlin:20261214T200000
DTEND;TZID=Europe/Berlin:20261214T210000
END:VEVENT
END:VCALENDAR
"""


def week_of(ctx: SkillContext, days: int = 22) -> list[tuple[str, str, str]]:
    start = NOW.replace(hour=0, minute=0)
    return [
        (e.summary, f"{e.start:%Y-%m-%d %H:%M}", f"{e.end:%H:%M}")
        for e in upcoming_events(ctx, start, start + timedelta(days=days))
    ]


def test_an_added_event_is_listed_on_its_day(ctx: SkillContext) -> None:
    reply = calendar_add.func(ctx, summary="Lunch with Amy", start="2026-12-04 13:00")
    assert reply == "Added “Lunch with Amy” Friday 4 December at 13:00."
    listed = calendar_events.func(ctx, when="Friday")
    assert listed.text == "Friday 4 December:\n- 13:00–14:00 Lunch with Amy"
    assert "Nothing on your calendar tomorrow" in calendar_events.func(ctx, when="tomorrow").text


def test_an_event_added_without_a_time_is_all_day(ctx: SkillContext) -> None:
    calendar_add.func(ctx, summary="Dentist", start="2026-12-02")
    (event,) = upcoming_events(ctx, NOW, NOW + timedelta(days=7))
    assert event.all_day and f"{event.start:%Y-%m-%d %H:%M}" == "2026-12-02 00:00"
    assert "all day Dentist" in calendar_events.func(ctx, when="Wednesday").text


def test_imported_events_come_in_the_users_zone_with_repeats_expanded(ctx: SkillContext) -> None:
    assert import_ics(ctx, SAMPLE, "sample.ics") == 3
    assert week_of(ctx) == [
        ("Yoga", "2026-11-30 18:30", "19:30"),
        ("Call with the New York office", "2026-12-01 15:00", "16:00"),  # 09:00 in New York
        ("Mum's birthday", "2026-12-03 00:00", "00:00"),
        # 7 December is excluded (EXDATE); the 14th was moved to 20:00 (RECURRENCE-ID).
        ("Yoga (late class)", "2026-12-14 20:00", "21:00"),
        ("Yoga", "2026-12-21 18:30", "19:30"),
    ]
    (call,) = [e for e in upcoming_events(ctx, NOW, NOW + timedelta(days=2)) if "York" in e.summary]
    assert call.start.tzinfo is not None and call.location == "Zoom"
    assert call.start.astimezone(UTC).hour == 14


def test_importing_the_same_file_twice_adds_nothing(ctx: SkillContext) -> None:
    import_ics(ctx, SAMPLE, "sample.ics")
    import_ics(ctx, SAMPLE, "sample.ics")
    assert len(week_of(ctx)) == 5


def test_export_then_import_gives_the_same_calendar(
    ctx: SkillContext, make_ctx: Callable[..., SkillContext], home: Path
) -> None:
    import_ics(ctx, SAMPLE, "sample.ics")
    calendar_add.func(ctx, summary="Lunch with Amy", start="2026-12-04 13:00", location="Luna")
    exported = export_ics(ctx)
    assert icalendar.Calendar.from_ical(exported).walk("VEVENT")  # a valid file
    other = SQLiteStore(home / "other.db")
    try:
        fresh = make_ctx(user_store=other)
        assert import_ics(fresh, exported, "export.ics") == 4
        assert week_of(fresh) == week_of(ctx)
    finally:
        other.close()


def test_a_weekly_event_keeps_its_hour_across_the_dst_change(ctx: SkillContext) -> None:
    calendar = SAMPLE.replace("20261102T183000", "20270315T183000").replace(
        "20261102T193000", "20270315T193000"
    )
    import_ics(ctx, calendar, "dst.ics")
    start = datetime(2027, 3, 20, tzinfo=BERLIN)
    yoga = [
        e for e in upcoming_events(ctx, start, start + timedelta(days=10)) if e.summary == "Yoga"
    ]
    assert [f"{e.start:%m-%d %H:%M %z}" for e in yoga] == ["03-22 18:30 +0100", "03-29 18:30 +0200"]
    assert [e.start.astimezone(UTC).hour for e in yoga] == [17, 16]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("this is not a calendar", "not a valid iCalendar file"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n", "has no start"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nSUMMARY:Bad\nDTSTART:2026-13-45\n"
            "END:VEVENT\nEND:VCALENDAR\n",
            "bad date",
        ),
    ],
)
def test_a_malformed_file_is_a_clear_error_and_stores_nothing(
    ctx: SkillContext, content: str, says: str
) -> None:
    import_ics(ctx, SAMPLE, "sample.ics")
    with pytest.raises(CalendarFileError) as err:
        import_ics(ctx, content, "broken.ics")
    assert "broken.ics" in err.value.message and says in err.value.message
    assert err.value.hint
    assert len(week_of(ctx)) == 5  # what was there is untouched


def test_one_users_events_are_invisible_to_another(
    ctx: SkillContext, make_ctx: Callable[..., SkillContext], home: Path
) -> None:
    calendar_add.func(ctx, summary="Private appointment", start="2026-12-01 10:00")
    bob_store = SQLiteStore(home / "os1.db", user_id="bob")
    try:
        bob = make_ctx(user_store=bob_store)
        assert upcoming_events(bob, NOW, NOW + timedelta(days=7)) == []
        assert "Nothing" in calendar_events.func(bob, when="tomorrow").text
        assert export_ics(bob).count(b"VEVENT") == 0
    finally:
        bob_store.close()
    assert len(upcoming_events(ctx, NOW, NOW + timedelta(days=7))) == 1


def test_free_or_busy_is_answered_for_a_part_of_a_day(ctx: SkillContext) -> None:
    calendar_add.func(ctx, summary="Dinner with Bob", start="2026-12-03 19:00", minutes=120)
    calendar_add.func(ctx, summary="Holiday", start="2026-12-03")  # all day: doesn't block
    busy = calendar_free.func(ctx, when="Thursday evening")
    assert busy.text.startswith("No, Thursday evening (Thursday 3 December, 18:00–00:00)")
    assert "19:00–21:00 Dinner with Bob" in busy.text
    free = calendar_free.func(ctx, when="Thursday morning")
    assert free.text == ("Yes, you're free Thursday morning (Thursday 3 December, 06:00–12:00).")
