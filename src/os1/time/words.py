"""The English words dates are made of, derived rather than typed out again.

Month and weekday names come from dateparser's English locale data (the library that also reads
the phrases our own rules do not know); counting words are one package-data file
(`os1/data/number_words.json`). Every date reader in `os1.time` builds its patterns from here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "DAY_PARTS",
    "MONTHS",
    "ORDINALS",
    "RRULE_DAYS",
    "VAGUE_NUMBERS",
    "WEEKDAYS",
    "WORD_NUMBERS",
    "alternation",
    "number",
]


def _locale() -> dict[str, Any]:
    from dateparser.data.date_translation_data import en

    return en.info  # type: ignore[no-any-return]


def _names(keys: list[str], min_len: int) -> dict[str, int]:
    """{alias: index} for each key's aliases, dropping the one- and two-letter ones ("mo",
    "we", "th") that would read ordinary words as dates."""
    info = _locale()
    return {
        alias.lower(): n
        for n, key in enumerate(keys)
        for alias in [key, *info[key]]
        if len(alias) >= min_len and alias.isalpha()
    }


_MONTH_KEYS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_WEEKDAY_KEYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# "january" → 1 … with dateparser's abbreviations ("jan", "sept").
MONTHS: dict[str, int] = {k: n + 1 for k, n in _names(_MONTH_KEYS, 3).items()}
# "monday" → 0 (datetime's weekday()) … with abbreviations ("mon", "tues").
WEEKDAYS: dict[str, int] = _names(_WEEKDAY_KEYS, 3)
FULL_WEEKDAYS: dict[str, int] = {k: n for n, k in enumerate(_WEEKDAY_KEYS)}
FULL_MONTHS: dict[str, int] = {k: n + 1 for n, k in enumerate(_MONTH_KEYS)}
# RFC 5545 day codes in weekday() order: the first two letters of each day's name.
RRULE_DAYS = [k[:2].upper() for k in _WEEKDAY_KEYS]

# Hours each part of the day covers; night runs into the next morning. These are our
# conventions (dateparser names the parts but gives them no hours).
DAY_PARTS: dict[str, tuple[int, int]] = {
    "morning": (6, 12),
    "afternoon": (12, 18),
    "evening": (18, 24),
    "night": (18, 30),
}


@cache
def _numbers() -> dict[str, Any]:
    text = resources.files("os1").joinpath("data/number_words.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _word_numbers() -> dict[str, int]:
    data = _numbers()
    words: dict[str, int] = {**data["articles"], **data["units"], **data["tens"]}
    for ten, t in data["tens"].items():  # "twenty-five", "forty five": built, not listed
        for unit, u in data["units"].items():
            if u < 10:
                words[f"{ten}-{unit}"] = words[f"{ten} {unit}"] = t + u
    return words


WORD_NUMBERS: dict[str, int] = _word_numbers()
VAGUE_NUMBERS: dict[str, tuple[int, int]] = {
    k: (int(v[0]), int(v[1])) for k, v in _numbers()["vague"].items()
}
ORDINALS: dict[str, int] = {
    **_numbers()["ordinals"],
    **{f"{n}{s}": n for n, s in ((1, "st"), (2, "nd"), (3, "rd"), (4, "th"), (5, "th"))},
}


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of words, longest first so that "sept" wins over "sep"."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


def number(word: str) -> int:
    """ "12" or "twelve" or "a" → 12 / 12 / 1."""
    word = " ".join(word.lower().split())
    return int(word) if word.isdigit() else WORD_NUMBERS[word]
