"""Split a question that names two people or two times into one question per person or time.

"Which city have both Jon and Gina visited?" has its evidence in two places: what Jon said
about a city and what Gina said about one. Searched whole, the turns that mention both names
win, and those are rarely the evidence. Each part keeps the whole question but names only one
of them, so each finds its own turns; recall merges the parts' rankings.

The language layer finds the names and times (spaCy's entities). Parsing costs a few
milliseconds, so it runs only when a cheap look at the text says a split is possible.
"""

from __future__ import annotations

import re

from os1.language import Analysis, Entity, analyze

# Entity labels that make a part: people, and the times a question can compare.
PERSON = "PERSON"
TIMES = frozenset({"DATE", "TIME"})
# A question may be split only when it holds two capitalised words after its first word, or
# two numbers or month names: without them spaCy cannot find two people or two dates.
_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z]+")
_TIMEISH = re.compile(
    r"\b(?:\d+|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|yesterday|today|week|month|year)\b",
    re.IGNORECASE,
)
# Words left dangling once the other name is gone ("both Jon and" → "Jon").
_JOINERS = re.compile(r"\b(?:both|and|or|vs\.?|versus)\b", re.IGNORECASE)
MAX_PARTS = 3


def could_split(question: str) -> bool:
    """Whether the question might name two people or two times (no parsing)."""
    return len(_CAPITALISED.findall(question)) >= 2 or len(_TIMEISH.findall(question)) >= 2


def split_query(question: str, analysis: Analysis | None = None) -> list[str]:
    """One question per person (or per time) named, when there are two or more; else []."""
    question = question.strip()
    if analysis is None:
        if not could_split(question):
            return []
        analysis = analyze(question)
    for labels in (frozenset({PERSON}), TIMES):
        named = [e for e in analysis.entities if e.label in labels]
        if not _conjoined(analysis, named):
            continue
        distinct = list(dict.fromkeys(e.text for e in named))
        if len(distinct) < 2:
            continue
        parts = []
        for keep in distinct[:MAX_PARTS]:
            others = [e for e in named if e.text != keep]
            parts.append(_without(analysis, others))
        return [p for p in dict.fromkeys(parts) if p]
    return []


def _conjoined(analysis: Analysis, named: list[Entity]) -> bool:
    """Whether two of the entities are joined by a conjunction ("Jon and Gina", "in May or in
    June"): only then is the question about each of them. "What did Jon tell Gina?" names two
    people, but its answer is one turn about both."""
    heads = {e.end - 1: e for e in named}
    for index, entity in heads.items():
        token = analysis.tokens[index]
        # spaCy hangs the second conjunct on the first with `conj`, directly or through the
        # preposition of its phrase ("in May and in June": June ← in ← conj of in).
        chain = [token, analysis.head(token)]
        for candidate in chain:
            if candidate.dep == "conj":
                first = analysis.head(candidate)
                before = {first.i} | {t.i for t in analysis.children(first)}
                if any(i in before for i in heads if heads[i] is not entity):
                    return True
    return False


def _without(analysis: Analysis, drop: list[Entity]) -> str:
    """The question's text without the tokens of the entities in `drop`, and the joiners
    ("both", "and") that tied them to the one kept."""
    gone = {i for e in drop for i in range(e.start, e.end)}
    text = "".join(t.text + t.space for t in analysis.tokens if t.i not in gone)
    text = _JOINERS.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()
