"""Direct questions about what the user told OS1, answered from recalled facts in code.

"What's my sister's birthday?", "Where do I live?", "Who is Catherine?", "What do I do?":
a tiny model ignores the facts in its prompt, so with it OS1 answers these itself, in a
sentence that says where the answer came from. A capable model answers them with the memories
in its context instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from os1.memory.recall import STOPWORDS, Hit, fts_terms

if TYPE_CHECKING:
    from os1.memory import LongTermMemory

# A cue in the question, and the fact attributes it asks for.
_CUES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\b(?:birthday|born)\b"), ("birthday", "born")),
    (re.compile(r"\bwhere\b.*\b(?:live|living|stay|staying)\b|\blive\b"), ("lives_in",)),
    (
        re.compile(r"\bwhat do i do\b|\b(?:work|job|living|profession|occupation)\b"),
        ("works_as", "works_at", "works_in"),
    ),
    (re.compile(r"\b(?:called|name|named)\b"), ("name", "middle_name")),
    (re.compile(r"\ballergic\b"), ("allergic_to",)),
)
_CUE_WORDS = frozenset(
    "birthday born live living stay staying work job profession occupation called name named "
    "remember tell know told recall again allergic".split()
)
# Questions that clearly ask for something the user told: if nothing was, say so.
_ASKS_FOR_TOLD = re.compile(
    r"^\W*(?:(?:do|can) you (?:remember|recall) |tell me )?"
    r"(?:what(?: is|'s| are)? my\b|where do i (?:live|work)\b|what do i do\b"
    r"|when(?: is|'s) my\b|who(?: is|'s) my\b|who(?: is|'s) [A-Z][a-z]+\W*$"
    r"|when(?: is|'s) [A-Z][a-z]+'s birthday\b)",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:what|who|where|when|which|do you remember|tell me)\b", re.IGNORECASE
)
_ABOUT_USER = re.compile(r"\b(?:my|i|me|mine)\b", re.IGNORECASE)
_WHO_IS = re.compile(r"\b(?i:who)(?: is|'s) (?P<name>[A-Z][a-z]+)\b")
_CONTRACTIONS = (
    ("what's", "what is"),
    ("who's", "who is"),
    ("when's", "when is"),
    ("where's", "where is"),
    ("\u2019", "'"),
)


@dataclass(frozen=True, slots=True)
class MemoryAnswer:
    text: str
    hits: list[Hit]


def answer_question(
    memory: LongTermMemory, text: str, user_name: str | None = None
) -> MemoryAnswer | None:
    """The answer to a direct question about the user's own facts; None for anything else."""
    question = text.strip()
    if len(question) > 200 or not _QUESTION.search(question):
        return None
    lowered = question.lower()
    for short, long in _CONTRACTIONS:
        lowered = lowered.replace(short, long)
    who = _WHO_IS.search(question)
    if not _ABOUT_USER.search(lowered) and who is None:
        return None
    wanted = tuple(a for cue, attrs in _CUES if cue.search(lowered) for a in attrs)
    subjects = [t for t in fts_terms(lowered) if t not in STOPWORDS and t not in _CUE_WORDS]
    subjects = [s.removesuffix("'s") for s in subjects]
    if who is not None:
        subjects = [who.group("name").lower()]
    if not wanted and not subjects:
        return None
    memory.consolidate()  # facts from what was said moments ago
    me = {"user", (user_name or "").lower()} - {""}
    best: tuple[float, Hit] | None = None
    for hit in _candidates(memory, question, [*subjects, *sorted(me)]):
        fact = hit.memory
        if fact.kind not in ("fact", "preference") or fact.superseded_by is not None:
            continue
        subject = (fact.subject or "").lower()
        attribute = (fact.attribute or "").lower()
        value = (fact.value or "").lower()
        score = 0.0
        if subjects:
            names = f"{subject} {value} {attribute.replace('_', ' ')}"
            named = set(re.findall(r"[a-z0-9'-]+", names)) | set(re.findall(r"[a-z0-9]+", names))
            matched = [s for s in subjects if s in named or _singular(s) in named]
            if not matched:
                continue
            score += len(matched) + (0.5 if subject in subjects else 0.0)
        elif subject not in me:
            continue
        if wanted:
            if not any(a in attribute for a in wanted):
                continue
            score += 1
        score += hit.score * 0.01
        if best is None or score > best[0]:
            best = (score, hit)
    if best is None:
        if _ASKS_FOR_TOLD.search(question):
            return MemoryAnswer("I don't think you've told me that yet. Would you like to?", [])
        return None
    hit = best[1]
    return MemoryAnswer(_cite(_second_person(hit.memory.text, user_name), hit), [hit])


def _candidates(memory: LongTermMemory, question: str, subjects: list[str]) -> list[Hit]:
    """Recalled memories, plus the facts stored under the subjects asked about: recall ranks
    a whole week of talk, and the one fact asked for may not make its top few."""
    hits = memory.recall.search(question, k=12)
    seen = {h.memory.id for h in hits}
    for subject in dict.fromkeys([*subjects, *map(_singular, subjects)]):
        for kind in ("fact", "preference"):
            for fact in memory.store.list(kind, subject=subject, limit=50):
                if fact.id not in seen:
                    seen.add(fact.id)
                    hits.append(Hit(fact, 0.0))
    return hits


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _second_person(text: str, user_name: str | None) -> str:
    """ "User's sister's birthday is 14 March." -> "Your sister's birthday is 14 March."."""
    who = r"(?:[Uu]ser" + (rf"|{re.escape(user_name)}" if user_name else "") + r")"
    text = re.sub(rf"\b{who}'s\b", "your", text)
    text = re.sub(rf"\b{who} is\b", "you are", text)
    text = re.sub(rf"\b{who} was\b", "you were", text)
    text = re.sub(rf"\b{who} has\b", "you have", text)
    text = re.sub(rf"\b{who} (\w+?)s\b", r"you \1", text)
    text = re.sub(rf"\b{who}\b", "you", text)
    text = text.strip()
    if not text.endswith((".", "!", "?")):
        text += "."
    return text[:1].upper() + text[1:]


def _cite(sentence: str, hit: Hit) -> str:
    """One sentence, so two answers never share a sentence word for word."""
    when = _day(hit.memory.said_at or hit.memory.created_at)
    told = f"you told me on {when}" if when else "you told me"
    return f"{sentence[:-1]} ({told})."


def _day(stamp: str | None) -> str | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return f"{moment.day} {moment:%B}"
