"""Mood that carries over: each user message scored by VADER (a sentiment lexicon and rules,
offline), kept per conversation and day, so that the next day the companion may say once
"you sounded worn out last night — did you sleep?"."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from os1.language import analyze

PROFILE_KEY = "inner_moods"
KEEP_DAYS = 60  # mood records kept (one per conversation and day)
# VADER compound scores run from -1 to 1; -0.05 and 0.05 are its own neutral bounds.
LOW = -0.3
HARD = -0.5  # one message this low is "something hard" (a first for our story)
# What tiredness sounds like: lemmas, not a sentiment (VADER reads "tired" as only mildly bad).
TIRED = {"tired", "exhausted", "exhaust", "drain", "drained", "sleepy", "wiped", "knackered"}
TIRED_PHRASES = ("worn out", "no sleep", "barely slept", "can't sleep", "couldn't sleep")
# Every word whose lemma or lower case is in TIRED contains one of these (English inflection of
# these words only adds endings): a message with none of them cannot sound tired, and is not
# parsed for it (a parse costs milliseconds; most messages are not about being tired).
TIRED_STEMS = ("tire", "exhaust", "drain", "sleep", "wipe", "knacker")
EVENING_HOUR = 18


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(text: str) -> float:
    """VADER's compound score of a message, -1 (very negative) to 1."""
    return float(_vader().polarity_scores(text)["compound"])


def sounds_tired(text: str) -> bool:
    lower = text.lower()
    if any(p in lower for p in TIRED_PHRASES):
        return True
    if not any(stem in lower for stem in TIRED_STEMS):
        return False
    return any(t.lemma in TIRED or t.lower in TIRED for t in analyze(text).tokens)


@dataclass
class DayMood:
    """The user's mood in one conversation on one day."""

    conversation_id: int
    day: str  # ISO date, local
    total: float = 0.0
    messages: int = 0
    lowest: float = 0.0
    tired: bool = False
    last_at: str = ""  # ISO datetime of the last message
    mentioned: bool = False  # the companion has spoken of it
    message_ids: list[int] = field(default_factory=list)  # the day's messages (the journal's)

    @property
    def mean(self) -> float:
        return self.total / self.messages if self.messages else 0.0

    @property
    def low(self) -> bool:
        return self.mean <= LOW

    def as_dict(self) -> dict[str, Any]:
        # What `asdict` gives (every field is a plain value but the list of ids, copied), without
        # its deep copy of each id: a day's record holds every message id of the day.
        return {**vars(self), "message_ids": list(self.message_ids)}


def record(
    moods: dict[str, Any],
    conversation_id: int,
    text: str,
    at: datetime,
    message_id: int | None = None,
) -> DayMood:
    """Add one message to its day's mood (in `moods`, the stored records, changed in place)."""
    day = at.date().isoformat()
    key = f"{conversation_id}:{day}"
    mood = DayMood(**moods[key]) if key in moods else DayMood(conversation_id, day)
    value = score(text)
    mood.total += value
    mood.messages += 1
    mood.lowest = min(mood.lowest, value)
    mood.tired = mood.tired or sounds_tired(text)
    mood.last_at = at.isoformat()
    if message_id is not None:
        mood.message_ids.append(message_id)
    moods[key] = mood.as_dict()
    for old in sorted(moods, key=lambda k: moods[k]["day"])[:-KEEP_DAYS]:
        del moods[old]
    return mood


def yesterday_line(moods: dict[str, Any], today: date) -> tuple[str, str] | None:
    """(key, line) about yesterday's low or tired mood, if not spoken of yet."""
    for key, value in sorted(moods.items(), key=lambda kv: kv[1]["last_at"], reverse=True):
        mood = DayMood(**value)
        if (today - date.fromisoformat(mood.day)).days != 1 or mood.mentioned:
            continue
        when = (
            "last night"
            if datetime.fromisoformat(mood.last_at).hour >= EVENING_HOUR
            else ("yesterday")
        )
        if mood.tired:
            return key, f"You sounded worn out {when} — did you sleep?"
        if mood.low:
            return key, f"You sounded low {when}. How are you feeling today?"
    return None
