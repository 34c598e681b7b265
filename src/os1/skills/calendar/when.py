"""Dates and times in calendar requests: "tomorrow", "Friday at 1pm", "Thursday evening".

Built on `os1.memory.dates` (which reads phrases as the past, as memories are) and turned
towards the future, as plans are: "Friday" is the coming one, "4 May" the next one. All times
are built in the user's IANA zone, so an hour on the far side of a DST change stays right.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from os1.config import Settings
from os1.memory.dates import DISTANT_FUTURE, find_time_ranges, strip_time_expressions
from os1.skills.base import ToolError

__all__ = ["When", "parse_clock", "parse_moment", "parse_when", "strip_when", "user_zone"]


def user_zone(settings: Settings) -> tzinfo:
    """`settings.timezone`, else the system's IANA zone, else UTC."""
    if settings.timezone:
        try:
            return ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ToolError(
                f"unknown time zone {settings.timezone!r}",
                hint="Use an IANA name, e.g. `os1 config set timezone Europe/Berlin`.",
            ) from None
    return _system_zone()


def _system_zone() -> tzinfo:
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
        candidates.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


@dataclass(frozen=True, slots=True)
class When:
    start: datetime  # inclusive, in the user's zone
    end: datetime  # exclusive
    timed: bool  # a clock time was named ("at 1pm"), not only a day or part of one


_PAST_WORDS = re.compile(r"\b(?:last|ago|yesterday|previous|past|earlier)\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20|21)\d\d\b")
_NTH = re.compile(r"\bthe\s+[0-3]?\d(?:st|nd|rd|th)\b", re.IGNORECASE)
_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)

# "at 1pm", "1:30 pm", "13:00", "noon"; optionally "to/until 2pm" or "-2pm".
_TIME = (
    r"(?:(?P<{p}h>\d{{1,2}})(?:[:.](?P<{p}m>\d{{2}}))?\s*(?P<{p}ap>[ap]\.?\s*m\b\.?)?"
    r"|(?P<{p}w>noon|midday|midnight))"
)
_CLOCK = re.compile(
    r"(?:\b(?:at|from)\s+|(?<![\w:.])(?=\d{1,2}(?::\d{2})?\s*[ap]\.?\s*m\b|\d{1,2}:\d{2}))"
    + _TIME.format(p="a")
    + r"(?:\s*(?:-|–|to|until|till)\s*"
    + _TIME.format(p="b")
    + r")?",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\bfor\s+(?:(?P<n>\d+(?:\.\d+)?|an?|one|two|three|half\s+an?)\s+)?"
    r"(?P<unit>hours?|hrs?|minutes?|mins?)\b",
    re.IGNORECASE,
)
_WORD_COUNT = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0}


def _hour(h: str | None, m: str | None, ap: str | None, word: str | None) -> tuple[int, int]:
    if word:
        return (0, 0) if word.lower() == "midnight" else (12, 0)
    hour, minute = int(h or 0), int(m or 0)
    if ap:
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock out of range")
        hour = hour % 12 + (12 if ap.lower().startswith("p") else 0)
    elif 1 <= hour <= 7 and not m:
        hour += 12  # "lunch at 1", "drinks at 6": afternoon, not the small hours
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError("clock out of range")
    return hour, minute


def parse_clock(text: str) -> tuple[tuple[int, int], tuple[int, int] | None, str] | None:
    """The clock time named in text (start, optional end, matched phrase), or None."""
    for m in _CLOCK.finditer(text):
        if not (m["ah"] or m["aw"]):
            continue
        try:
            start = _hour(m["ah"], m["am"], m["aap"] or m["bap"], m["aw"])
            end = None
            if m["bh"] or m["bw"]:
                end = _hour(m["bh"], m["bm"], m["bap"], m["bw"])
        except ValueError:
            continue
        return start, end, m.group(0)
    return None


def parse_duration(text: str) -> timedelta | None:
    m = _DURATION.search(text)
    if m is None:
        return None
    raw = (m["n"] or "a").lower()
    count = 0.5 if raw.startswith("half") else _WORD_COUNT.get(raw) or float(raw)
    unit = m["unit"].lower()
    return timedelta(hours=count) if unit.startswith("h") else timedelta(minutes=count)


def _forward(
    start: datetime, end: datetime, phrase: str, now: datetime
) -> tuple[datetime, datetime]:
    """A range read as the past ("Friday" = last Friday) moved to the next one to come."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if end > today or _PAST_WORDS.search(phrase):
        return start, end
    if _WEEKDAY.search(phrase):
        while end <= today:
            start, end = start + timedelta(days=7), end + timedelta(days=7)
        return start, end
    if _NTH.search(phrase) and not _MONTH.search(phrase):  # "on the 4th": next month's
        month = start.month % 12 + 1
        year = start.year + (start.month == 12)
        try:
            moved = start.replace(year=year, month=month)
        except ValueError:  # "the 31st" in a 30-day month: not a day to move to
            return start, end
        return moved, moved + (end - start)
    if not _YEAR.search(phrase):  # "4 May", "in June", "Christmas": the next one
        try:
            return start.replace(year=start.year + 1), end.replace(year=end.year + 1)
        except ValueError:  # 29 February
            return start.replace(year=start.year + 4), end.replace(year=end.year + 4)
    return start, end


def parse_when(text: str, now: datetime) -> When | None:
    """The day (or part of one) and clock time text names, looking forward from now."""
    clock = parse_clock(text)
    rest = text.replace(clock[2], " ") if clock else text
    ranges = [r for r in find_time_ranges(rest, now) if r.end.replace(tzinfo=None) < DISTANT_FUTURE]
    if ranges:
        start, end = _forward(ranges[0].start, ranges[0].end, ranges[0].text, now)
    elif clock:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
        if now.replace(hour=clock[0][0], minute=clock[0][1]) <= now:
            start, end = end, end + timedelta(days=1)  # "at 9am" after 9am: tomorrow's
    else:
        return None
    if clock is None:
        return When(start, end, timed=False)
    zone = start.tzinfo
    (h, mi), until, _ = clock
    at = datetime(start.year, start.month, start.day, h, mi, tzinfo=zone)
    stop = None
    if until is not None:
        stop = datetime(start.year, start.month, start.day, until[0], until[1], tzinfo=zone)
        if stop <= at:
            stop += timedelta(days=1)
    duration = parse_duration(rest)
    if stop is None and duration is not None:
        stop = at + duration
    return When(at, stop or at, timed=True)


def strip_when(text: str) -> str:
    """The text without its date, clock and duration phrases ("lunch with Amy")."""
    clock = parse_clock(text)
    if clock:
        text = text.replace(clock[2], " ")
    text = _DURATION.sub(" ", text)
    return strip_time_expressions(text)


def parse_moment(value: str, now: datetime, zone: tzinfo) -> tuple[datetime, bool]:
    """A tool argument: ISO ("2026-12-04 13:00", "2026-12-04") or words ("Friday at 1pm").

    Returns the moment in the user's zone and whether it carried a clock time.
    """
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None:
        timed = len(text) > 10
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(zone), timed
    found = parse_when(text, now)
    if found is not None:
        return found.start, found.timed
    import dateparser  # slow to import: only when our own rules did not understand

    guess = dateparser.parse(
        text,
        languages=["en"],  # as the reminders' fallback: not a search through ~200 locales
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if guess is None:
        raise ToolError(
            f"I don't understand the time {value!r}",
            hint="Say it like 'Friday at 1pm' or '2026-12-04 13:00'.",
        )
    return guess.replace(tzinfo=zone), bool(guess.hour or guess.minute)


def utc_stamp(moment: datetime) -> str:
    """A sortable UTC stamp for range filters in SQL."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
