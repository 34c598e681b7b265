"""What the companion knows about the user, as the memory page shows it: said to them ("Your
sister is called Anna"), one line where two memories say the same thing, grouped by person.

Pure functions over stored memories; the stored text itself stays third person, since that is
what recall puts in the model's prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from os1.memory.store import Memory

# What reads as knowledge about the user; episodes (raw turns, the companion's own replies)
# are conversation excerpts, shown only when asked for.
KNOWLEDGE_KINDS = ("fact", "preference", "event", "reflection")
EXCERPTS = "Conversation excerpts"

# Third-person verbs that don't just lose an "s" for "you".
_IRREGULAR = {"is": "are", "was": "were", "has": "have", "does": "do", "goes": "go"}
_NOT_VERBS = {"also", "always", "often", "never", "still", "just", "really", "usually"}


@dataclass(frozen=True)
class Known:
    """One line of the memory page; `ids` are every stored memory that says it."""

    ids: tuple[int, ...]
    kind: str
    text: str
    person: str | None  # None: about the user themself; EXCERPTS for raw turns
    said_at: str | None
    created_at: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.ids[0],
            "ids": list(self.ids),
            "kind": self.kind,
            "text": self.text,
            "person": self.person,
            "said_at": self.said_at,
            "created_at": self.created_at,
            "sources": list(self.sources),
        }


def _you_verb(verb: str) -> str:
    low = verb.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if low in _NOT_VERBS or not low.endswith("s") or low.endswith("ss"):
        return low
    if low.endswith("ies") and len(low) > 4:
        return low[:-3] + "y"
    if re.search(r"(?:sh|ch|x|z|ss|o)es$", low):
        return low[:-2]
    return low[:-1]


def second_person(text: str, names: Iterable[str]) -> str:
    """ "User's sister is called Anna." -> "Your sister is called Anna."; "Ada loves tea." ->
    "You love tea." (`names`: how stored memories name the user)."""
    for name in {n for n in names if n}:
        n = re.escape(name)
        text = re.sub(rf"\b{n}'s\b", "your", text, flags=re.IGNORECASE)
        text = re.sub(
            rf"(?:^|(?<=[.!?]\s)){n}\s+(?:(?P<adv>also|always|often|never|still|really|usually)\s+)?(?P<verb>[a-z]+)\b",
            lambda m: (
                "you "
                + (m.group("adv") + " " if m.group("adv") else "")
                + _you_verb(m.group("verb"))
            ),
            text,
            flags=re.IGNORECASE,
        )
        text = re.sub(rf"\b{n}\b", "you", text, flags=re.IGNORECASE)
    return text[:1].upper() + text[1:] if text else text


def _user_subjects(user_name: str | None) -> set[str]:
    return {"user", *([user_name.lower()] if user_name else [])}


def _people(memories: Sequence[Memory], users: set[str]) -> dict[str, str]:
    """subject -> the person it is about, by name: "sister" and "anna" both -> "Anna"."""
    people: dict[str, str] = {}
    for m in memories:
        if m.kind != "fact" or not m.subject or not m.value or m.subject in users:
            continue
        if m.attribute == "name":  # "User's sister is called Anna"
            people[m.subject] = m.value
            people.setdefault(m.value.lower(), m.value)
        elif m.attribute == "relation":  # "Anna is user's sister"
            name = people.get(m.subject) or m.subject.capitalize()
            people[m.subject] = name
            people.setdefault(m.value.lower(), name)
    return people


def _same_thing(m: Memory) -> tuple[str, ...]:
    """A key equal for memories that say the same: the two ways of naming a relation meet on
    (relation, name); others on subject, attribute and value, or their words."""
    if m.kind == "fact" and m.subject and m.value:
        if m.attribute == "name":
            return ("relation", m.subject, m.value.lower())
        if m.attribute == "relation":
            return ("relation", m.value.lower(), m.subject)
    if m.subject and m.attribute and m.value:
        return (m.kind, m.subject, m.attribute, m.value.lower())
    return (m.kind, " ".join(re.findall(r"[a-z0-9]+", m.text.lower())))


def about_you(
    memories: Sequence[Memory], user_name: str | None, *, excerpts: bool = False
) -> list[Known]:
    """The memory page's lines: the user first, then each person, then (if asked) excerpts.
    Keeps the order of `memories` within a group (callers pass time or rank order)."""
    users = _user_subjects(user_name)
    names = ["user", *([user_name] if user_name else [])]
    people = _people(memories, users)
    merged: dict[tuple[str, ...], list[Memory]] = {}
    for m in memories:
        if m.kind == "episode" and not excerpts:
            continue
        key = ("episode", str(m.id)) if m.kind == "episode" else _same_thing(m)
        merged.setdefault(key, []).append(m)
    lines: list[Known] = []
    for group in merged.values():
        # "Your sister is called Anna" reads better than "Anna is your sister", whichever
        # came first (a search ranks them either way).
        first = next((m for m in group if m.attribute == "name"), group[0])
        if first.kind == "episode":
            person: str | None = EXCERPTS
            text = first.text
        else:
            subject = first.subject or "user"
            person = None if subject in users else people.get(subject, subject.capitalize())
            text = second_person(first.text, names)
        sources = tuple(dict.fromkeys(s for m in group for s in m.sources))
        lines.append(
            Known(
                ids=(first.id, *(m.id for m in group if m is not first)),
                kind=first.kind,
                text=text,
                person=person,
                said_at=first.said_at,
                created_at=first.created_at,
                sources=sources,
            )
        )
    order: dict[str | None, int] = {None: 0}
    for line in lines:
        order.setdefault(line.person, 2 if line.person == EXCERPTS else 1)
    people_order = {p: i for i, p in enumerate(dict.fromkeys(line.person for line in lines))}
    return sorted(lines, key=lambda line: (order[line.person], people_order[line.person]))
