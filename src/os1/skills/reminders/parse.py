"""Reminder times in plain words: "on Sunday at 6", "in 20 minutes", "every first Monday".

A small deterministic grammar reads the phrasings people use for reminders; dateparser, a
well-kept parser, reads a date the grammar doesn't know ("next month", "12/03/2027") in what is
left. `os1.memory.dates` is not used here: it resolves phrases backwards, as memories are about
the past ("on Friday" = the last Friday), while a reminder is about what comes.

Rules where English is ambiguous (kept simple so that results are predictable):
- A bare hour 1-7 with no am/pm is in the afternoon or evening ("at 6" = 18:00); 8-12 as said.
- A day without a time is at the configured default time (09:00); "morning", "evening"… at
  their configured hours.
- A time without a day is the next time it comes: today if still ahead, else tomorrow.
- A weekday is the next one whose time is still ahead (today counts); "next Sunday" skips today.
- A date without a year is the next one ahead.
- Durations ("in 2 hours") are elapsed time. Clock times are local wall time, so "every day at
  9" stays at 09:00 across a DST change; a wall time that does not exist (the spring-forward
  gap) moves forward by the gap, an ambiguous one (the fall-back hour) is the first of the two.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from os1.memory.dates import MONTHS as _MONTHS
from os1.skills.base import ToolError

__all__ = ["DayHours", "ParsedReminder", "When", "localize", "next_occurrence", "parse_reminder"]

_I = re.IGNORECASE

_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_RRULE_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "other": 2,
    "a couple of": 2,
    "couple of": 2,
    "a few": 3,
}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": -1,
}

# Full names only: "sun", "sat" and "wed" are words too ("sun cream", "I sat").
_WD = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUM = r"(?:\d{1,4}|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True)) + ")"
_PART = r"(?P<part>morning|afternoon|evening|night)"
_ORD = r"(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th|last)"
_EVERY = r"(?:every|each)"


@dataclass(frozen=True)
class DayHours:
    """The hours vague times stand for (from [reminders] in the config)."""

    default: time = time(9, 0)
    morning: time = time(9, 0)
    afternoon: time = time(14, 0)
    evening: time = time(18, 0)
    night: time = time(21, 0)

    def of(self, part: str) -> time:
        return getattr(self, part)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class When:
    """The first moment a reminder is due and, for a repeating one, its rule."""

    due: datetime  # tz-aware
    rrule: str | None = None  # RFC 5545 RRULE, evaluated in local wall time from `start`
    start: datetime | None = None  # naive local wall time of the first occurrence
    phrase: str = ""


@dataclass(frozen=True)
class ParsedReminder:
    what: str
    when: When


@dataclass
class _Spec:
    """What the phrases said, before it is turned into a moment."""

    freq: str | None = None
    interval: int = 1
    byday: list[str] = field(default_factory=list)
    bymonthday: int | None = None
    bymonth: int | None = None
    delta: timedelta | relativedelta | None = None
    day_offset: int | None = None
    weekday: int | None = None
    weekday_next: bool = False
    ymd: tuple[int | None, int | None, int] | None = None  # (year, month, day)
    hour: int | None = None
    minute: int = 0
    ampm: str | None = None
    part: str | None = None
    fallback: datetime | None = None  # a date dateparser read (naive local)
    phrases: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(
            self.freq
            or self.delta is not None
            or self.day_offset is not None
            or self.weekday is not None
            or self.ymd
            or self.hour is not None
            or self.part
            or self.fallback
        )


def _number(word: str) -> int:
    word = " ".join(word.lower().split())
    return int(word) if word.isdigit() else _NUMBERS[word]


def _unit_delta(n: float, unit: str) -> timedelta | relativedelta:
    unit = unit.lower()
    if unit.startswith(("sec",)):
        return timedelta(seconds=n)
    if unit.startswith(("min",)):
        return timedelta(minutes=n)
    if unit.startswith(("hour", "hr")):
        return timedelta(hours=n)
    if unit.startswith("day"):
        return timedelta(days=n)
    if unit.startswith(("week", "fortnight")):
        return timedelta(weeks=n * (2 if unit.startswith("fortnight") else 1))
    if unit.startswith("month"):
        return relativedelta(months=int(n))
    return relativedelta(years=int(n))


# --- the rules: each reads one kind of phrase into the spec --------------------------------


def _every_nth_weekday(m: re.Match[str], s: _Spec) -> None:
    s.freq = "MONTHLY"
    s.byday = [f"{_ORDINALS[m['ord'].lower()]:+d}{_RRULE_DAYS[_WEEKDAYS[m['wd'].lower()]]}"]


def _every_weekdays(m: re.Match[str], s: _Spec) -> None:
    s.freq = "WEEKLY"
    names = re.findall(_WD, m["wds"] or m["plural"], _I)
    s.byday = [_RRULE_DAYS[_WEEKDAYS[n.lower()]] for n in names]


def _every_workday(m: re.Match[str], s: _Spec) -> None:
    s.freq = "WEEKLY"
    s.byday = ["MO", "TU", "WE", "TH", "FR"] if "end" not in m[0].lower() else ["SA", "SU"]


def _every_unit(m: re.Match[str], s: _Spec) -> None:
    unit = m["unit"].lower().rstrip("s")
    s.freq = {
        "minute": "MINUTELY",
        "min": "MINUTELY",
        "hour": "HOURLY",
        "day": "DAILY",
        "week": "WEEKLY",
        "fortnight": "WEEKLY",
        "month": "MONTHLY",
        "year": "YEARLY",
    }[unit]
    s.interval = _number(m["n"]) if m["n"] else 1
    if unit == "fortnight":
        s.interval *= 2


def _every_part(m: re.Match[str], s: _Spec) -> None:
    s.freq = "DAILY"
    s.part = m["part"].lower()


def _adverb(m: re.Match[str], s: _Spec) -> None:
    word = m[0].lower()
    s.freq = {"daily": "DAILY", "hourly": "HOURLY", "weekly": "WEEKLY", "monthly": "MONTHLY"}.get(
        word, "YEARLY"
    )


def _nth_of_every_month(m: re.Match[str], s: _Spec) -> None:
    s.freq = "MONTHLY"
    s.bymonthday = int(m["d"])


def _in_duration(m: re.Match[str], s: _Spec) -> None:
    if m["half"]:
        s.delta = timedelta(minutes=30)
        return
    n: float = _number(m["n"])
    if m["andhalf"]:
        n += 0.5
    s.delta = _unit_delta(n, m["unit"])


def _relative_day(m: re.Match[str], s: _Spec) -> None:
    word = m["w"].lower()
    s.day_offset = {"today": 0, "tonight": 0, "tomorrow": 1}.get(word, 2)
    if word == "tonight":
        s.part = "night"
    if m["part"]:
        s.part = m["part"].lower()


def _this_part(m: re.Match[str], s: _Spec) -> None:
    s.day_offset = 0
    s.part = m["part"].lower()


def _weekday(m: re.Match[str], s: _Spec) -> None:
    s.weekday = _WEEKDAYS[m["wd"].lower()]
    s.weekday_next = bool(m["next"])
    if m["part"]:
        s.part = m["part"].lower()


def _day_month(m: re.Match[str], s: _Spec) -> None:
    year = int(m["y"]) if m["y"] else None
    s.ymd = (year, _MONTHS[m["mon"].lower()], int(m["d"]))


def _iso(m: re.Match[str], s: _Spec) -> None:
    s.ymd = (int(m["y"]), int(m["m"]), int(m["d"]))


def _nth(m: re.Match[str], s: _Spec) -> None:
    s.ymd = (None, None, int(m["d"]))


def _noon(m: re.Match[str], s: _Spec) -> None:
    s.hour, s.minute = (12, 0) if m["w"].lower() in ("noon", "midday") else (0, 0)
    s.ampm = "exact"


def _clock(m: re.Match[str], s: _Spec) -> None:
    g = m.groupdict()
    s.hour = _number(g["h"])
    s.minute = int(g["m"]) if g["m"] else 0
    if g.get("ap"):
        s.ampm = g["ap"].lower()[0]
    elif (g["m"] and len(g["h"]) == 2) or s.hour == 0 or s.hour > 12:
        s.ampm = "exact"  # "18:00", "09:30": a 24-hour clock
    if g.get("part"):
        s.part = g["part"].lower()


def _half_past(m: re.Match[str], s: _Spec) -> None:
    s.hour = _number(m["h"])
    s.minute = {"half": 30, "quarter": 15}[m["q"].lower()]
    if m["q2"].lower() == "to":
        s.hour, s.minute = s.hour - 1, 45


def _part_alone(m: re.Match[str], s: _Spec) -> None:
    s.part = m["part"].lower()


_HOUR = r"(?:[01]?\d|2[0-3]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_AP = r"(?P<ap>a\.?m\.?|p\.?m\.?)"

_RULES: list[tuple[re.Pattern[str], object]] = [
    (
        re.compile(
            rf"\b{_EVERY}\s+{_ORD}\s+(?P<wd>{_WD})\b(?:\s+of\s+(?:the|every|each)\s+month)?", _I
        ),
        _every_nth_weekday,
    ),
    (
        re.compile(
            r"\bon\s+the\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+of\s+(?:every|each|the)\s+month\b",
            _I,
        ),
        _nth_of_every_month,
    ),
    (
        re.compile(rf"\b(?:{_EVERY}\s+week\s*(?:day|end)|on\s+week\s*(?:days|ends))\b", _I),
        _every_workday,
    ),
    (re.compile(rf"\b{_EVERY}\s+work\s*day\b", _I), _every_workday),
    (
        re.compile(
            rf"\b(?:{_EVERY}\s+(?P<wds>{_WD}s?(?:\s*(?:,|and|,\s*and)\s*{_WD}s?)*)"
            rf"|on\s+(?P<plural>{_WD}s(?:\s*(?:,|and|,\s*and)\s*{_WD}s)*))\b",
            _I,
        ),
        _every_weekdays,
    ),
    (
        re.compile(
            rf"\b{_EVERY}\s+(?:(?P<n>{_NUM})\s+)?(?P<unit>minutes?|mins?|hours?|days?|weeks?"
            r"|fortnights?|months?|years?)\b",
            _I,
        ),
        _every_unit,
    ),
    (re.compile(rf"\b{_EVERY}\s+{_PART}\b", _I), _every_part),
    (re.compile(r"\b(?:daily|hourly|weekly|monthly|yearly|annually)\b", _I), _adverb),
    (
        re.compile(
            rf"\b(?:in\s+(?:(?P<half>half\s+an\s+hour)|(?P<n>{_NUM})\s+(?P<unit>seconds?|secs?"
            r"|minutes?|mins?|hours?|hrs?|days?|weeks?|fortnights?|months?|years?)"
            r"(?P<andhalf>\s+and\s+a\s+half)?)(?:['’]s?\s+time)?|"
            rf"(?P<n2>{_NUM})\s+(?P<unit2>minutes?|hours?|days?|weeks?)\s+from\s+now)\b",
            _I,
        ),
        None,  # handled by _in_or_from_now below
    ),
    (
        re.compile(
            rf"\b(?P<w>(?:the\s+)?day\s+after\s+tomorrow|today|tonight|tomorrow)"
            rf"(?:\s+{_PART})?\b",
            _I,
        ),
        _relative_day,
    ),
    (re.compile(rf"\bthis\s+{_PART}\b", _I), _this_part),
    (
        re.compile(
            rf"\b(?:on\s+)?(?:(?P<next>next)\s+|this\s+(?:coming\s+)?|coming\s+)?"
            rf"(?P<wd>{_WD})\b(?:\s+{_PART})?",
            _I,
        ),
        _weekday,
    ),
    (
        re.compile(
            rf"\b(?:on\s+)?(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MON})"
            r"\b(?:,?\s+(?P<y>\d{4})\b)?",
            _I,
        ),
        _day_month,
    ),
    (
        re.compile(
            rf"\b(?:on\s+)?(?P<mon>{_MON})\s+(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b"
            r"(?![:.]\d)(?:,?\s+(?P<y>\d{4})\b)?",
            _I,
        ),
        _day_month,
    ),
    (
        re.compile(r"\b(?:on\s+)?(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b", _I),
        _iso,
    ),
    (re.compile(r"\bon\s+the\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b", _I), _nth),
    (re.compile(r"\b(?:at\s+)?(?P<w>noon|midday|midnight)\b", _I), _noon),
    (
        re.compile(rf"\b(?:at\s+)?(?P<q>half|quarter)\s+(?P<q2>past|to)\s+(?P<h>{_HOUR})\b", _I),
        _half_past,
    ),
    (
        re.compile(
            rf"\b(?:at\s+)?(?P<h>{_HOUR})(?:[:.](?P<m>[0-5]\d))?\s*{_AP}(?!\w)"
            rf"(?:\s+(?:in\s+the\s+)?{_PART})?",
            _I,
        ),
        _clock,
    ),
    (
        re.compile(
            rf"\bat\s+(?P<h>{_HOUR})(?:[:.](?P<m>[0-5]\d))?(?:\s*o['’]?clock)?\b(?![:.]\d)"
            rf"(?:\s+(?:in\s+the\s+|at\s+)?{_PART})?",
            _I,
        ),
        _clock,
    ),
    (re.compile(r"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)\b", _I), _clock),
    (re.compile(rf"\b(?:in\s+the\s+|at\s+){_PART}\b", _I), _part_alone),
]


def _in_or_from_now(m: re.Match[str], s: _Spec) -> None:
    if m["n2"]:
        s.delta = _unit_delta(_number(m["n2"]), m["unit2"])
    else:
        _in_duration(m, s)


# Words a time phrase leaves dangling at either end of what to be reminded of.
_EDGE = re.compile(
    r"^(?:\s|[,:;\-–—]|to\b|that\b|about\b|and\b|then\b)+|(?:\s|,|\bon|\bat|\bby|\bfor|\band"
    r"|\bthen|[.!?;:])+$",
    _I,
)
_SAYS_TIME = re.compile(r":\d\d|\d\s*[ap]\.?m\b|\bnoon\b|\bmidnight\b", _I)
# A phrase dateparser may read; a match on a lone word ("may", "sat") is not trusted.
_DATEPARSER_WORDS = re.compile(
    r"\d|\b(?:next|week|month|year|fortnight|weekend|end|beginning|days?|hours?)\b", _I
)


def _read(text: str, s: _Spec) -> str:
    """Fill the spec from every phrase found; return the text with the phrases removed."""
    rest = text
    for pattern, handler in _RULES:
        m = pattern.search(rest)
        if m is None:
            continue
        before = _clone(s)
        if handler is None:
            _in_or_from_now(m, s)
        else:
            handler(m, s)  # type: ignore[operator]
        if _conflicts(before, s):
            _restore(s, before)
            continue
        s.phrases.append(" ".join(m[0].split()))
        rest = rest[: m.start()] + " " + rest[m.end() :]
    return rest


def _clone(s: _Spec) -> _Spec:
    copied = copy.copy(s)
    copied.byday, copied.phrases = list(s.byday), list(s.phrases)
    return copied


def _restore(s: _Spec, before: _Spec) -> None:
    for k, v in vars(before).items():
        setattr(s, k, v)


def _conflicts(before: _Spec, after: _Spec) -> bool:
    """A second phrase of a kind already read ("at 6" after "at 5") is left in the text."""
    return (before.hour is not None and after.hour != before.hour) or (
        before.ymd is not None and after.ymd != before.ymd
    )


def _fallback(rest: str, ref_local: datetime, date_order: str) -> tuple[datetime, str] | None:
    """Ask dateparser for a date the grammar doesn't know, in what is left of the text."""
    from dateparser.search import search_dates  # imported only when needed (~0.2 s)

    found = search_dates(
        rest,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": ref_local.replace(tzinfo=None),
            "RETURN_AS_TIMEZONE_AWARE": False,
            "DATE_ORDER": date_order,
        },
    )
    for phrase, value in found or []:
        if _DATEPARSER_WORDS.search(phrase) and value > ref_local.replace(tzinfo=None):
            return value, phrase
    return None


def parse_reminder(
    text: str,
    now: datetime,
    tz: tzinfo,
    hours: DayHours | None = None,
    *,
    date_order: str = "DMY",
) -> ParsedReminder:
    """Split "call mum on Sunday at 6" into what and when, resolved against `now`."""
    hours = hours or DayHours()
    spec = _Spec()
    rest = _read(text, spec)
    ref = now.astimezone(tz)
    if not spec.found:
        hit = _fallback(rest, ref, date_order)
        if hit is not None:
            spec.fallback, phrase = hit
            spec.phrases.append(phrase)
            rest = rest.replace(phrase, " ", 1)
    what = _EDGE.sub("", " ".join(rest.split())).strip()
    if not spec.found:
        raise ToolError(
            "I couldn't tell when to remind you.",
            hint='Say when, e.g. "tomorrow at 9", "in 20 minutes", "every Monday at 8".',
        )
    if not what:
        raise ToolError(
            "I couldn't tell what to remind you of.",
            hint='Say what, e.g. "remind me to call mum on Sunday at 6".',
        )
    when = _resolve(spec, ref, tz, hours)
    return ParsedReminder(what=what, when=when)


def parse_when(text: str, now: datetime, tz: tzinfo, hours: DayHours | None = None) -> When | None:
    """Only the time in text (for follow-ups on plans); None when there is none."""
    spec = _Spec()
    _read(text, spec)
    if not spec.found or spec.freq:
        return None
    try:
        return _resolve(spec, now.astimezone(tz), tz, hours or DayHours())
    except ToolError:
        return None


# --- resolving the spec into a moment -------------------------------------------------------


def localize(wall: datetime, tz: tzinfo) -> datetime:
    """Local wall time → aware datetime; a time in the spring-forward gap moves forward."""
    aware = wall.replace(tzinfo=tz, fold=0)
    # Round-tripping through UTC normalises a non-existent wall time (02:30 on the day
    # clocks jump from 02:00 to 03:00 becomes 03:30).
    return aware.astimezone(UTC).astimezone(tz)


def _clock_time(spec: _Spec, hours: DayHours) -> time:
    if spec.hour is None:
        return hours.of(spec.part) if spec.part else hours.default
    hour = spec.hour
    if spec.ampm == "p" and hour < 12:
        hour += 12
    elif spec.ampm == "a" and hour == 12:
        hour = 0
    elif spec.ampm is None:
        if spec.part in ("afternoon", "evening", "night") and hour < 12:
            hour = hour + 12 if not (spec.part == "night" and hour == 12) else 0
        elif spec.part is None and 1 <= hour <= 7:
            hour += 12  # "at 6" for a reminder means the evening, not dawn
    if not (0 <= hour <= 23 and 0 <= spec.minute <= 59):
        raise ToolError(f"{spec.hour}:{spec.minute:02d} is not a time of day")
    return time(hour, spec.minute)


def _resolve(spec: _Spec, ref: datetime, tz: tzinfo, hours: DayHours) -> When:
    phrase = " ".join(spec.phrases)
    if spec.freq:
        return _resolve_rule(spec, ref, tz, hours, phrase)
    if spec.delta is not None:
        base = ref.astimezone(UTC)
        if isinstance(spec.delta, relativedelta):
            # Months and years are calendar units: add them to the local date.
            due = localize(ref.replace(tzinfo=None) + spec.delta, tz)
        else:
            due = (base + spec.delta).astimezone(tz)  # elapsed time, DST or not
        return When(due=due, phrase=phrase)
    if spec.fallback is not None:
        wall = spec.fallback
        if spec.hour is not None or spec.part:
            wall = datetime.combine(wall.date(), _clock_time(spec, hours))
        elif not _SAYS_TIME.search(phrase):
            # "next month": dateparser keeps the time of day it was said; a day means 09:00.
            wall = datetime.combine(wall.date(), hours.default)
        return When(due=localize(wall, tz), phrase=phrase)
    at = _clock_time(spec, hours)
    today = ref.date()
    day = _day(spec, today, at, ref)
    due = localize(datetime.combine(day, at), tz)
    if due <= ref:
        if spec.day_offset is not None or spec.ymd is not None:
            raise ToolError(
                f"{due:%A %d %B %H:%M} has already passed.",
                hint="Say a time that is still ahead.",
            )
        due = localize(datetime.combine(day + timedelta(days=1), at), tz)
    return When(due=due, phrase=phrase)


def _day(spec: _Spec, today: date, at: time, ref: datetime) -> date:
    naive_ref = ref.replace(tzinfo=None)
    if spec.day_offset is not None:
        return today + timedelta(days=spec.day_offset)
    if spec.weekday is not None:
        ahead = (spec.weekday - today.weekday()) % 7
        if spec.weekday_next and ahead == 0:
            ahead = 7
        if ahead == 0 and datetime.combine(today, at) <= naive_ref:
            ahead = 7
        return today + timedelta(days=ahead)
    if spec.ymd is not None:
        year, month, dom = spec.ymd
        if month is None:  # "on the 3rd": this month's if still ahead, else the next month's
            candidate = today.replace(day=1)
            for _ in range(13):
                try:
                    d = candidate.replace(day=dom)
                except ValueError:
                    d = None
                if d is not None and datetime.combine(d, at) > naive_ref:
                    return d
                candidate = candidate + relativedelta(months=1)
            raise ToolError(f"there is no day {dom} in a month")
        try:
            if year is not None:
                return date(year, month, dom)
            d = date(today.year, month, dom)
            if datetime.combine(d, at) <= naive_ref:
                d = date(today.year + 1, month, dom)
            return d
        except ValueError:
            raise ToolError(f"there is no day {dom} in that month") from None
    return today


def _resolve_rule(spec: _Spec, ref: datetime, tz: tzinfo, hours: DayHours, phrase: str) -> When:
    parts = [f"FREQ={spec.freq}"]
    if spec.interval > 1:
        parts.append(f"INTERVAL={spec.interval}")
    naive_ref = ref.replace(tzinfo=None).replace(microsecond=0)
    if spec.freq in ("MINUTELY", "HOURLY"):
        # "every 2 hours": the first one two hours from now.
        unit = timedelta(minutes=1) if spec.freq == "MINUTELY" else timedelta(hours=1)
        start = naive_ref.replace(second=0) + spec.interval * unit
    else:
        at = _clock_time(spec, hours)
        parts += [f"BYHOUR={at.hour}", f"BYMINUTE={at.minute}", "BYSECOND=0"]
        weekday = spec.weekday
        if spec.byday:
            parts.append("BYDAY=" + ",".join(spec.byday))
        elif weekday is not None and spec.freq == "WEEKLY":
            parts.append(f"BYDAY={_RRULE_DAYS[weekday]}")
        if spec.ymd is not None:
            _, month, dom = spec.ymd
            spec.bymonthday = dom
            if month is not None and spec.freq == "YEARLY":
                spec.bymonth = month
        if spec.bymonthday is not None and spec.freq in ("MONTHLY", "YEARLY"):
            parts.append(f"BYMONTHDAY={spec.bymonthday}")
        if spec.bymonth is not None:
            parts.append(f"BYMONTH={spec.bymonth}")
        start = naive_ref.replace(hour=0, minute=0, second=0)
    rule = ";".join(parts)
    first = next_occurrence(rule, start, naive_ref, tz)
    if first is None:
        raise ToolError("that repeating time never comes")
    return When(due=first, rrule=rule, start=start, phrase=phrase)


def next_occurrence(
    rule: str, start: datetime, after_wall: datetime, tz: tzinfo
) -> datetime | None:
    """The first occurrence strictly after the local wall time `after_wall`, made aware."""
    found = rrulestr(rule, dtstart=start).after(after_wall, inc=False)
    return localize(found, tz) if found is not None else None
