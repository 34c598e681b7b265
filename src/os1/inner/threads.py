"""Open threads: things the user mentions for the future ("my interview is on Friday"), kept
with their date so that, once it has passed, the companion asks about them once.

Found from the shared parse (`os1.language`): a sentence not in the past tense with a DATE
entity that resolves (dateparser, against the moment it was said) to today or later, and a
topic read off the dependency tree (the subject, or the object when the subject is "I").
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import dateparser

from os1.language import Analysis, Token, analyze

ThreadState = Literal["open", "asked", "closed"]
PROFILE_KEY = "inner_threads"
# Threads kept once closed, so `os1 threads list --all` can show a little history.
KEEP_CLOSED = 50
# With an hour said ("at 3pm"), ask this long after it; with a day only, the next morning.
AFTER_TIMED = timedelta(hours=3)

_POSSESSIVES = {"my": "your", "our": "your", "mine": "yours"}
_ARTICLES = {"a": "the", "an": "the"}
_MODIFIERS = {"poss", "compound", "amod", "det", "nummod"}
# Verbs that only carry the date ("is on Friday", "have an exam"): ask how the thing went.
_LIGHT_VERBS = {"be", "have"}
_REQUESTS = {"remind", "tell", "ask", "forget", "remember"}


@dataclass(frozen=True)
class Thread:
    id: int
    topic: str  # "your interview"
    question: str  # "How did your interview go?"
    due: str  # ISO datetime: asked about from then on
    said: str  # the sentence that opened it
    source: str  # "msg:ID"
    conversation_id: int
    state: ThreadState = "open"
    created_at: str = ""
    asked_at: str | None = None
    answer: str | None = None
    asked_via: str | None = None  # "conversation" or "proactive" (a check-in it sent)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_threads(text: str, said_at: datetime) -> list[tuple[str, str, datetime]]:
    """(topic, question, due) for each future event the message mentions."""
    analysis = analyze(text)
    found: list[tuple[str, str, datetime]] = []
    for sentence in analysis.sentences():
        event = _event(analysis, sentence, said_at)
        if event is not None and all(event[0] != f[0] for f in found):
            found.append(event)
    return found


def _event(
    analysis: Analysis, sentence: list[Token], said_at: datetime
) -> tuple[str, str, datetime] | None:
    root = next((t for t in sentence if t.dep == "ROOT"), None)
    if root is None or root.tag in ("VBD", "VBN") or root.lemma in _REQUESTS:
        return None
    if sentence[-1].text == "?" or any(t.tag == "VBD" and t.dep == "aux" for t in sentence):
        return None
    when = _when(analysis, sentence, said_at)
    if when is None:
        return None
    topic = _topic(analysis, root)
    if topic is None:
        return None
    if root.lemma in _LIGHT_VERBS:
        question = f"How did {topic} go?"
    else:
        question = f"How did it go with {topic}?"
    return topic, question, when


def _when(analysis: Analysis, sentence: list[Token], said_at: datetime) -> datetime | None:
    """When the event is over enough to ask: a day, or a day and an hour, today or later."""
    indexes = {t.i for t in sentence}
    dates = [e for e in analysis.entities if e.start in indexes and e.label == "DATE"]
    times = [e for e in analysis.entities if e.start in indexes and e.label == "TIME"]
    if not dates or any(w in e.text.lower().split() for e in dates for w in ("ago", "last")):
        return None
    phrase = dates[0].text
    before = analysis.tokens[dates[0].start - 1] if dates[0].start > 0 else None
    if before is not None and before.lower == "in":  # "in two days"
        phrase = "in " + phrase
    naive_base = said_at.replace(tzinfo=None)
    minute = naive_base.replace(second=0, microsecond=0)
    day = _parse_date(phrase, minute)
    if day is None or day.date() < naive_base.date():
        return None
    if times:
        moment = _parse_date(f"{phrase} at {times[0].text}", minute)
        if moment is not None and moment > naive_base:
            return (moment + AFTER_TIMED).replace(tzinfo=said_at.tzinfo)
    return datetime.combine(day.date() + timedelta(days=1), time(0), tzinfo=said_at.tzinfo)


# Date phrases are few ("tomorrow", "next week", "on Friday") and said by many users in the
# same minute; dateparser takes ~2 ms a phrase (a few percent of a server turn's CPU).
@functools.lru_cache(maxsize=1024)
def _parse_date(phrase: str, base: datetime) -> datetime | None:
    """`phrase` read as a date from `base` (to the minute), preferring the future."""
    settings: Any = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base}
    # English only, as the parse that found the phrase: without it dateparser tries each of
    # its ~200 locales first, about 10 ms a call on every turn that names a day.
    found: datetime | None = dateparser.parse(phrase, languages=["en"], settings=settings)
    return found


def _topic(analysis: Analysis, root: Token) -> str | None:
    kids = list(analysis.children(root))
    subject = next((t for t in kids if t.dep in ("nsubj", "nsubjpass")), None)
    head = subject
    if head is None or head.pos == "PRON":
        head = next((t for t in kids if t.dep in ("dobj", "attr")), None)
    if head is None or head.pos not in ("NOUN", "PROPN"):
        return None
    if (ent := analysis.entity_at(head.i)) is not None and ent.label in ("DATE", "TIME"):
        return None
    words: list[str] = []
    for child in analysis.children(head):
        if child.i > head.i or child.dep not in _MODIFIERS:
            continue
        for token in analysis.subtree(child):
            if analysis.entity_at(token.i) is not None and token.ent in ("DATE", "TIME"):
                continue
            lower = token.lower
            word = _POSSESSIVES.get(lower, _ARTICLES.get(lower, lower))
            if token.text.startswith("'") and words:  # "brother 's" -> "brother's"
                words[-1] += word
            else:
                words.append(word)
    if not words and head.pos == "NOUN":
        words.append("the")
    words.append(head.text if head.pos == "PROPN" else head.lower)
    return " ".join(words)


def due_now(thread: Thread, now: datetime) -> bool:
    return thread.state == "open" and datetime.fromisoformat(thread.due) <= now


def day_of(thread: Thread) -> date:
    return datetime.fromisoformat(thread.due).date()
