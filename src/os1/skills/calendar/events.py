"""Calendar events as OS1 sees them, and the iCalendar work behind them: parse, expand
repeating events, build, move and cancel — the same code for local and CalDAV calendars."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import icalendar
import recurring_ical_events

from os1.skills.base import ToolError

__all__ = [
    "CalendarEvent",
    "CalendarFileError",
    "build_event",
    "cancel_occurrence",
    "expand",
    "move_occurrence",
    "parse_ics",
    "split_by_uid",
]

LOCAL = "local"


class CalendarFileError(ToolError):
    code = "bad_calendar_file"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One occurrence of an event (a repeating event gives one per occurrence)."""

    uid: str
    summary: str
    start: datetime  # tz-aware, in the user's zone
    end: datetime  # tz-aware, exclusive
    location: str | None = None
    calendar: str = LOCAL
    all_day: bool = False
    recurring: bool = False


def parse_ics(data: str | bytes, source: str = "the file") -> icalendar.Calendar:
    """A VCALENDAR from text, or a clear error naming what is wrong."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarFileError(
            f"{source} is not a valid iCalendar file: {str(exc).splitlines()[0][:200]}",
            hint="Export it again from your calendar app as .ics (iCalendar).",
        ) from None
    if not isinstance(cal, icalendar.Calendar) or cal.name != "VCALENDAR":
        raise CalendarFileError(
            f"{source} is not a valid iCalendar file: it has no VCALENDAR",
            hint="Export it again from your calendar app as .ics (iCalendar).",
        )
    for event in cal.walk("VEVENT"):
        if event.get("DTSTART") is None:
            raise CalendarFileError(
                f"{source}: the event {str(event.get('SUMMARY', '(untitled)'))!r} has no start",
                hint="Every VEVENT needs a DTSTART.",
            )
        for key in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            if event.get(key) is None:
                continue
            try:
                value = event.decoded(key)
            except (ValueError, KeyError, TypeError):
                value = None
            # Lenient parsing keeps a broken value as text: that is a bad date all the same.
            if not isinstance(value, date):
                raise CalendarFileError(
                    f"{source}: the event {str(event.get('SUMMARY', '(untitled)'))!r} has a "
                    f"bad date in {key}",
                    hint="Dates look like 20261204T130000 or 20261204.",
                )
    return cal


def split_by_uid(cal: icalendar.Calendar) -> dict[str, icalendar.Calendar]:
    """One VCALENDAR per UID (the event, its overrides and the time zones it needs)."""
    zones = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
    grouped: dict[str, icalendar.Calendar] = {}
    for event in cal.walk("VEVENT"):
        if not event.get("UID"):
            event.add("UID", str(uuid.uuid4()))
        uid = str(event["UID"])
        if uid not in grouped:
            grouped[uid] = _new_calendar()
            for zone in zones:
                grouped[uid].add_component(copy.deepcopy(zone))
        grouped[uid].add_component(event)
    return grouped


def _new_calendar() -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//OS1//Calendar//EN")
    cal.add("VERSION", "2.0")
    return cal


def merge(calendars: Iterable[icalendar.Calendar]) -> icalendar.Calendar:
    """One VCALENDAR holding every event of many, each time zone once (for export)."""
    out = _new_calendar()
    zones: set[str] = set()
    for cal in calendars:
        for comp in cal.subcomponents:
            if comp.name == "VTIMEZONE":
                tzid = str(comp.get("TZID"))
                if tzid in zones:
                    continue
                zones.add(tzid)
            out.add_component(comp)
    return out


def _as_moment(value: date | datetime, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        # A "floating" time (no zone) is wall-clock time wherever the user is.
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    return datetime(value.year, value.month, value.day, tzinfo=zone)


def _occurrence(component: Any, calendar: str, zone: tzinfo, recurring: bool) -> CalendarEvent:
    raw_start = component.decoded("DTSTART")
    all_day = not isinstance(raw_start, datetime)
    start = _as_moment(raw_start, zone)
    if component.get("DTEND") is not None:
        end = _as_moment(component.decoded("DTEND"), zone)
    elif component.get("DURATION") is not None:
        end = start + component.decoded("DURATION")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    location = component.get("LOCATION")
    return CalendarEvent(
        uid=str(component.get("UID", "")),
        summary=str(component.get("SUMMARY", "(untitled)")),
        start=start,
        end=end,
        location=str(location) if location else None,
        calendar=calendar,
        all_day=all_day,
        recurring=recurring,
    )


def expand(
    cal: icalendar.Calendar, start: datetime, end: datetime, calendar: str, zone: tzinfo
) -> list[CalendarEvent]:
    """Occurrences overlapping [start, end), repeating events expanded (RRULE, EXDATE,
    RDATE and moved occurrences)."""
    recurring = any(
        e.get("RRULE") is not None or e.get("RDATE") is not None or e.get("RECURRENCE-ID")
        for e in cal.walk("VEVENT")
    )
    try:
        found = recurring_ical_events.of(cal).between(start, end)
    except (ValueError, TypeError) as exc:
        raise CalendarFileError(f"a repeating event in {calendar!r} can't be read: {exc}") from None
    events = []
    for component in found:
        event = _occurrence(component, calendar, zone, recurring)
        # Zero-length events sit at their start; the library's bounds are inclusive there.
        if event.start < end and (event.end > start or event.start >= start):
            events.append(event)
    return events


def bounds(cal: icalendar.Calendar, zone: tzinfo) -> tuple[datetime, datetime | None]:
    """Earliest start and latest end of everything in cal (None: it repeats without end)."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    open_ended = False
    for event in cal.walk("VEVENT"):
        occurrence = _occurrence(event, "", zone, False)
        starts.append(occurrence.start)
        ends.append(max(occurrence.end, occurrence.start))
        if event.get("RRULE") is not None or event.get("RDATE") is not None:
            open_ended = True
    if not starts:
        raise CalendarFileError("the calendar entry holds no event")
    # A day of slack each side: floating times and all-day events move with the zone.
    slack = timedelta(days=1)
    return min(starts) - slack, None if open_ended else max(ends) + slack


def build_event(
    summary: str,
    start: datetime | date,
    end: datetime | date,
    *,
    location: str | None = None,
    uid: str | None = None,
) -> icalendar.Calendar:
    """A VCALENDAR with one new event (VTIMEZONE added for its zone)."""
    event = icalendar.Event()
    event.add("UID", uid or f"{uuid.uuid4()}@os1")
    event.add("DTSTAMP", datetime.now(UTC))
    event.add("SUMMARY", summary)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    if location:
        event.add("LOCATION", location)
    cal = _new_calendar()
    cal.add_component(event)
    _add_zones(cal)
    return cal


def _add_zones(cal: icalendar.Calendar) -> None:
    if hasattr(cal, "add_missing_timezones"):
        cal.add_missing_timezones()


def _master(cal: icalendar.Calendar) -> Any:
    for event in cal.walk("VEVENT"):
        if event.get("RECURRENCE-ID") is None:
            return event
    raise CalendarFileError("the calendar entry holds no main event")


def _is_occurrence(event: Any, occurrence: CalendarEvent, zone: tzinfo) -> bool:
    return _as_moment(event.decoded("RECURRENCE-ID"), zone) == occurrence.start


def move_occurrence(
    cal: icalendar.Calendar,
    occurrence: CalendarEvent,
    new_start: datetime,
    zone: tzinfo,
) -> icalendar.Calendar:
    """cal with one occurrence moved (its length kept); a repeating event gets an override
    for that occurrence only, as calendar apps do."""
    length = occurrence.end - occurrence.start
    new_end = new_start + length
    master = _master(cal)
    if not occurrence.recurring:
        _set_times(master, new_start, new_end, occurrence.all_day)
        _bump(master)
        _add_zones(cal)
        return cal
    for event in cal.walk("VEVENT"):
        rid = event.get("RECURRENCE-ID")
        if rid is not None and _is_occurrence(event, occurrence, zone):
            _set_times(event, new_start, new_end, occurrence.all_day)
            _bump(event)
            _add_zones(cal)
            return cal
    override = icalendar.Event()
    for key in ("UID", "SUMMARY", "LOCATION", "DESCRIPTION"):
        if master.get(key) is not None:
            override.add(key, master.get(key))
    override.add("DTSTAMP", datetime.now(UTC))
    original = master.decoded("DTSTART")
    if isinstance(original, datetime):
        rid_value: date | datetime = occurrence.start.astimezone(original.tzinfo or zone)
        if original.tzinfo is None:
            rid_value = occurrence.start.replace(tzinfo=None)
    else:
        rid_value = occurrence.start.date()
    override.add("RECURRENCE-ID", rid_value)
    _set_times(override, new_start, new_end, occurrence.all_day)
    cal.add_component(override)
    _add_zones(cal)
    return cal


def cancel_occurrence(
    cal: icalendar.Calendar, occurrence: CalendarEvent, zone: tzinfo
) -> icalendar.Calendar:
    """cal without one occurrence of a repeating event (an EXDATE on the main event)."""
    master = _master(cal)
    original = master.decoded("DTSTART")
    if isinstance(original, datetime):
        value: date | datetime = (
            occurrence.start.replace(tzinfo=None)
            if original.tzinfo is None
            else occurrence.start.astimezone(original.tzinfo)
        )
    else:
        value = occurrence.start.date()
    master.add("EXDATE", value)
    _bump(master)
    for event in list(cal.walk("VEVENT")):
        rid = event.get("RECURRENCE-ID")
        if rid is not None and _is_occurrence(event, occurrence, zone):
            cal.subcomponents.remove(event)
    return cal


def _set_times(event: Any, start: datetime, end: datetime, all_day: bool) -> None:
    for key in ("DTSTART", "DTEND", "DURATION"):
        if key in event:
            del event[key]
    if all_day:
        event.add("DTSTART", start.date())
        event.add("DTEND", max(end.date(), start.date() + timedelta(days=1)))
    else:
        event.add("DTSTART", start)
        event.add("DTEND", end)


def _bump(event: Any) -> None:
    sequence = int(event.get("SEQUENCE", 0))
    if "SEQUENCE" in event:
        del event["SEQUENCE"]
    event.add("SEQUENCE", sequence + 1)
