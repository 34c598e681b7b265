"""Our story: the timeline of the relationship — the day they met and the name the companion
chose, firsts (the first hard thing shared, the first letter written together), and the
anniversaries of the first meeting (monthly in the first year, then yearly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from os1.mind.persona import Identity
from os1.storage.base import Store

PROFILE_KEY = "inner_story"
_NUMBERS = ["", "a", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@dataclass(frozen=True)
class Moment:
    day: date
    kind: str  # "met", "first_hard", "first_letter", "anniversary"
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"day": self.day.isoformat(), "kind": self.kind, "text": self.text}


def met_day(store: Store, story: dict[str, Any], today: date) -> date:
    """The day they met: kept once known; first guessed from the oldest conversation."""
    if "met" in story:
        return date.fromisoformat(story["met"])
    oldest = store.list_conversations(limit=100_000)
    days = [datetime.fromisoformat(c.created_at).date() for c in oldest] + [today]
    story["met"] = min(days).isoformat()
    return date.fromisoformat(story["met"])


def anniversary(met: date, today: date) -> tuple[str, str] | None:
    """(key, how long) when today is a monthly (first year) or yearly anniversary."""
    months = (today.year - met.year) * 12 + today.month - met.month
    if months < 1 or (months > 12 and months % 12) or met + relativedelta(months=months) != today:
        return None
    count, unit = (months, "month") if months < 12 else (months // 12, "year")
    amount = _NUMBERS[count] if count < len(_NUMBERS) else str(count)
    return f"{count}{unit[0]}", f"{amount} {unit}{'s' if count > 1 else ''}"


def anniversary_line(how_long: str, identity: Identity) -> str:
    name = f", {identity.user_name}" if identity.user_name else ""
    return f"It's {how_long} today since we met{name}. I'm really glad you're here."


def first_letter(store: Store) -> date | None:
    """The day of the first letter written together, where the letters skill keeps letters."""
    try:
        from os1.skills.letters.library import LetterLibrary

        letters = LetterLibrary(store).all()
    except Exception:  # noqa: BLE001 - no letters skill or no SQL store: no such first
        return None
    return datetime.fromisoformat(letters[0].created_at).date() if letters else None


def timeline(store: Store, today: date) -> list[Moment]:
    """Every moment of our story up to today, oldest first."""
    profile = store.profile()
    story: dict[str, Any] = dict(profile.get(PROFILE_KEY) or {})
    identity = Identity.load(store)
    met = met_day(store, story, today)
    who = f" and you told me your name, {identity.user_name}" if identity.user_name else ""
    moments = [
        Moment(met, "met", f"We met. I chose my name, {identity.companion_name}{who}."),
    ]
    if "first_hard" in story:
        moments.append(
            Moment(
                date.fromisoformat(story["first_hard"]),
                "first_hard",
                "The first time you told me something hard.",
            )
        )
    letter = first_letter(store)
    if letter is not None:
        moments.append(Moment(letter, "first_letter", "Our first letter, written together."))
    for months in [*range(1, 12), *range(12, 12 * 200, 12)]:
        day = met + relativedelta(months=months)
        if day > today:
            break
        found = anniversary(met, day)
        if found is not None:
            moments.append(Moment(day, "anniversary", f"{found[1].capitalize()} since we met."))
    return sorted(moments, key=lambda m: (m.day, m.kind != "met"))
