"""The inner life in a turn: `observe` the user's message (its mood, the threads it opens or
answers), then at most one `opener` — an anniversary, a follow-up on a thread whose day has
passed, or yesterday's mood — said before the reply. Deterministic, no model involved.

State lives in the user's profile through the `Store` interface (so any store keeps it);
`forget_everywhere` removes the threads that mention what is forgotten (`forget_threads`).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from os1 import clock
from os1.config import Settings
from os1.errors import NotFound, OS1Error
from os1.inner import checkins, mood, story, writing
from os1.inner import threads as th
from os1.inner.threads import Thread
from os1.inner.writing import ModelFactory
from os1.mind.persona import Identity
from os1.storage.base import Store, StoredMessage

OpenerKind = Literal["anniversary", "thread", "mood"]
# A message longer than this is kept as an answer only in part.
ANSWER_CHARS = 500
MOOD_CHARS = 200
# The day the mood line is about, however the model says it.
_YESTERDAY = ("yesterday", "last night", "yesterday evening", "last evening", "today", "tonight")
MOOD_SYSTEM = (
    "You are a caring companion. The person you talk with sounded like this when you last"
    " spoke. Say it to him in your own words: one short, warm sentence that ends with a"
    " question. Add no names, places or dates. Write only the sentence."
)


@dataclass(frozen=True)
class Opener:
    kind: OpenerKind
    text: str
    ref: str  # what it was about: a thread id, an anniversary, a mood record


class InnerLife:
    """One user's threads, moods and story, read and written through the store's profile."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        now: datetime | None = None,
        model: ModelFactory | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.model = model  # a capable model puts the mood line in its own words
        self.now = now or clock.now(settings, _zone(store, settings))
        self.today = self.now.date()
        self._first_of_day = False

    # -- stored state ---------------------------------------------------------------------

    def _get(self, key: str) -> dict[str, Any]:
        return dict(self.store.profile_value(key) or {})

    def threads(self, *, include_closed: bool = False) -> list[Thread]:
        return load_threads(self.store, include_closed=include_closed)

    def _save_threads(self, threads: list[Thread]) -> None:
        save_threads(self.store, threads)

    def close(self, thread_id: int, answer: str | None = None) -> Thread:
        every = self.threads(include_closed=True)
        found = next((t for t in every if t.id == thread_id), None)
        if found is None:
            raise NotFound(f"no thread {thread_id}", hint="`os1 threads list` shows them.")
        closed = replace(found, state="closed", answer=answer or found.answer)
        self._save_threads([closed if t.id == thread_id else t for t in every])
        checkins.withdraw(self.store, found)  # closed by hand: nothing left to ask
        return closed

    # -- the turn ---------------------------------------------------------------------------

    def observe(self, message: StoredMessage) -> list[Thread]:
        """Take in the user's message before the reply: its mood, the day, and the answer to
        a follow-up. Threads it mentions are opened by `open_threads` after the reply."""
        text = message.content
        saga = self._get(story.PROFILE_KEY)
        saga_before = copy.deepcopy(saga)
        story.met_day(self.store, saga, self.today)
        self._first_of_day = saga.get("last_turn_day") != self.today.isoformat()
        saga["last_turn_day"] = self.today.isoformat()
        moods = self._get(mood.PROFILE_KEY)
        day = mood.record(moods, message.conversation_id, text, self.now, message.id)
        if day.lowest <= mood.HARD and "first_hard" not in saga:
            saga["first_hard"] = self.today.isoformat()
        # One transaction a turn: the story changes only on a new day or a first hard one.
        changed = {mood.PROFILE_KEY: moods}
        if saga != saga_before:
            changed[story.PROFILE_KEY] = saga
        self.store.set_profiles(changed)

        every = self.threads(include_closed=True)
        if any(t.state == "asked" for t in every):
            # The message after a follow-up is the answer: the thread is done.
            self._save_threads(
                [
                    replace(t, state="closed", answer=text[:ANSWER_CHARS])
                    if t.state == "asked"
                    else t
                    for t in every
                ]
            )
        return []

    def open_threads(self, message: StoredMessage) -> list[Thread]:
        """The future events the message mentions, kept as threads to ask about after their
        day. Called once the reply is out: it parses the message, and nothing said this turn
        can be due before the next one."""
        with self.store.steady():
            return self._open_threads(message)

    def _open_threads(self, message: StoredMessage) -> list[Thread]:
        text = message.content
        every = self.threads(include_closed=True)
        opened: list[Thread] = []
        next_id = max((t.id for t in every), default=0) + 1
        known = {t.topic for t in every if t.state == "open"}
        for topic, question, due in th.find_threads(text, self.now):
            if topic in known:
                continue
            opened.append(
                Thread(
                    id=next_id + len(opened),
                    topic=topic,
                    question=question,
                    due=due.isoformat(),
                    said=text[:ANSWER_CHARS],
                    source=f"msg:{message.id}",
                    conversation_id=message.conversation_id,
                    created_at=self.now.isoformat(),
                )
            )
        if opened:
            self._save_threads(every + opened)
            for thread in opened:  # besides the next conversation, a check-in after its day
                checkins.schedule(self.store, self.settings, thread)
        # -- the self: topics he keeps coming back to become its interests (the same
        # after-the-reply moment, and the same cached parse of the message)
        from os1.inner.self import Self

        Self(self.store).grow(message, self.now)
        # -- end the self
        return opened

    def opener(self) -> Opener | None:
        """At most one line to say before the reply, marked as said so it is never repeated."""
        # Yesterday's mood is only worth a word today; a thread can wait for the next turn.
        return self._anniversary() or self._mood() or self._follow_up()

    def _anniversary(self) -> Opener | None:
        if not self._first_of_day:
            return None
        saga = self._get(story.PROFILE_KEY)
        found = story.anniversary(story.met_day(self.store, saga, self.today), self.today)
        said = list(saga.get("said") or [])
        if found is None or found[0] in said:
            return None
        saga["said"] = [*said, found[0]]
        self.store.set_profile(story.PROFILE_KEY, saga)
        line = story.anniversary_line(found[1], Identity.load(self.store))
        return Opener("anniversary", line, found[0])

    def _follow_up(self) -> Opener | None:
        every = self.threads(include_closed=True)
        for thread in every:
            if not th.due_now(thread, self.now):
                continue
            if not self._source_exists(thread):
                # Its message was forgotten: so is the thread, without a word about it.
                every = [t for t in every if t.id != thread.id]
                self._save_threads(every)
                checkins.withdraw(self.store, thread)
                continue
            asked = replace(
                thread, state="asked", asked_at=self.now.isoformat(), asked_via="conversation"
            )
            self._save_threads([asked if t.id == thread.id else t for t in every])
            checkins.withdraw(self.store, thread)  # asked here: never again by a check-in
            return Opener("thread", thread.question, str(thread.id))
        return None

    def _mood(self) -> Opener | None:
        moods = self._get(mood.PROFILE_KEY)
        found = mood.yesterday_line(moods, self.today)
        if found is None:
            return None
        key, line = found
        moods[key] = {**moods[key], "mentioned": True}
        self.store.set_profile(mood.PROFILE_KEY, moods)
        if self.model is not None:
            line = _in_own_words(self.model, line, self.today) or line
        return Opener("mood", line, key)

    def _source_exists(self, thread: Thread) -> bool:
        kind, _, ident = thread.source.partition(":")
        if kind != "msg":
            return True
        try:
            kept = self.store.messages(thread.conversation_id)
        except NotFound:
            return False
        # Ids of deleted rows may be used again: the words must match too.
        return any(str(m.id) == ident and m.content[:ANSWER_CHARS] == thread.said for m in kept)


def forget_threads(store: Store, found: re.Pattern[str]) -> int:
    """Threads that mention what is being forgotten go, and so do the self's claims about it
    (for `forget_everywhere`; they repeat the user's words, so they are counted with the
    turns, not apart)."""
    kept = dict(store.profile_value(th.PROFILE_KEY) or {})
    doomed = [k for k, v in kept.items() if found.search(json.dumps(v, ensure_ascii=False))]
    for key in doomed:
        # Its check-in goes too: nothing forgotten is asked about, in a conversation or not.
        checkins.withdraw(store, Thread(**kept.pop(key)))
    if doomed:
        store.set_profile(th.PROFILE_KEY, kept)
    # -- the self: its claims and every version of them that mention it go too
    from os1.inner.self import PROFILE_KEY, Self

    if store.profile_value(PROFILE_KEY) is not None:
        Self(store).forget(found)
    # -- end the self
    return len(doomed)


def _in_own_words(model: ModelFactory, line: str, today: date) -> str | None:
    """The model's wording of the mood line: one short question that names nobody and
    nowhere the line doesn't (else the line as composed)."""
    reply = writing.ask(model, MOOD_SYSTEM, line, 60)
    if reply is None:
        return None
    reply = " ".join(reply.split()).strip('"“”')
    if not reply.endswith("?") or len(reply) > MOOD_CHARS:
        return None
    if writing.invented(reply, line, today, _YESTERDAY):
        return None
    return reply


def load_threads(store: Store, *, include_closed: bool = False) -> list[Thread]:
    found = [Thread(**v) for v in dict(store.profile_value(th.PROFILE_KEY) or {}).values()]
    return sorted((t for t in found if include_closed or t.state != "closed"), key=lambda t: t.id)


def save_threads(store: Store, threads: list[Thread]) -> None:
    closed = [t.id for t in threads if t.state == "closed"]
    dropped = set(closed[: max(0, len(closed) - th.KEEP_CLOSED)])
    kept = {str(t.id): t.as_dict() for t in threads if t.id not in dropped}
    store.set_profile(th.PROFILE_KEY, kept)


def _zone(store: Store, settings: Settings) -> Any:
    from os1.skills.reminders.policy import zone, zone_name

    try:
        return zone(zone_name(store, settings))
    except OS1Error:
        return None


def enabled(settings: Settings) -> bool:
    return bool(getattr(settings, "inner_life", True))
