"""Forgetting that reaches every copy: the memories and what was derived from them (facts,
embeddings, index entries), the conversation turns that mention it (the user's words and the
replies), conversation titles, onboarding answers and the rest of the profile, reminders and
tool calls that quote it — and then the bytes, as far as the backend can (`Store.scrub`): on
SQLite deleted rows are zeroed (`secure_delete`), the full-text index is merged so old
segments go, the file is rewritten (VACUUM) and the write-ahead log truncated, so that the raw
os1.db and os1.db-wal no longer hold it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from os1.memory.store import MemoryStore
from os1.storage.base import Store, title_from

PROFILE_ANSWERS = "onboarding_answers"
PERSONA_TEXT = "persona_text"


@dataclass
class Forgotten:
    """How much was forgotten, for a reply in numbers."""

    memories: int = 0  # derived memories: facts, preferences, events, reflections
    turns: int = 0  # messages of conversations
    titles: int = 0  # conversation titles that had to change
    answers: int = 0  # onboarding answers and other profile entries
    reminders: int = 0
    actions: int = 0  # tool calls, pending or done, that quoted it

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def summary(self) -> str:
        """ "5 memories, 3 conversation turns, 1 onboarding answer"."""
        names = {
            "memories": ("memory", "memories"),
            "turns": ("conversation turn", "conversation turns"),
            "titles": ("conversation title", "conversation titles"),
            "answers": ("onboarding answer", "onboarding answers"),
            "reminders": ("reminder", "reminders"),
            "actions": ("action", "actions"),
        }
        parts = []
        for name, (one, many) in names.items():
            count = getattr(self, name)
            if count:
                parts.append(f"{count} {one if count == 1 else many}")
        return ", ".join(parts)


def mentions(term: str) -> re.Pattern[str]:
    """`term` as whole words, any case ("Catherine" but not "Catherines")."""
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def memories_about(memories: MemoryStore, term: str) -> list[int]:
    """Memories that mention `term`, in their text or as a fact's subject or value."""
    found = mentions(term)
    rows = memories.db.query(
        "SELECT id, text, subject, value FROM memories WHERE user_id = ?", (memories.user_id,)
    )
    return [r[0] for r in rows if any(found.search(v or "") for v in (r[1], r[2], r[3]))]


def messages_about(db: Store, term: str) -> list[int]:
    found = mentions(term)
    rows = db.query("SELECT id, content, meta FROM messages WHERE user_id = ?", (db.user_id,))
    return [r[0] for r in rows if found.search(r[1]) or found.search(r[2])]


def forget_everywhere(memories: MemoryStore, term: str) -> Forgotten:
    """Forget every copy of `term`; returns the counts. Nothing found: all zero, nothing
    rewritten."""
    term = term.strip()
    done = Forgotten()
    if not term:
        return done
    db = memories.db
    before = _counts(db)
    for message_id in messages_about(db, term):
        memories.forget_message(message_id)
    memories.forget(memories_about(memories, term))
    after = _counts(db)
    done.memories = before[0] - after[0]
    done.turns = before[1] - after[1]
    found = mentions(term)
    done.titles = _retitle(db, found)
    # -- inner life: open threads that quote it go too (counted with the turns they repeat)
    from os1.inner.life import forget_threads

    forget_threads(db, found)
    # -- end inner life
    # -- journal: entries that used a forgotten memory went with it; their days are rewritten
    from os1.inner.journal import forget_journal

    forget_journal(memories)
    # -- end journal
    done.answers = _forget_in_profile(db, found)
    done.reminders = _delete_rows(db, "reminders", ("text", "note", "source"), found)
    _delete_rows(db, "reminder_firings", ("text",), found)
    done.actions = _delete_rows(db, "tool_calls", ("arguments", "summary", "output"), found)
    if done.total:
        scrub(db)
    return done


def forget_turns(
    memories: MemoryStore, message_ids: Iterable[int], *, scrub_after: bool = True
) -> Forgotten:
    """Forget turns of a conversation and everything remembered from them ("forget that")."""
    db = memories.db
    message_ids = list(message_ids)
    words = _user_words(db, message_ids)
    before = _counts(db)
    for message_id in message_ids:
        memories.forget_message(message_id)
    after = _counts(db)
    done = Forgotten(memories=before[0] - after[0], turns=before[1] - after[1])
    # -- the self: topics those turns brought up stop counting (and go, if nothing else did)
    from os1.inner.self import PROFILE_KEY, Self

    if words and db.profile_value(PROFILE_KEY) is not None:
        Self(db).unlearn(words)
    # -- end the self
    if done.total and scrub_after:
        scrub(db)
    return done


def _user_words(db: Store, message_ids: list[int]) -> list[tuple[int, str]]:
    if not message_ids:
        return []
    marks = ", ".join("?" for _ in message_ids)
    rows = db.query(
        f"SELECT conversation_id, content FROM messages WHERE user_id = ? AND role = 'user' "
        f"AND id IN ({marks})",
        (db.user_id, *message_ids),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def scrub(db: Store) -> None:
    """Leave as few bytes of deleted rows behind as the backend can (see `Store.scrub`)."""
    db.scrub()


def _counts(db: Store) -> tuple[int, int]:
    row = db.query(
        "SELECT (SELECT count(*) FROM memories WHERE user_id = ? AND kind != 'episode'), "
        "(SELECT count(*) FROM messages WHERE user_id = ?)",
        (db.user_id, db.user_id),
    )[0]
    return int(row[0]), int(row[1])


def _retitle(db: Store, found: re.Pattern[str]) -> int:
    """Conversations titled with it take their title from their first user turn (now one
    that doesn't mention it), or none."""
    changed = 0
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, title FROM conversations WHERE user_id = ? AND title IS NOT NULL",
            (db.user_id,),
        ).fetchall()
        for row in rows:
            conv_id, title = row[0], str(row[1])
            if not found.search(title):
                continue
            first = conn.execute(
                "SELECT content FROM messages WHERE conversation_id = ? AND role = 'user' "
                "ORDER BY id LIMIT 1",
                (conv_id,),
            ).fetchone()
            new = title_from(first[0]) if first else None
            if new is not None and found.search(new):
                new = None
            conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (new, conv_id))
            changed += 1
    return changed


def _forget_in_profile(db: Store, found: re.Pattern[str]) -> int:
    """Onboarding answers that mention it go; so do other profile entries (the reason the
    companion gave for its name, lines of a user-edited persona)."""
    removed = 0
    for key, value in db.profile().items():
        if not found.search(json.dumps(value, ensure_ascii=False)):
            continue
        kept: Any
        if isinstance(value, dict):
            kept = {k: v for k, v in value.items() if not found.search(json.dumps(v))}
            removed += len(value) - len(kept)
        elif isinstance(value, list):
            kept = [v for v in value if not found.search(json.dumps(v))]
            removed += len(value) - len(kept)
        elif key == PERSONA_TEXT and isinstance(value, str):
            kept = "\n".join(line for line in value.splitlines() if not found.search(line))
            removed += 1
        else:
            kept = None
            removed += 1
        if kept in (None, {}, []):
            db.delete_profile(key)
        else:
            db.set_profile(key, kept)
    return removed


def _delete_rows(db: Store, table: str, columns: tuple[str, ...], found: re.Pattern[str]) -> int:
    """Rows of one user's `table` (a skill's, if it is installed) that quote it."""
    if not db.table_exists(table):
        return 0
    select = ", ".join(f"coalesce({c}, '')" for c in columns)
    rows = db.query(f"SELECT id, {select} FROM {table} WHERE user_id = ?", (db.user_id,))
    doomed = [
        r[0] for r in rows if any(found.search(str(r[i])) for i in range(1, len(columns) + 1))
    ]
    if doomed:
        with db.transaction() as conn:
            conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in doomed])
    return len(doomed)
