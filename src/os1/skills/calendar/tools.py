"""Calendar tools: read at once ("what's on Friday?", "am I free?"); add, move and cancel
only after the user confirms."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from os1.skills.base import SkillContext, ToolError, ToolOutput, tool
from os1.skills.calendar.events import (
    LOCAL,
    CalendarEvent,
    build_event,
    cancel_occurrence,
    move_occurrence,
)
from os1.skills.calendar.service import Calendars, open_calendars
from os1.skills.calendar.when import When, parse_moment, parse_when


def _now(cals: Calendars) -> datetime:
    return cals.ctx.now().astimezone(cals.zone)


def date_words(d: date, today: date) -> str:
    """ "Friday 4 December" (with the year when it isn't this one)."""
    return f"{d:%A} {d.day} {d:%B}" + (f" {d.year}" if d.year != today.year else "")


def _whole_days(start: datetime, end: datetime) -> bool:
    return (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)


def span_words(start: datetime, end: datetime, today: date) -> str:
    """ "Friday 4 December", "Thursday 3 December, 18:00–00:00" or "… to …"."""
    last_day = (end - timedelta(microseconds=1)).date()
    if _whole_days(start, end) and last_day == start.date():
        return date_words(start.date(), today)
    if end - start <= timedelta(hours=24):
        return f"{date_words(start.date(), today)}, {start:%H:%M}–{end:%H:%M}"
    return f"{date_words(start.date(), today)} to {date_words(last_day, today)}"


def day_label(d: date, today: date) -> str:
    named = date_words(d, today)
    if d == today:
        return f"today ({named})"
    if d == today + timedelta(days=1):
        return f"tomorrow ({named})"
    return named


def event_line(e: CalendarEvent) -> str:
    if e.all_day:
        days = (e.end.date() - e.start.date()).days
        when = "all day" if days <= 1 else f"all day until {e.end.date() - timedelta(days=1)}"
    elif e.end.date() != e.start.date() and e.end - e.start > timedelta(hours=24):
        when = f"{e.start:%H:%M} until {e.end:%a %d %b %H:%M}"
    else:
        when = f"{e.start:%H:%M}–{e.end:%H:%M}" if e.end > e.start else f"{e.start:%H:%M}"
    place = f" ({e.location})" if e.location else ""
    where = f" [{e.calendar}]" if e.calendar != LOCAL else ""
    return f"{when} {e.summary}{place}{where}"


def _span(text: str | None, cals: Calendars) -> tuple[When, str]:
    """The range a read question is about, and how to name it."""
    now = _now(cals)
    phrase = (text or "").strip() or "today"
    found = parse_when(phrase, now)
    if found is None:
        raise ToolError(
            f"I don't understand the time {phrase!r}",
            hint="Try 'today', 'tomorrow', 'Friday', 'next week' or '2026-12-04'.",
        )
    if found.timed and found.end == found.start:
        found = When(found.start, found.start + timedelta(hours=1), timed=True)
    return found, phrase.rstrip("?.!")


def _with_problems(text: str, cals: Calendars) -> str:
    if cals.problems:
        text += "\n(Not included: " + "; ".join(cals.problems) + ")"
    return text


@tool
def calendar_events(ctx: SkillContext, when: str = "today") -> ToolOutput:
    """List the events in the user's calendars for a day or period.

    Args:
        when: The day or period, e.g. "today", "tomorrow", "Friday", "next week", "2026-12-04".
    """
    cals = open_calendars(ctx)
    span, phrase = _span(when, cals)
    start, end = span.start, span.end
    if span.timed:  # "at 3pm tomorrow": the whole day is the useful answer
        start = start.replace(hour=0, minute=0)
        end = start + timedelta(days=1)
    events = cals.events(start, end)
    today = _now(cals).date()
    last_day = (end - timedelta(microseconds=1)).date()
    if not events:
        if _whole_days(start, end) and last_day == start.date():
            text = f"Nothing on your calendar {day_label(start.date(), today)}."
        else:
            text = f"Nothing on your calendar {phrase} ({span_words(start, end, today)})."
        return ToolOutput(_with_problems(text, cals), data=[])
    lines: list[str] = []
    current: date | None = None
    for e in events:
        shown = max(e.start, start).date()
        if shown != current:
            current = shown
            lines.append(f"{day_label(shown, today)[0].upper()}{day_label(shown, today)[1:]}:")
        lines.append(f"- {event_line(e)}")
    # Titles and places may come from invitations others sent: outside text.
    return ToolOutput(_with_problems("\n".join(lines), cals), data=events, untrusted=True)


@tool
def calendar_free(ctx: SkillContext, when: str) -> ToolOutput:
    """Say whether the user is free at a time or during a period.

    Args:
        when: The time or period, e.g. "Thursday evening", "tomorrow at 3pm", "Friday".
    """
    cals = open_calendars(ctx)
    span, label = _span(when, cals)
    events = [e for e in cals.events(span.start, span.end) if not e.all_day]
    today = _now(cals).date()
    period = f"{label} ({span_words(span.start, span.end, today)})"
    if not events:
        return ToolOutput(_with_problems(f"Yes, you're free {period}.", cals), data=[])
    busy = "\n".join(f"- {event_line(e)}" for e in events)
    text = f"No, {period} you have:\n{busy}"
    return ToolOutput(_with_problems(text, cals), data=events, untrusted=True)


_CLOCK_ONLY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


@tool(side_effect=True, confirm="add “{summary}” on {start} to your calendar")
def calendar_add(
    ctx: SkillContext,
    summary: str,
    start: str,
    minutes: int = 60,
    location: str | None = None,
    calendar: str | None = None,
) -> str:
    """Add an event to the user's calendar.

    Args:
        summary: The event's title, e.g. "Lunch with Amy".
        start: When it starts, e.g. "2026-12-04 13:00"; a date alone makes an all-day event.
        minutes: How long it lasts, in minutes.
        location: Where it happens, if said.
        calendar: Which calendar to add it to; default: the configured default one.
    """
    if not summary.strip():
        raise ToolError("an event needs a title", hint="Say what the event is.")
    if not 1 <= minutes <= 60 * 24 * 14:
        raise ToolError("an event lasts between a minute and two weeks")
    cals = open_calendars(ctx)
    name = calendar or cals.default
    source = cals.source(name)
    begin, timed = parse_moment(start, _now(cals), cals.zone)
    entry = (
        build_event(summary.strip(), begin, begin + timedelta(minutes=minutes), location=location)
        if timed
        else build_event(
            summary.strip(), begin.date(), begin.date() + timedelta(days=1), location=location
        )
    )
    uid = str(next(iter(entry.walk("VEVENT")))["UID"])
    source.put(uid, entry)
    today = _now(cals).date()
    when = f"at {begin:%H:%M}" if timed else "(all day)"
    where = "" if name == LOCAL else f" in {name}"
    return f"Added “{summary.strip()}” {day_label(begin.date(), today)} {when}{where}."


def _pick(cals: Calendars, event: str, when: str | None) -> CalendarEvent:
    start = end = None
    if when and when.strip() and when.strip().lower() not in ("the next one", "next"):
        span, _ = _span(when, cals)
        start, end = span.start.replace(hour=0, minute=0), span.end
        if end <= start + timedelta(hours=1):
            end = start + timedelta(days=1)
    found = cals.find(event, start, end)
    if not found:
        raise ToolError(
            f"I can't find an event matching “{event}”"
            + (f" on {when}" if start else " in the coming months"),
            hint="Check `os1 calendar week`, or name it as it is written in your calendar.",
        )
    return found[0]


@tool(side_effect=True, confirm="move “{event}” to {to}")
def calendar_move(ctx: SkillContext, event: str, to: str, when: str | None = None) -> str:
    """Move an event (the next one matching the words) to another day or time; its length stays.

    Args:
        event: Words from the event's title, e.g. "lunch with Amy".
        to: The new day and/or time: "2026-12-04" keeps the time of day, "15:00" keeps the day,
            "2026-12-04 15:00" sets both.
        when: The day of the occurrence to move, if not the next one.
    """
    cals = open_calendars(ctx)
    found = _pick(cals, event, when)
    now = _now(cals)
    clock = _CLOCK_ONLY.match(to)
    if clock:
        new_start = found.start.replace(hour=int(clock[1]), minute=int(clock[2]))
        timed = True
    else:
        new_start, timed = parse_moment(to, now, cals.zone)
        if not timed:
            new_start = datetime.combine(new_start.date(), found.start.timetz())
    if found.all_day:
        new_start = datetime.combine(new_start.date(), found.start.timetz())
    else:
        new_start = new_start.replace(tzinfo=cals.zone)
    source = cals.source(found.calendar)
    entry = source.get(found.uid)
    source.put(found.uid, move_occurrence(entry, found, new_start, cals.zone))
    day = day_label(new_start.date(), now.date())
    at = "" if found.all_day else f" at {new_start:%H:%M}"
    return f"Moved “{found.summary}” to {day}{at}."


@tool(side_effect=True, confirm="cancel “{event}” ({when})")
def calendar_cancel(ctx: SkillContext, event: str, when: str = "the next one") -> str:
    """Cancel an event: the next one matching the words, or the one on a given day.

    Args:
        event: Words from the event's title, e.g. "lunch with Amy".
        when: The day of the occurrence, e.g. "2026-12-04"; default: the next one.
    """
    cals = open_calendars(ctx)
    found = _pick(cals, event, when)
    source = cals.source(found.calendar)
    if found.recurring:
        source.put(found.uid, cancel_occurrence(source.get(found.uid), found, cals.zone))
        what = "that occurrence of"
    else:
        source.delete(found.uid)
        what = ""
    day = day_label(found.start.date(), _now(cals).date())
    at = "" if found.all_day else f" at {found.start:%H:%M}"
    return f"Cancelled {what}“{found.summary}” {day}{at}.".replace("of“", "of “")


TOOLS = [calendar_events, calendar_free, calendar_add, calendar_move, calendar_cancel]
