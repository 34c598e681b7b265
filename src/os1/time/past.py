"""Dates in what people say about the past: "last week", "in May", "8 May 2023", "two weeks ago".

The range reader memory needs (recall, consolidation, mail). Deterministic, no model; its words
come from `os1.time.words`. Regular expressions find candidate phrases, the longest
non-overlapping ones win, and a word just before each ("since", "before", "early", "in") then
adjusts or merely absorbs it. Each phrase resolves against the moment it was said.

Rules where English is ambiguous (kept simple so that results are predictable):
- A bare or "last" weekday is the most recent one strictly before the reference day; "next X" is
  the first one strictly after it; "this X" is the one in the reference's Monday-Sunday week.
- A month, day-month or holiday without a year is the most recent one not after the reference.
- "N units ago" is the calendar unit (day, Monday-Sunday week, month, year) that contains the
  reference moved back N units; vague counts (a few, a couple of, several) cover a span of units.
- "last/this/next weekend" is Saturday-Sunday of the previous/current/next week.
- Seasons are northern and meteorological; "winter 2023" is December 2022 to February 2023.
- Open-ended phrases ("before May", "after 2020") end or start at DISTANT_PAST/DISTANT_FUTURE.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from os1.time import words

__all__ = [
    "DISTANT_FUTURE",
    "DISTANT_PAST",
    "TimeRange",
    "find_time_ranges",
    "parse_session_datetime",
    "strip_time_expressions",
]

# A day inside datetime's limits, so that converting to another timezone cannot overflow.
DISTANT_PAST = datetime(1, 1, 2)
DISTANT_FUTURE = datetime(9999, 12, 30)


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime  # inclusive, timezone-aware if the reference is
    end: datetime  # exclusive
    text: str  # the phrase that produced it, e.g. "last week"


# --- vocabulary ------------------------------------------------------------------------------

MONTHS = words.MONTHS  # "january"/"jan" → 1, from dateparser's English data
# Month words that are also verbs or first names ("May I ask", "March on", "June said"): they
# count as months only with a preposition, a day number or a year next to them.
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "june", "august", "april"})
# Abbreviations are only trusted next to a day number or a year ("Mar 3", "Aug 2022").
_ABBREVIATIONS = frozenset(k for k in MONTHS if len(k) <= 4 and k not in ("may", "june", "july"))
# Month words that read as other words even before a number ("2 may help", "5 march past").
_VERB_MONTHS = frozenset({"may", "march", "mar"})
_TRAP_MONTHS = _AMBIGUOUS_MONTHS | _VERB_MONTHS

_WEEKDAYS = words.FULL_WEEKDAYS  # full names only: "sun", "sat" and "wed" are words too
_WORD_NUMBERS = words.WORD_NUMBERS
# Vague counts become a span of units rather than a guess at one.
_VAGUE_NUMBERS = words.VAGUE_NUMBERS
_DAY_PARTS = words.DAY_PARTS

_FULL_MONTH_ALT = "|".join(k for k in MONTHS if len(k) > 4 or k in ("may", "june", "july"))
_ABBR_ALT = "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True))
_MON = rf"(?P<mon>(?:{_FULL_MONTH_ALT})\b|(?:{_ABBR_ALT})\b(?:\.(?=\s*\d))?)"
_FULL_MON = rf"(?P<mon>(?:{_FULL_MONTH_ALT})\b)"
_WD_ALT = "|".join(_WEEKDAYS)
_WD = rf"(?P<wd>{_WD_ALT})"
_WD_PREFIX = rf"(?:(?P<wdp>{_WD_ALT}),?\s+)?"
_YEAR_ALT = r"(?:1[89]|2[01])\d\d"
_YEAR = rf"(?P<year>{_YEAR_ALT})\b"
_DAY = r"(?P<day>[0-3]?\d)(?P<ord>st|nd|rd|th)?\b"
_NUM = rf"(?P<num>\d{{1,4}}|{words.alternation([*_WORD_NUMBERS, *_VAGUE_NUMBERS])})"
_UNIT = r"(?P<unit>hours?|days?|weeks?|months?|years?)"
_BACK = r"(?P<q>last|past|previous|this\s+past|this|current|next|coming|this\s+coming)"
_SEASON = r"(?P<s>spring|summer|fall|autumn|winter)"

_LEAD_WORDS = (
    r"in|on|of|since|during|until|till|before|after|by|from|through|throughout|around|early"
    r"|late|mid|over|between|prior\s+to|up\s+to"
)
_I = re.IGNORECASE
# Words that make an ambiguous month, a season, a holiday or a bare year read as a time.
_LEAD = re.compile(rf"\b(?:{_LEAD_WORDS})[\s-]+$", _I)
_THE_LEAD = re.compile(rf"\b(?:{_LEAD_WORDS}|all|at|for)(?:\s+the)?[\s-]+$", _I)
_YEAR_LEAD = re.compile(rf"\b(?:{_LEAD_WORDS}|year|circa)[\s-]+$", _I)
# "between March and May": the second month counts because the first one does.
_RANGE_LEAD = re.compile(
    rf"\b(?:between|from)\s+(?:(?:early|mid|late)[\s-]+)?(?:{_FULL_MONTH_ALT}|{_YEAR_ALT})"
    r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?\s*(?:and|to|until|till|through|-|–)\s*$",
    _I,
)
# What may follow "May 8" for it to be a date rather than "May 8 people come?".
_DATE_FOLLOW = re.compile(
    r"\s*(?:$|[.,;:!?)\-–]|(?:and|or|to|through|until|till|at|in|when)\b)", _I
)


# --- calendar helpers ------------------------------------------------------------------------


class _Res(NamedTuple):
    start: datetime
    end: datetime
    kind: str  # day, part, week, weekend, month, season, year, decade, span, moment


@dataclass(frozen=True, slots=True)
class _Ctx:
    text: str
    ref: datetime
    today: date

    def at(self, d: date, hours: int = 0) -> datetime:
        start = datetime(d.year, d.month, d.day, tzinfo=self.ref.tzinfo)
        return start + timedelta(hours=hours) if hours else start

    def days(self, first: date, stop: date, kind: str = "day") -> _Res:
        return _Res(self.at(first), self.at(stop), kind)

    def day(self, d: date) -> _Res:
        return self.days(d, d + timedelta(days=1))

    def part(self, d: date, part: str) -> _Res:
        a, b = _DAY_PARTS[part.lower()]
        return _Res(self.at(d, a), self.at(d, b), "part")

    def week(self, d: date) -> _Res:
        monday = _monday(d)
        return self.days(monday, monday + timedelta(days=7), "week")

    def month(self, y: int, m: int) -> _Res:
        return self.days(date(y, m, 1), _next_month(date(y, m, 1)), "month")

    def year(self, y: int) -> _Res:
        return self.days(date(y, 1, 1), date(y + 1, 1, 1), "year")


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def _add_months(d: date, n: int) -> date:
    """d moved by n months, its day clamped to the target month (31 Mar - 1 month = 28 Feb)."""
    y, m0 = divmod(d.month - 1 + n, 12)
    y += d.year
    return date(y, m0 + 1, min(d.day, calendar.monthrange(y, m0 + 1)[1]))


def _shift(d: date, unit: str, n: int) -> date:
    if unit == "day":
        return d + timedelta(days=n)
    if unit == "week":
        return d + timedelta(days=7 * n)
    return _add_months(d, n if unit == "month" else 12 * n)


def _count(text: str) -> tuple[int, int]:
    word = " ".join(text.lower().split())
    if word.isdigit():
        return int(word), int(word)
    if word in _VAGUE_NUMBERS:
        return _VAGUE_NUMBERS[word]
    n = _WORD_NUMBERS[word]
    return n, n


def _unit(m: re.Match[str]) -> str:
    return m["unit"].lower().rstrip("s")


def _offset(q: str | None) -> int:
    """-1 for last/past/previous, +1 for next/coming, 0 for this/current."""
    word = " ".join((q or "").lower().split())
    if word in ("last", "past", "previous", "this past"):
        return -1
    if word in ("next", "coming", "this coming"):
        return 1
    return 0


def _recent_day(today: date, month: int, day: int) -> date | None:
    """The most recent day-month not after today (years back to a leap year for 29 Feb)."""
    y = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    for year in range(y, y - 8, -1):
        if day <= calendar.monthrange(year, month)[1]:
            return date(year, month, day)
    return None


def _preceded(ctx: _Ctx, m: re.Match[str], *leads: re.Pattern[str]) -> bool:
    window = ctx.text[max(0, m.start() - 60) : m.start()]
    return any(lead.search(window) for lead in leads)


def _month_number(m: re.Match[str]) -> int:
    return MONTHS[m["mon"].lower()]


# --- resolvers: one per kind of phrase; None when the match is not a time after all ----------

_Resolver = Callable[[re.Match[str], _Ctx], _Res | None]


def _iso_day(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.day(date(int(m["y"]), int(m["m"]), int(m["d"])))


def _iso_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.month(int(m["y"]), int(m["m"]))


def _full_date(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.day(date(int(m["year"]), _month_number(m), int(m["day"])))


def _day_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    word = m["mon"].lower()
    if word in _VERB_MONTHS and not (
        m["ord"] or m["of"] or m["the"] or m["wdp"] or _preceded(ctx, m, _LEAD, _RANGE_LEAD)
    ):
        return None
    d = _recent_day(ctx.today, MONTHS[word], int(m["day"]))
    return ctx.day(d) if d else None


def _month_day(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    word = m["mon"].lower()
    if (
        word in _AMBIGUOUS_MONTHS | _VERB_MONTHS
        and not (m["ord"] or m["wdp"] or _preceded(ctx, m, _LEAD, _RANGE_LEAD))
        and not _DATE_FOLLOW.match(ctx.text, m.end())
    ):
        return None
    d = _recent_day(ctx.today, MONTHS[word], int(m["day"]))
    return ctx.day(d) if d else None


def _month_year(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.month(int(m["year"]), _month_number(m))


def _year_span(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    first, last = int(m["y1"]), int(m["y2"])
    if first >= last:
        return None
    return ctx.days(date(first, 1, 1), date(last + 1, 1, 1), "span")


def _relative_day(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    shift = {"yesterday": -1, "today": 0, "tomorrow": 1}[m["w"].lower()]
    d = ctx.today + timedelta(days=shift)
    return ctx.part(d, m["part"]) if m["part"] else ctx.day(d)


def _two_days(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    shift = -2 if m["w"].lower().startswith("before") else 2
    return ctx.day(ctx.today + timedelta(days=shift))


def _this_part(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.part(ctx.today, m["part"])


def _tonight(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.part(ctx.today, "night")


def _last_night(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.part(ctx.today - timedelta(days=1), "night")


def _unit_bounds(ctx: _Ctx, unit: str) -> _Res:
    if unit == "today":
        return ctx.day(ctx.today)
    if unit == "week":
        return ctx.week(ctx.today)
    if unit == "month":
        return ctx.month(ctx.today.year, ctx.today.month)
    return ctx.year(ctx.today.year)


def _earlier_later(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    whole = _unit_bounds(ctx, (m["unit"] or "today").lower())
    if m["w"].lower() == "earlier":
        return _Res(whole.start, ctx.ref, "span")
    return _Res(ctx.ref, whole.end, "span")


def _calendar_unit(ctx: _Ctx, unit: str, shift: int) -> _Res:
    if unit == "week":
        return ctx.week(ctx.today + timedelta(days=7 * shift))
    if unit == "weekend":
        saturday = _monday(ctx.today) + timedelta(days=7 * shift + 5)
        return ctx.days(saturday, saturday + timedelta(days=2), "weekend")
    if unit == "month":
        first = _add_months(ctx.today.replace(day=1), shift)
        return ctx.month(first.year, first.month)
    return ctx.year(ctx.today.year + shift)


def _relative_unit(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _calendar_unit(ctx, m["unit"].lower(), _offset(m["q"]))


def _before_last(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    shift = -2 if m["w"].lower().startswith("before") else 2
    return _calendar_unit(ctx, m["unit"].lower(), shift)


def _the_weekend(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    # The one under way at the weekend, otherwise the one just past.
    return _calendar_unit(ctx, "weekend", 0 if ctx.today.weekday() >= 5 else -1)


def _rolling(m: re.Match[str], ctx: _Ctx, sign: int) -> _Res | None:
    if not m["the"] and not m["num"]:
        return None  # plain "last week" is the calendar week, resolved by another rule
    n = _count(m["num"])[1] if m["num"] else 1
    unit = _unit(m)
    if unit == "hour":
        other = ctx.ref + timedelta(hours=sign * n)
        return _Res(min(other, ctx.ref), max(other, ctx.ref), "span")
    if sign < 0:
        return _Res(ctx.at(_shift(ctx.today, unit, -n)), ctx.ref, "span")
    return _Res(ctx.ref, ctx.at(_shift(ctx.today, unit, n) + timedelta(days=1)), "span")


def _past_rolling(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _rolling(m, ctx, -1)


def _next_rolling(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _rolling(m, ctx, 1)


def _units_away(m: re.Match[str], ctx: _Ctx, sign: int) -> _Res | None:
    lo, hi = _count(m["num"])
    near, far = sign * lo, sign * hi
    unit = _unit(m)
    if unit == "hour":
        points = sorted((ctx.ref + timedelta(hours=near), ctx.ref + timedelta(hours=far)))
        return _Res(points[0] - timedelta(minutes=30), points[1] + timedelta(minutes=30), "moment")
    first, last = sorted((near, far))
    if unit == "day":
        return ctx.days(ctx.today + timedelta(days=first), ctx.today + timedelta(days=last + 1))
    if unit == "week":
        start = _monday(ctx.today + timedelta(days=7 * first))
        stop = _monday(ctx.today + timedelta(days=7 * last)) + timedelta(days=7)
        return ctx.days(start, stop, "week" if first == last else "span")
    if unit == "month":
        start = _add_months(ctx.today, first).replace(day=1)
        stop = _next_month(_add_months(ctx.today, last))
        return ctx.days(start, stop, "month" if first == last else "span")
    kind = "year" if first == last else "span"
    return ctx.days(date(ctx.today.year + first, 1, 1), date(ctx.today.year + last + 1, 1, 1), kind)


def _ago(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _units_away(m, ctx, -1)


def _from_now(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _units_away(m, ctx, 1)


def _recently(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _Res(ctx.at(ctx.today - timedelta(days=14)), ctx.ref, "span")


def _other_day(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.days(ctx.today - timedelta(days=7), ctx.today, "span")


def _weekday(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    target, now = _WEEKDAYS[m["wd"].lower()], ctx.today.weekday()
    shift = _offset(m["q"])
    if m["q"] and m["q"].lower() == "this":
        d = _monday(ctx.today) + timedelta(days=target)
    elif shift > 0:
        d = ctx.today + timedelta(days=(target - now) % 7 or 7)
    else:
        d = ctx.today - timedelta(days=(now - target) % 7 or 7)
    return ctx.part(d, m["part"]) if m["part"] else ctx.day(d)


def _relative_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    month, now, y = _month_number(m), ctx.today.month, ctx.today.year
    shift = _offset(m["q"])
    if shift < 0:
        return ctx.month(y if month < now else y - 1, month)
    if shift > 0:
        return ctx.month(y if month > now else y + 1, month)
    return ctx.month(y, month)


def _bare_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    word = m["mon"].lower()
    if word in _AMBIGUOUS_MONTHS and not _preceded(ctx, m, _LEAD, _RANGE_LEAD):
        return None
    month = MONTHS[word]
    return ctx.month(ctx.today.year if month <= ctx.today.month else ctx.today.year - 1, month)


def _season_dates(season: str, y: int) -> tuple[date, date]:
    if season == "winter":  # the winter of year y holds its January and February
        return date(y - 1, 12, 1), date(y, 3, 1)
    first = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9}[season]
    return date(y, first, 1), date(y, first + 3, 1)


def _season(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    season, today = m["s"].lower(), ctx.today
    if m["year"]:
        y = int(m["year"])
    elif not m["q"]:
        if not _preceded(ctx, m, _THE_LEAD):
            return None  # "I love summer" is not a time
        y = max(
            y for y in range(today.year - 1, today.year + 2) if _season_dates(season, y)[0] <= today
        )
    elif _offset(m["q"]) < 0:
        y = max(
            y for y in range(today.year - 2, today.year + 2) if _season_dates(season, y)[1] <= today
        )
    elif _offset(m["q"]) > 0:
        y = min(y for y in range(today.year, today.year + 3) if _season_dates(season, y)[0] > today)
    elif season == "winter":
        y = today.year if today.month <= 2 else today.year + 1
    else:
        y = today.year
    start, stop = _season_dates(season, y)
    return ctx.days(start, stop, "season")


def _decade(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    if m["c"]:
        first = int(m["c"]) * 100 + int(m["d"]) * 10
    else:  # "the '90s": the latest such decade that has begun
        first = 2000 + int(m["d2"]) * 10
        if first > ctx.today.year:
            first -= 100
    return ctx.days(date(first, 1, 1), date(first + 10, 1, 1), "decade")


def _easter(y: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(y, month, day + 1)


def _holiday_date(name: str, y: int) -> date:
    key = " ".join(name.lower().replace("’", "'").split())
    if key.startswith("christmas eve"):
        return date(y, 12, 24)
    if key.startswith(("christmas", "xmas")):
        return date(y, 12, 25)
    if key.startswith("new year") and key.endswith("eve"):
        return date(y, 12, 31)
    if key.startswith("new year"):
        return date(y, 1, 1)
    if key == "halloween":
        return date(y, 10, 31)
    if key.startswith("valentine"):
        return date(y, 2, 14)
    if key == "thanksgiving":  # the fourth Thursday of November (US)
        return date(y, 11, 1 + (3 - date(y, 11, 1).weekday()) % 7 + 21)
    if key.startswith("easter"):
        return _easter(y)
    return date(y, 7, 4)  # the Fourth of July / Independence Day


def _holiday(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    name, today = m["h"], ctx.today
    if m["year"]:
        return ctx.day(_holiday_date(name, int(m["year"])))
    if not m["q"] and not _preceded(ctx, m, _THE_LEAD):
        return None  # "a Christmas tree" is not a time
    shift = _offset(m["q"])
    if m["q"] and shift == 0:
        return ctx.day(_holiday_date(name, today.year))
    candidates = [_holiday_date(name, y) for y in range(today.year - 1, today.year + 2)]
    if shift > 0:
        return ctx.day(min(d for d in candidates if d > today))
    if shift < 0:
        return ctx.day(max(d for d in candidates if d < today))
    return ctx.day(max(d for d in candidates if d <= today))


def _bare_year(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    if not _preceded(ctx, m, _YEAR_LEAD, _RANGE_LEAD):
        return None  # "2022 steps" is a number, "in 2022" a year
    return ctx.year(int(m["year"]))


def _nth(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    day, d = int(m["day"]), ctx.today.replace(day=1)
    for _ in range(13):  # the most recent month, not after today, that has this day
        if (
            day <= calendar.monthrange(d.year, d.month)[1]
            and date(d.year, d.month, day) <= ctx.today
        ):
            return ctx.day(date(d.year, d.month, day))
        d = _add_months(d, -1)
    return None


# A rule runs only when one of its words (or, for _DIGITS, a digit) is in the text: scanning
# thirty patterns over every sentence would cost most of a millisecond.
_DIGITS: tuple[str, ...] = ()
_WEEKDAY_NEEDLES = tuple(_WEEKDAYS)
_MONTH_NEEDLES = tuple(k for k in MONTHS if len(k) > 4 or k in ("may", "june", "july"))
_DIGIT = re.compile(r"\d")

# Order breaks ties between equally long matches: the first listed wins.
_RULES: list[tuple[tuple[str, ...], re.Pattern[str], _Resolver]] = [
    (
        _DIGITS,
        re.compile(
            r"\b(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
            r"(?:[Tt ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?(?!\d)",
            _I,
        ),
        _iso_day,
    ),
    (_DIGITS, re.compile(rf"\b(?P<y>{_YEAR_ALT})-(?P<m>0[1-9]|1[0-2])\b(?![-/.]\d)"), _iso_month),
    (
        _DIGITS,
        re.compile(rf"\b{_WD_PREFIX}(?:the\s+)?\b{_DAY}\s+(?:of\s+)?{_MON},?\s+\b{_YEAR}", _I),
        _full_date,
    ),
    (
        _DIGITS,
        re.compile(rf"\b{_WD_PREFIX}{_MON}\s+(?:the\s+)?\b{_DAY},?\s+\b{_YEAR}", _I),
        _full_date,
    ),
    (
        _DIGITS,
        re.compile(rf"\b{_WD_PREFIX}(?P<the>the\s+)?\b{_DAY}\s+(?P<of>of\s+)?{_MON}", _I),
        _day_month,
    ),
    (_DIGITS, re.compile(rf"\b{_WD_PREFIX}{_MON}\s+(?:the\s+)?\b{_DAY}(?![:.]\d)", _I), _month_day),
    (_DIGITS, re.compile(rf"\b{_MON},?\s+(?:of\s+)?\b{_YEAR}", _I), _month_year),
    (
        _DIGITS,
        re.compile(rf"\b(?P<y1>{_YEAR_ALT})\s*[-–]\s*(?P<y2>{_YEAR_ALT})\b(?![-/.]\d)", _I),
        _year_span,
    ),
    (
        ("yesterday", "tomorrow"),
        re.compile(r"\b(?:the\s+)?day\s+(?P<w>before\s+yesterday|after\s+tomorrow)\b", _I),
        _two_days,
    ),
    (
        ("yesterday", "today", "tomorrow"),
        re.compile(
            r"\b(?P<w>yesterday|today|tomorrow)(?:\s+(?P<part>morning|afternoon|evening|night))?\b",
            _I,
        ),
        _relative_day,
    ),
    (
        ("morning", "afternoon", "evening"),
        re.compile(r"\bthis\s+(?P<part>morning|afternoon|evening)\b", _I),
        _this_part,
    ),
    (("tonight",), re.compile(r"\btonight\b", _I), _tonight),
    (("night",), re.compile(r"\blast\s+night\b", _I), _last_night),
    (
        ("earlier", "later"),
        re.compile(r"\b(?P<w>earlier|later)\s+(?:today|this\s+(?P<unit>week|month|year))\b", _I),
        _earlier_later,
    ),
    (
        ("week", "month", "year"),
        re.compile(rf"\b{_BACK}\s+(?P<unit>week|month|year|weekend)\b", _I),
        _relative_unit,
    ),
    (
        ("last", "next"),
        re.compile(
            r"\bthe\s+(?P<unit>week|month|year|weekend)\s+(?P<w>before\s+last|after\s+next)\b", _I
        ),
        _before_last,
    ),
    (("weekend",), re.compile(r"\bthe\s+weekend\b", _I), _the_weekend),
    (
        ("past", "last"),
        re.compile(rf"\b(?P<the>the\s+)?(?:past|last)\s+(?:{_NUM}\s+)?{_UNIT}\b", _I),
        _past_rolling,
    ),
    (
        ("next", "coming"),
        re.compile(rf"\b(?P<the>the\s+)?(?:next|coming)\s+(?:{_NUM}\s+)?{_UNIT}\b", _I),
        _next_rolling,
    ),
    (("ago",), re.compile(rf"\b{_NUM}\s+{_UNIT}\s+ago\b", _I), _ago),
    (("from now",), re.compile(rf"\b(?:in\s+)?{_NUM}\s+{_UNIT}\s+from\s+now\b", _I), _from_now),
    (("time",), re.compile(rf"\bin\s+{_NUM}\s+{_UNIT}(?:['’]s?)?\s+time\b", _I), _from_now),
    (("recent", "late"), re.compile(r"\b(?:recently|lately|of\s+late)\b", _I), _recently),
    (("other day",), re.compile(r"\bthe\s+other\s+day\b", _I), _other_day),
    (
        _WEEKDAY_NEEDLES,
        re.compile(
            rf"\b(?:{_BACK}\s+)?{_WD}(?:\s+(?P<part>morning|afternoon|evening|night))?\b", _I
        ),
        _weekday,
    ),
    (_MONTH_NEEDLES, re.compile(rf"\b{_BACK}\s+{_FULL_MON}", _I), _relative_month),
    (_MONTH_NEEDLES, re.compile(rf"\b{_FULL_MON}(?!['’]s\b)", _I), _bare_month),
    (
        ("spring", "summer", "fall", "autumn", "winter"),
        re.compile(rf"\b(?:{_BACK}\s+)?{_SEASON}(?:\s+(?:of\s+)?\b{_YEAR})?\b(?!\s+of\b)", _I),
        _season,
    ),
    (
        _DIGITS,
        re.compile(r"(?:\b(?P<c>1[89]|20|21)(?P<d>\d)0s|(?<!\w)['’](?P<d2>\d)0s)\b", _I),
        _decade,
    ),
    (
        (
            "christmas",
            "xmas",
            "year",
            "halloween",
            "valentine",
            "thanksgiving",
            "easter",
            "july",
            "independence",
        ),
        re.compile(
            r"\b(?:(?P<q>last|past|previous|this|next|coming)\s+)?"
            r"(?P<h>christmas\s+eve|christmas(?:\s+day)?|xmas|new\s+year['’]?s\s+eve"
            r"|new\s+year['’]?s(?:\s+day)?|halloween|valentine['’]?s(?:\s+day)?|thanksgiving"
            rf"|easter(?:\s+sunday)?|(?:the\s+)?fourth\s+of\s+july|independence\s+day)\b"
            rf"(?:\s+\b{_YEAR})?",
            _I,
        ),
        _holiday,
    ),
    (_DIGITS, re.compile(rf"\b{_YEAR}(?![-/.]\d)", _I), _bare_year),
    (
        _DIGITS,
        re.compile(
            r"\bon\s+the\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b"
            r"(?=\s*(?:$|[.,;:!?)]|and\b|or\b|at\b))",
            _I,
        ),
        _nth,
    ),
]

_FAST = [re.compile(pattern.pattern) for _, pattern, _ in _RULES]

# --- words before a phrase: open it ("since", "before"), narrow it ("early"), or just belong ---

_REL = r"(?P<rel>since|ever\s+since|before|prior\s+to|after|until|till|up\s+to|from|between)"
_PREP = r"(?:back\s+in|in|on|at|during|over|around|by|throughout|through|within|of|for)"
_PART = r"(?P<part>early|mid|late|(?:the\s+)?(?:beginning|start|middle|end)\s+of)"
_PREFIX_PART = re.compile(
    rf"(?<!\w)(?:{_REL}\s+)?(?:{_PREP}\s+)?(?:the\s+)?(?P<p>{_PART})(?:\s+|\s*-\s*)(?:the\s+)?$",
    _I,
)
_PREFIX = re.compile(rf"(?<!\w)(?:{_REL}\s+)?(?:{_PREP}\s+)?(?:the\s+)?$", _I)
_CONNECTOR = re.compile(
    r"\s*(?:to|and|through|thru|until|till|up\s+to|-|–|—)\s*(?:(?:in|on)\s+)?(?:the\s+)?", _I
)
_THIRDS = frozenset({"week", "month", "season", "year", "decade"})


@dataclass(slots=True)
class _Hit:
    start: int  # where the whole phrase begins, prepositions included (what strip removes)
    sem_start: int  # where the meaningful phrase begins (TimeRange.text)
    core_start: int
    end: int
    res: _Res
    rel: str | None = None
    rel_start: int = 0
    tail_start: int = 0  # after rel and preposition: part or core


def _third(res: _Res, part: str) -> _Res:
    """The early, middle or late third of a range; months split at the 11th and 21st."""
    key = part.lower().split()[-2] if " " in part.strip() else part.lower()  # "end of" -> "end"
    which = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1}.get(key, 2)
    start, end = res.start, res.end
    if res.kind == "month":
        cuts = [start, start.replace(day=11), start.replace(day=21), end]
    elif res.kind in ("year", "season"):
        step = 4 if res.kind == "year" else 1
        first = start.date()
        inner = [_add_months(first, step), _add_months(first, 2 * step)]
        cuts = [start, *(start.replace(year=d.year, month=d.month) for d in inner), end]
    else:
        return _third_by_days(res, which)
    return _Res(cuts[which], cuts[which + 1], "span")


def _third_by_days(res: _Res, which: int) -> _Res:
    days = (res.end.date() - res.start.date()).days
    a, b = days // 3, days - days // 3
    bounds = [0, a, b, days]
    return _Res(
        res.start + timedelta(days=bounds[which]),
        res.start + timedelta(days=bounds[which + 1]),
        "span",
    )


def _candidates(ctx: _Ctx) -> list[tuple[int, int, _Res]]:
    found: list[tuple[int, int, int, _Res]] = []
    lowered, has_digit = ctx.text.lower(), _DIGIT.search(ctx.text) is not None
    # Case-sensitive matching on lowered text is about twice as fast; it needs lowering to keep
    # every position (it does unless a character lowers into two, as "İ" does).
    aligned = len(lowered) == len(ctx.text)
    for priority, (needles, pattern, resolve) in enumerate(_RULES):
        if not (any(n in lowered for n in needles) if needles else has_digit):
            continue
        fast = _FAST[priority]
        for m in fast.finditer(lowered) if aligned else pattern.finditer(ctx.text):
            try:
                res = resolve(m, ctx)
            except (ValueError, OverflowError, KeyError):
                continue  # 31 February, a year past 9999: not a time we can place
            if res is not None and res.start < res.end:
                found.append((m.start(), m.end(), priority, res))
    found.sort(key=lambda c: (c[0] - c[1], c[0], c[2]))
    chosen: list[tuple[int, int, _Res]] = []
    for start, end, _, res in found:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, res))
    chosen.sort(key=lambda c: c[0])
    return chosen


def _hits(text: str, reference: datetime) -> list[_Hit]:
    ctx = _Ctx(text, reference, reference.date())
    hits: list[_Hit] = []
    previous_end = 0
    for start, end, res in _candidates(ctx):
        window_start = max(previous_end, start - 60)
        window = text[window_start:start]
        hit = _Hit(start, start, start, end, res, tail_start=start)
        m = _PREFIX_PART.search(window)
        third = _third(res, m["p"]) if m and res.kind in _THIRDS else None
        if m and third is not None and third.start < third.end:
            hit.res = third
            hit.sem_start = window_start + m.start("p")
            hit.tail_start = hit.sem_start
        else:
            m = _PREFIX.search(window)
        if m and m.start() < m.end():
            hit.start = window_start + m.start()
            if m["rel"]:
                hit.rel = " ".join(m["rel"].lower().split())
                hit.rel_start = window_start + m.start("rel")
        hits.append(hit)
        previous_end = end
    return hits


def _open(hit: _Hit, ref: datetime) -> _Res | None:
    """The range once "since", "before", "until" or "after" has opened it; None to ignore."""
    res = hit.res
    tz = ref.tzinfo
    if hit.rel in ("since", "ever since"):
        return _Res(res.start, ref, "span") if res.start < ref else None
    if hit.rel in ("before", "prior to"):
        return _Res(DISTANT_PAST.replace(tzinfo=tz), res.start, "span")
    if hit.rel in ("until", "till", "up to"):
        return _Res(DISTANT_PAST.replace(tzinfo=tz), res.end, "span")
    if hit.rel == "after":
        return _Res(res.end, DISTANT_FUTURE.replace(tzinfo=tz), "span")
    return None  # "from" and "between" only mean something with a second end


def _resolve(text: str, reference: datetime) -> list[tuple[_Hit, TimeRange]]:
    hits = _hits(text, reference)
    out: list[tuple[_Hit, TimeRange]] = []
    i = 0
    while i < len(hits):
        hit = hits[i]
        nxt = hits[i + 1] if i + 1 < len(hits) else None
        if (
            hit.rel in ("from", "between")
            and nxt is not None
            and _CONNECTOR.fullmatch(text, hit.end, nxt.tail_start)
            and hit.res.start < nxt.res.end
        ):
            merged = _Hit(hit.start, hit.rel_start, hit.core_start, nxt.end, hit.res)
            span = TimeRange(hit.res.start, nxt.res.end, text[hit.rel_start : nxt.end])
            out.append((merged, span))
            i += 2
            continue
        opened = _open(hit, reference)
        if opened is not None and opened.start < opened.end:
            res, sem_start = opened, hit.rel_start
        else:
            res, sem_start = hit.res, hit.sem_start
        out.append((hit, TimeRange(res.start, res.end, text[sem_start : hit.end])))
        i += 1
    return out


def find_time_ranges(text: str, reference: datetime) -> list[TimeRange]:
    """Every time expression in text resolved against reference (when it was said)."""
    try:
        return [span for _, span in _resolve(text, reference)]
    except (ValueError, OverflowError):  # a reference at the very edge of datetime's range
        return []


# Only where the phrases are matters for stripping; a leap-year midsummer resolves them all.
_STRIP_REFERENCE = datetime(2024, 6, 15, 12, 0)
_POSSESSIVE = re.compile(r"['’]s\b")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([?.!,;:])")


def strip_time_expressions(text: str) -> str:
    """The text with the found time phrases removed (for lexical search of the rest)."""
    kept: list[str] = []
    position = 0
    for hit, _ in _resolve(text, _STRIP_REFERENCE):
        kept.append(text[position : hit.start])
        possessive = _POSSESSIVE.match(text, hit.end)
        position = possessive.end() if possessive else hit.end
    kept.append(text[position:])
    joined = " ".join("".join(kept).split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", joined).strip(" ,;:")


_SESSION = re.compile(
    rf"\s*(?:(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})\s*(?:(?P<ap>[ap])\.?\s*m\.?)?\s+on\s+)?"
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MON},?\s+(?P<year>\d{{4}})\s*",
    _I,
)


def parse_session_datetime(text: str) -> datetime | None:
    """ "1:56 pm on 8 May, 2023" (LoCoMo, naive) or an ISO-8601 string; None if neither."""
    m = _SESSION.fullmatch(text)
    try:
        if m is None:
            return datetime.fromisoformat(text.strip())
        hour, minute = int(m["h"] or 0), int(m["mi"] or 0)
        if m["ap"]:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if m["ap"].lower() == "p" else 0)
        return datetime(int(m["year"]), _month_number(m), int(m["day"]), hour, minute)
    except ValueError:
        return None
