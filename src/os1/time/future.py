"""Dates and times that look forward: reminders ("on Sunday at 6", "every first Monday") and
plans in the calendar ("Friday at 1pm", "from 1 to 2:30pm on Friday", "next week").

One reading of the words for both. A small grammar reads the phrasings people use (its words
come from `os1.time.words`); dateparser reads dates the grammar doesn't know ("12/03/2027",
"next month"); for whole ranges ("next week", "this weekend", "in June") the calendar reuses the
past-range reader of `os1.time.past` and turns the range towards the future.

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

from os1.skills.base import ToolError
from os1.time import words
from os1.time.past import DISTANT_FUTURE, find_time_ranges, strip_time_expressions

__all__ = [
    "DayHours",
    "Due",
    "ParsedReminder",
    "Span",
    "localize",
    "next_occurrence",
    "parse_clock",
    "parse_due",
    "parse_duration",
    "parse_moment",
    "parse_reminder",
    "parse_span",
    "strip_when",
    "utc_stamp",
]

_I = re.IGNORECASE

_WEEKDAYS = words.WEEKDAYS
_RRULE_DAYS = words.RRULE_DAYS
# "every other week" is every second one; "a couple of" and "a few" are read as 2 and 3 here:
# a reminder needs one moment, not the span the past reader gives them.
_NUMBERS = {**words.WORD_NUMBERS, "other": 2, "a couple of": 2, "couple of": 2, "a few": 3}
_ORDINALS = words.ORDINALS

# Full names only: "sun", "sat" and "wed" are words too ("sun cream", "I sat").
_WD = rf"(?:{words.alternation(words.FULL_WEEKDAYS)})"
_MON = words.alternation(words.MONTHS)
_NUM = rf"(?:\d{{1,4}}|{words.alternation(_NUMBERS)})"
_PART = rf"(?P<part>{words.alternation(words.DAY_PARTS)})"
_ORD = rf"(?P<ord>{words.alternation(_ORDINALS)})"
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
class Due:
    """The first moment a reminder is due and, for a repeating one, its rule."""

    due: datetime  # tz-aware
    rrule: str | None = None  # RFC 5545 RRULE, evaluated in local wall time from `start`
    start: datetime | None = None  # naive local wall time of the first occurrence
    phrase: str = ""


@dataclass(frozen=True)
class ParsedReminder:
    what: str
    when: Due


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
    s.ymd = (year, words.MONTHS[m["mon"].lower()], int(m["d"]))


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


_HOUR_WORDS = [k for k, v in words.WORD_NUMBERS.items() if 1 <= v <= 12 and k.isalpha() and k[1:]]
_HOUR = rf"(?:[01]?\d|2[0-3]|{words.alternation(_HOUR_WORDS)})"
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


# "Monday the 14th", "Friday, the 4th": the day's number says which one; the weekday only
# confirms it, and read alone it would be the coming Monday.
_WEEKDAY_OF_NTH = re.compile(
    rf"\b(?:on\s+)?(?:{_WD}),?\s+(?:the\s+)?(?P<d>[0-3]?\d(?:st|nd|rd|th))\b(?!\s+(?:of\s+)?(?:{_MON})\b)",
    _I,
)


def _date_over_weekday(text: str) -> str:
    return _WEEKDAY_OF_NTH.sub(lambda m: f"on the {m['d']}", text)


def _read(text: str, s: _Spec) -> str:
    """Fill the spec from every phrase found; return the text with the phrases removed."""
    rest = _date_over_weekday(text)
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


def parse_due(text: str, now: datetime, tz: tzinfo, hours: DayHours | None = None) -> Due | None:
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


def _resolve(spec: _Spec, ref: datetime, tz: tzinfo, hours: DayHours) -> Due:
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
        return Due(due=due, phrase=phrase)
    if spec.fallback is not None:
        wall = spec.fallback
        if spec.hour is not None or spec.part:
            wall = datetime.combine(wall.date(), _clock_time(spec, hours))
        elif not _SAYS_TIME.search(phrase):
            # "next month": dateparser keeps the time of day it was said; a day means 09:00.
            wall = datetime.combine(wall.date(), hours.default)
        return Due(due=localize(wall, tz), phrase=phrase)
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
    return Due(due=due, phrase=phrase)


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


def _resolve_rule(spec: _Spec, ref: datetime, tz: tzinfo, hours: DayHours, phrase: str) -> Due:
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
    return Due(due=first, rrule=rule, start=start, phrase=phrase)


def next_occurrence(
    rule: str, start: datetime, after_wall: datetime, tz: tzinfo
) -> datetime | None:
    """The first occurrence strictly after the local wall time `after_wall`, made aware."""
    found = rrulestr(rule, dtstart=start).after(after_wall, inc=False)
    return localize(found, tz) if found is not None else None


# --- plans: a day or a part of one, or a clock time and its end ------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """When a plan happens: a day, a part of one, or a clock time with its end."""

    start: datetime  # inclusive, in the user's zone
    end: datetime  # exclusive
    timed: bool  # a clock time was named ("at 1pm"), not only a day or part of one


_PAST_WORDS = re.compile(r"\b(?:last|ago|yesterday|previous|past|earlier)\b", re.IGNORECASE)
_WEEKDAY = re.compile(rf"\b(?:{words.alternation(words.FULL_WEEKDAYS)})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20|21)\d\d\b")
_NTH = re.compile(r"\bthe\s+[0-3]?\d(?:st|nd|rd|th)\b", re.IGNORECASE)
_MONTH = re.compile(rf"\b(?:{words.alternation(words.MONTHS)})\b", re.IGNORECASE)

# "at 1pm", "1:30 pm", "13:00", "noon"; optionally "to/until 2pm" or "-2pm".
_TIME = (
    r"(?:(?P<{p}h>\d{{1,2}})(?:[:.](?P<{p}m>\d{{2}}))?\s*(?P<{p}ap>[ap]\.?\s*m\b\.?)?"
    r"|(?P<{p}w>noon|midday|midnight))"
)
_CLOCK = re.compile(
    r"(?:\b(?:at|from|between)\s+|(?<![\w:.])(?=\d{1,2}(?::\d{2})?\s*[ap]\.?\s*m\b|\d{1,2}:\d{2}))"
    + _TIME.format(p="a")
    + r"(?:\s*(?:-|–|to|until|till|and)\s*"
    + _TIME.format(p="b")
    + r")?",
    re.IGNORECASE,
)
_DURATION = re.compile(
    rf"\bfor\s+(?:(?P<n>\d+(?:\.\d+)?|half\s+an?|{words.alternation(words.WORD_NUMBERS)})\s+)?"
    r"(?P<unit>hours?|hrs?|minutes?|mins?)\b",
    re.IGNORECASE,
)
# A part of the day after the evening's start makes a bare "at 10" the evening's ("at 10 tonight").
_LATE = re.compile(r"\b(?:tonight|afternoon|evening|night)\b", re.IGNORECASE)


def _hour(
    h: str | None, m: str | None, ap: str | None, word: str | None, late: bool = False
) -> tuple[int, int]:
    """One clock phrase as (hour, minute), by the same am/pm rules as reminders."""
    if word:
        return (0, 0) if word.lower() == "midnight" else (12, 0)
    hour = int(h or 0)
    spec = _Spec(hour=hour, minute=int(m or 0), part="evening" if late else None)
    if ap:
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock out of range")
        spec.ampm = ap.lower()[0]
    elif (m and len(h or "") == 2) or hour == 0 or hour > 12:
        spec.ampm = "exact"  # "07:30", "18:00": a 24-hour clock
    try:
        at = _clock_time(spec, DayHours())
    except ToolError:
        raise ValueError("clock out of range") from None
    return at.hour, at.minute


def parse_clock(text: str) -> tuple[tuple[int, int], tuple[int, int] | None, str] | None:
    """The clock time named in text (start, optional end, matched phrase), or None."""
    late = bool(_LATE.search(text))
    for m in _CLOCK.finditer(text):
        if not (m["ah"] or m["aw"]):
            continue
        try:
            start = _hour(m["ah"], m["am"], m["aap"] or m["bap"], m["aw"], late)
            end = None
            if m["bh"] or m["bw"]:
                end = _hour(m["bh"], m["bm"], m["bap"], m["bw"], late or start[0] >= 12)
        except ValueError:
            continue
        return start, end, m.group(0)
    return None


def parse_duration(text: str) -> timedelta | None:
    m = _DURATION.search(text)
    if m is None:
        return None
    raw = " ".join((m["n"] or "a").lower().split())
    count = 0.5 if raw.startswith("half") else float(words.WORD_NUMBERS.get(raw) or raw)
    unit = m["unit"].lower()
    return timedelta(hours=count) if unit.startswith("h") else timedelta(minutes=count)


def _forward(
    start: datetime, end: datetime, phrase: str, now: datetime
) -> tuple[datetime, datetime]:
    """A range read as the past ("Friday" = last Friday) moved to the next one to come."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if end > today or _PAST_WORDS.search(phrase):
        return start, end
    if _WEEKDAY.search(phrase) and not (_MONTH.search(phrase) or _NTH.search(phrase)):
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


def _whole_day(moment: datetime) -> tuple[datetime, datetime]:
    zone = moment.tzinfo
    start = datetime(moment.year, moment.month, moment.day, tzinfo=zone)
    return start, start + timedelta(days=1)


def _after(now: datetime, delta: timedelta | relativedelta) -> datetime:
    """now + delta: elapsed time for hours and minutes, calendar units for months and years."""
    if isinstance(delta, relativedelta):
        return localize(now.replace(tzinfo=None) + delta, now.tzinfo or UTC)
    return (now.astimezone(UTC) + delta).astimezone(now.tzinfo)


def parse_span(text: str, now: datetime) -> Span | None:
    """The day (or part of one) and clock time text names, looking forward from now."""
    clock = parse_clock(text)
    rest = _date_over_weekday(text.replace(clock[2], " ") if clock else text)
    # The reminders' grammar reads what the range reader has no rule for: "in 2 hours",
    # "half past 6", "midnight", "in three days".
    spec = _Spec()
    _read(rest, spec)
    if clock is None and spec.hour is not None:
        try:
            at_time = _clock_time(spec, DayHours())
        except ToolError:
            return None
        clock = ((at_time.hour, at_time.minute), None, "")
    ranges = [r for r in find_time_ranges(rest, now) if r.end.replace(tzinfo=None) < DISTANT_FUTURE]
    weekday = ""
    if ranges:
        start, end = _forward(ranges[0].start, ranges[0].end, ranges[0].text, now)
        weekday = ranges[0].text
    elif spec.delta is not None and not spec.freq:
        moment = _after(now, spec.delta)
        if clock is None and isinstance(spec.delta, timedelta) and spec.delta < timedelta(days=1):
            return Span(moment, moment, timed=True)  # "in 20 minutes": that very moment
        start, end = _whole_day(moment)
    elif clock:
        start, end = _whole_day(now)
        if now.replace(hour=clock[0][0], minute=clock[0][1]) <= now:
            start, end = _whole_day(start + timedelta(days=1))  # "at 9am" after 9am: tomorrow's
    else:
        return None
    if clock is None:
        return Span(start, end, timed=False)
    zone = start.tzinfo or UTC
    (h, mi), until, _ = clock
    # Wall times built in the zone, so that a plan after a DST change keeps its hour.
    at = localize(datetime(start.year, start.month, start.day, h, mi), zone)
    stop = None
    if until is not None:
        stop = localize(datetime(start.year, start.month, start.day, *until), zone)
        if stop <= at:
            stop = localize(stop.replace(tzinfo=None) + timedelta(days=1), zone)
    if at <= now and _WEEKDAY.search(weekday) and not _PAST_WORDS.search(weekday):
        # "Monday at 9" said on Monday at 10: next Monday's, as a reminder would be.
        week = timedelta(days=7)
        at = localize(at.replace(tzinfo=None) + week, zone)
        if stop is not None:
            stop = localize(stop.replace(tzinfo=None) + week, zone)
    duration = parse_duration(rest)
    if stop is None and duration is not None:
        stop = at + duration
    return Span(at, stop or at, timed=True)


# Grammar rules whose phrases are times, not words of a title ("in 2 hours", "half past 6");
# "weekly" or "every day" may well be part of what a plan is called.
_TIME_RULES = {None, _noon, _half_past}


def strip_when(text: str) -> str:
    """The text without its date, clock and duration phrases ("lunch with Amy")."""
    clock = parse_clock(text)
    if clock:
        text = text.replace(clock[2], " ")
    text = _DURATION.sub(" ", text)
    for pattern, handler in _RULES:
        if handler in _TIME_RULES:
            text = pattern.sub(" ", text)
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
    found = parse_span(text, now)
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
