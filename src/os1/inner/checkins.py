"""Proactive check-ins on open threads: once a thread's day has passed, the companion may ask
"How did your interview go?" by itself, not only in the next conversation.

The check-in is a reminder of kind "followup" in the reminders table, due when the thread is:
the scheduler fires it under the user's proactive policy (the kind on or off, quiet hours,
the daily maximum, too stale to send) and delivers it through the outbox, like every other
message the companion starts. Asked once, whichever way comes first:
- delivered (`asked_proactively`, the outbox's hook): the thread is marked asked, so the next
  conversation does not ask again and the user's next message answers it;
- asked in a conversation first (`withdraw`): its check-in is cancelled;
- forgotten (`withdraw` from `forget_threads`): its check-in is cancelled with it.
The scheduler's own follow-ups planned from the same message (`proactive.plan_from_message`)
are the same question in other words: whichever is delivered first cancels the others.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Final

from os1.config import Settings
from os1.errors import NotFound, OS1Error
from os1.inner.threads import Thread
from os1.storage.base import Store

if TYPE_CHECKING:
    from os1.skills.reminders.book import Reminder

log = logging.getLogger(__name__)

KIND: Final = "followup"


def schedule(store: Store, settings: Settings, thread: Thread) -> int | None:
    """Keep the thread's check-in, due when the thread is; its reminder id, or None when one
    for it is kept already (the scheduler may have planned the same follow-up)."""
    from os1.skills.reminders import book
    from os1.skills.reminders.parse import When
    from os1.skills.reminders.policy import zone_name

    if any(_about(thread, r.text) for r in _pending(store, thread.source)):
        return None
    try:
        tz_name = zone_name(store, settings)
    except OS1Error as exc:  # no zone to plan in: the next conversation still asks
        log.info("no check-in for thread %s: %s", thread.id, exc)
        return None
    added = book.add(
        store,
        thread.question,
        When(due=datetime.fromisoformat(thread.due)),
        tz_name,
        kind=KIND,
        source=thread.source,
        dedupe_key=f"thread:{thread.id}:{thread.source}",
    )
    return added.id if added is not None else None


def withdraw(store: Store, thread: Thread) -> int:
    """Cancel the check-ins still waiting for this thread (asked already, closed, forgotten)."""
    from os1.skills.reminders import book

    cancelled = 0
    for reminder in _pending(store, thread.source):
        if _about(thread, reminder.text):
            try:
                book.finish(store, reminder.id, "cancelled")
            except OS1Error:  # fired or finished a moment ago
                continue
            cancelled += 1
    return cancelled


def asked_proactively(store: Store, reminder_id: int, at: str) -> Thread | None:
    """A follow-up was delivered (the outbox's hook): the thread it asks about is asked, and
    any other check-in waiting for that thread is cancelled."""
    from os1.inner.life import load_threads, save_threads
    from os1.skills.reminders import book

    try:
        reminder = book.get(store, reminder_id)
    except NotFound:
        return None
    every = load_threads(store)
    thread = next(
        (
            t
            for t in every
            if t.state == "open" and t.source == reminder.source and _about(t, reminder.text)
        ),
        None,
    )
    if thread is None:
        return None
    asked = replace(thread, state="asked", asked_at=at, asked_via="proactive")
    save_threads(store, [asked if t.id == thread.id else t for t in every])
    withdraw(store, thread)
    return asked


def _pending(store: Store, source: str) -> list[Reminder]:
    from os1.skills.reminders import book

    if not source:
        return []
    return [r for r in book.listed(store, kind=KIND) if r.source == source]


def _about(thread: Thread, text: str) -> bool:
    """Whether a follow-up's words ask about this thread: its own question, or one the
    scheduler worded from the same message ("How did the interview go?")."""
    if text == thread.question:
        return True
    head = thread.topic.split()[-1].lower()
    return head in {w.strip("?.,!").lower() for w in text.split()}
