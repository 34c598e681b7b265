"""The companion's journal: once a day with the user has ended (or gone quiet for
`journal_after_minutes`), a short entry about it — what happened, how he seemed, what to ask
next time — composed in code from that day's memories, moods and open threads, so it names
nobody and nowhere the day's memories don't. A capable model may write it instead, from the
same material; its entry is kept only if every person, place and date it names is found in
that day's memories (read by the language layer), else the composed one is.

Entries are memories of kind "reflection" with the source `journal:DAY` and `mem:ID` for each
memory they used: recall finds them like any memory, and forgetting one of those memories takes
the entry with it (`forget_everywhere` then lets the next turn write the day again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from os1.errors import NotFound
from os1.inner import mood, writing
from os1.inner import threads as th
from os1.inner.writing import ModelFactory
from os1.memory.consolidate import COMPANION_SPEAKER
from os1.memory.store import Memory, MemoryStore, NewMemory, memory_source, message_source
from os1.storage.base import Store

log = logging.getLogger(__name__)

PROFILE_KEY = "inner_journal"  # day -> {"id": memory id or None, "through": ISO, "state": …}
SOURCE_PREFIX = "journal:"
# Days further back are not caught up on: a first run over old moods stays one cheap turn.
CATCH_UP_DAYS = 7
KEEP_DAYS = 60
SNIPPETS = 3
SNIPPET_CHARS = 160
_DERIVED = ("fact", "event", "preference")
MODEL_TOKENS = 220
MIN_ENTRY_CHARS = 20
MAX_ENTRY_CHARS = 1200
JOURNAL_SYSTEM = (
    "You are a companion writing your private journal about one day with the person you talk"
    " with. In 2 to 4 short sentences, in the first person, write what happened, how he"
    " seemed, and what you want to ask him next time. Use only the notes: name no person,"
    " place or date that they do not name. Write only the entry."
)


@dataclass(frozen=True)
class Entry:
    id: int
    day: str
    text: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "day": self.day, "text": self.text, "sources": list(self.sources)}


def catch_up(
    store: Store,
    memories: MemoryStore,
    now: datetime,
    after_minutes: int,
    model: ModelFactory | None = None,
) -> list[int]:
    """Write the entries that are due (before the turn's message is observed); returns their
    memory ids. Nothing due costs one profile read. With a capable `model` it writes them,
    checked; otherwise (or when its entry names what the day never held) they are composed."""
    # What the entries read: the marks, the day's moods, the open threads it asks about.
    profile = store.profile_values(PROFILE_KEY, mood.PROFILE_KEY, th.PROFILE_KEY)
    marks: dict[str, Any] = dict(profile.get(PROFILE_KEY) or {})
    days = _days(profile.get(mood.PROFILE_KEY) or {})
    quiet = timedelta(minutes=after_minutes)
    oldest = now.date() - timedelta(days=CATCH_UP_DAYS)
    written: list[int] = []
    for day, records in sorted(days.items()):
        last = max(datetime.fromisoformat(r.last_at) for r in records)
        if day < oldest or (day >= now.date() and now - last < quiet):
            continue
        mark = marks.get(day.isoformat())
        if mark is not None and (
            mark.get("state") != "written" or mark.get("through", "") >= last.isoformat()
        ):
            continue
        if mark is not None and mark.get("id") is not None:
            memories.forget([int(mark["id"])])  # the day went on after the quiet entry
        entry_id, by = _write(store, memories, day, records, profile, model)
        marks[day.isoformat()] = {
            "id": entry_id,
            "through": last.isoformat(),
            "state": "written",
            "by": by,  # model | composed | rejected (the model's named what the day never held)
        }
        if entry_id is not None:
            written.append(entry_id)
    if written or marks != (profile.get(PROFILE_KEY) or {}):
        for old in sorted(marks)[:-KEEP_DAYS]:
            del marks[old]
        store.set_profile(PROFILE_KEY, marks)
    return written


def entries(memories: MemoryStore) -> list[Entry]:
    found = []
    for m in memories.list("reflection"):
        day = next((s[len(SOURCE_PREFIX) :] for s in m.sources if s.startswith(SOURCE_PREFIX)), "")
        if day:
            found.append(Entry(m.id, day, m.text, m.sources))
    return sorted(found, key=lambda e: (e.day, e.id))


def entry(memories: MemoryStore, entry_id: int) -> Entry:
    found = next((e for e in entries(memories) if e.id == entry_id), None)
    if found is None:
        raise NotFound(f"no journal entry {entry_id}", hint="`os1 journal list` shows them.")
    return found


def written_by(store: Store, day: str) -> str:
    """Who wrote a day's entry, in words: the model, or code (also when the model's entry
    named what the day never held)."""
    by = dict(store.profile_value(PROFILE_KEY) or {}).get(day, {}).get("by", "composed")
    return {
        "model": "written by the model, checked against the day",
        "rejected": "composed from the day (the model's entry named what the day never held)",
    }.get(by, "composed from the day")


def delete(store: Store, memories: MemoryStore, entry_id: int) -> Entry:
    """Delete an entry; its day is not written again."""
    found = entry(memories, entry_id)
    memories.forget([found.id])
    marks = dict(store.profile_value(PROFILE_KEY) or {})
    marks[found.day] = {**marks.get(found.day, {}), "id": None, "state": "deleted"}
    store.set_profile(PROFILE_KEY, marks)
    return found


def forget_journal(memories: MemoryStore) -> None:
    """After a forget (for `forget_everywhere`): entries that used a forgotten memory are gone
    with it; their days are unmarked so the next turn writes them from what remains."""
    store = memories.db
    marks = dict(store.profile_value(PROFILE_KEY) or {})
    kept = {e.id for e in entries(memories)}
    gone = [d for d, m in marks.items() if m.get("state") == "written" and m.get("id") not in kept]
    for day in gone:
        del marks[day]
    if gone:
        store.set_profile(PROFILE_KEY, marks)


# -- composing ------------------------------------------------------------------------------


def _days(moods: dict[str, Any]) -> dict[date, list[mood.DayMood]]:
    days: dict[date, list[mood.DayMood]] = {}
    for value in moods.values():
        record = mood.DayMood(**value)
        if record.message_ids:  # records from before the journal have nothing to go on
            days.setdefault(date.fromisoformat(record.day), []).append(record)
    return days


def _write(
    store: Store,
    memories: MemoryStore,
    day: date,
    records: list[mood.DayMood],
    profile: dict[str, Any],
    model: ModelFactory | None = None,
) -> tuple[int | None, str]:
    episodes: list[Memory] = []
    for message_id in sorted({i for r in records for i in r.message_ids}):
        ids = memories.ids_with_source(message_source(message_id))
        episodes += [
            m
            for m in memories.get_many(ids)
            if m.kind == "episode" and m.speaker != COMPANION_SPEAKER and not m.untrusted
        ]
    if not episodes:
        return None, "composed"
    used: list[Memory] = []
    everything: list[Memory] = []  # the whole day, for the model to write from
    for episode in episodes:
        # What was learned from a message says it best; a message that taught nothing, itself.
        ids = memories.ids_with_source(memory_source(episode.id))
        derived = [m for m in memories.get_many(ids) if m.kind in _DERIVED and not m.untrusted]
        used += [m for m in derived if m.id not in {u.id for u in used}] or [episode]
        everything += [episode, *(m for m in derived if m.id not in {e.id for e in everything})]
    asks = _questions(profile, day)
    seemed = _mood_word(records)
    by = "composed"
    text = None
    if model is not None:
        text = _by_model(model, day, everything, seemed, asks)
        by = "model" if text is not None else "rejected"
    if text is not None:
        # It may have drawn on any of the day's memories: forgetting any of them takes it.
        used = everything
    else:
        used = used[:SNIPPETS]
        happened = [_snippet(m) for m in used]
        lines = [
            f"{day.strftime('%A')} {day.isoformat()}. You told me: " + "; ".join(happened) + "."
        ]
        lines.append(f"You seemed {seemed}.")
        if asks:
            lines.append("Next time I want to ask: " + " ".join(asks))
        text = " ".join(lines)
    sources = (f"{SOURCE_PREFIX}{day.isoformat()}", *(memory_source(m.id) for m in used))
    entry_id = memories.add(
        NewMemory(
            kind="reflection",
            text=text,
            sources=sources,
            said_at=used[-1].said_at,
            happened_at=day.isoformat(),
            importance=0.4,
        ),
        requires=used[-1].id,
    )
    return entry_id, by


def _by_model(
    model: ModelFactory, day: date, memories: list[Memory], seemed: str, asks: list[str]
) -> str | None:
    """The model's entry, or None when it failed or named a person, place or date that the
    day's memories don't (then the composed entry is kept instead)."""
    notes = "\n".join(f"- {' '.join(m.text.split())}" for m in memories)
    content = (
        f"Day: {day.strftime('%A')} {day.isoformat()}\nHe seemed: {seemed}\n"
        + (f"To ask next time: {' '.join(asks)}\n" if asks else "")
        + f"What he told me that day:\n{notes}"
    )
    reply = writing.ask(model, JOURNAL_SYSTEM, content, MODEL_TOKENS)
    if reply is None or len(reply) < MIN_ENTRY_CHARS:
        return None
    reply = reply[:MAX_ENTRY_CHARS]
    sources = " ".join([content, *asks])
    made_up = writing.invented(reply, sources, day)
    if made_up:
        log.info("journal entry for %s rejected: it names %s", day, ", ".join(made_up))
        return None
    return reply


def _snippet(memory: Memory) -> str:
    text = memory.text
    if memory.kind == "episode" and memory.speaker:
        text = text.removeprefix(f"{memory.speaker}: ")
    text = " ".join(text.split()).rstrip(".!?")
    if len(text) > SNIPPET_CHARS:
        # Cut between words: half a name would be a name the day never held.
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    return f"“{text}”"


def _mood_word(records: list[mood.DayMood]) -> str:
    total = sum(r.total for r in records)
    count = sum(r.messages for r in records) or 1
    if any(r.tired for r in records):
        return "worn out"
    if total / count <= mood.LOW:
        return "low"
    if total / count >= -mood.LOW:
        return "in good spirits"
    return "calm"


def _questions(profile: dict[str, Any], day: date) -> list[str]:
    """Threads opened that day and still open (said that day, so nothing from elsewhere)."""
    found = [th.Thread(**v) for v in (profile.get(th.PROFILE_KEY) or {}).values()]
    return [
        t.question
        for t in sorted(found, key=lambda t: t.id)
        if t.state == "open" and t.created_at[:10] == day.isoformat()
    ]
