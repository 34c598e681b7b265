"""Consolidation, off the hot path: embed new memories and derive facts, events and
preferences from new turns. Duplicates merge (the old memory gains the new source);
a new value for the same slot supersedes the old one."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from os1.errors import OS1Error
from os1.language import analyze
from os1.memory.claims import READ_CHARS
from os1.memory.dates import find_time_ranges
from os1.memory.embedders import Embedder
from os1.memory.extract import Extracted, extract, supersession_key
from os1.memory.model_extract import extract_with_model, reflect_with_model
from os1.memory.store import Memory, MemoryStore, NewMemory, memory_source
from os1.models.base import ChatModel

log = logging.getLogger(__name__)

T = TypeVar("T")
# What a capable model adds to a batch: facts per episode id, and reflections per session.
_ModelExtras = tuple[dict[int, list[Extracted]], list[tuple[list[Memory], str]]]

# Episodes spoken by the companion itself: what it said is not a fact about anyone.
COMPANION_SPEAKER = "assistant"


# A session with this many new turns from the user earns a reflection (capable models only).
REFLECT_AFTER = 4

# How many earlier turns of a session are searched for the same speaker's previous words
# (his turn, the companion's reply, maybe a second reply or a tool's turn between).
_LOOK_BACK = 4


class Consolidator:
    def __init__(
        self,
        memories: MemoryStore,
        embedder: Embedder,
        *,
        batch: int = 64,
        model_factory: Callable[[], ChatModel] | None = None,
    ) -> None:
        self.memories = memories
        self.embedder = embedder
        self.batch = batch
        # A capable model, created when needed on the loop that awaits it (`arun`), or on a
        # loop of its own for the blocking `run` of the command line.
        self.model_factory = model_factory
        # One consolidation at a time per store: two would derive the same facts twice.
        self._running = threading.Lock()
        # Whether memories embedded by another model were looked for (once per instance:
        # everything embedded here after that is this embedder's).
        self._current = False

    def run(self) -> int:
        """Process everything pending; returns how many memories were processed."""
        done = 0
        with self._running:
            while batch := self._pending():
                added = self._process(batch)
                done += len(batch)
                if _last(len(batch), self.batch, added):
                    break
        return done

    async def arun(self) -> int:
        """`run` for an event loop: the store and the embedder work on worker threads, a
        capable model's calls are awaited on the caller's own loop (no loop of their own)."""
        # Polled rather than waited for in a thread: a cancelled wait must not take the lock
        # later and keep it forever.
        while not self._running.acquire(blocking=False):
            await asyncio.sleep(0.05)
        try:
            done = 0
            while True:
                if self.model_factory is None:
                    # Nothing to await between the steps: a batch is one trip to a thread,
                    # not three (each trip wakes a worker and then the loop).
                    step = await asyncio.to_thread(self._next_batch)
                    if step is None:
                        break
                    count, added = step
                else:
                    batch = await asyncio.to_thread(self._pending)
                    if not batch:
                        break
                    await asyncio.to_thread(self._embed, batch)
                    heard = _heard(batch)
                    extras: _ModelExtras = ({}, [])
                    if heard:
                        extras = await self._ask_model(heard)
                    added = await asyncio.to_thread(self._derive_all, batch, heard, *extras)
                    count = len(batch)
                done += count
                if _last(count, self.batch, added):
                    break
            return done
        finally:
            self._running.release()

    def _embed_again(self) -> int:
        """Embed again, in order, the memories whose vectors another model made; returns how
        many. Their facts were derived already: only the vectors change."""
        if self._current:
            return 0
        done = 0
        while batch := self.memories.embedded_by_other(self.embedder.model_id, self.batch):
            self._embed(batch)
            done += len(batch)
        if done:
            self.memories.vectors_replaced()
            log.info("embedded %d memories again with %s", done, self.embedder.model_id)
        self._current = True
        return done

    def _next_batch(self) -> tuple[int, int] | None:
        """The next pending batch processed without a model: (its size, memories added),
        or None when nothing is pending."""
        batch = self._pending()
        if not batch:
            return None
        return len(batch), self._process(batch)

    def _pending(self) -> list[Memory]:
        """The next batch to consolidate, once any memory another model embedded is
        embedded again (in the same trip to a thread)."""
        self._embed_again()
        return self.memories.pending(self.batch)

    def _process(self, batch: list[Memory]) -> int:
        heard = _heard(batch)
        if len(heard) < PARSE_ALONGSIDE:
            self._embed(batch)
        else:
            # The embedder's runtime leaves the GIL while it works: the turns are parsed
            # meanwhile (the parses are kept, so deriving below finds them done).
            parsing = _parse_pool().submit(_parse_all, heard)
            try:
                self._embed(batch)
            finally:
                # Waited for, not read: a parse that failed fails again, in its place, below.
                concurrent.futures.wait([parsing])
        extras: _ModelExtras = ({}, [])
        if self.model_factory is not None and heard:
            extras = run_blocking(self._ask_model(heard))
        return self._derive_all(batch, heard, *extras)

    def _derive_all(
        self,
        batch: list[Memory],
        heard: list[Memory],
        from_model: dict[int, list[Extracted]],
        reflections: list[tuple[list[Memory], str]],
    ) -> int:
        """Derive and store what the batch says; returns how many memories were added.

        The batch is looked at again inside the user's exclusive stretch: a run in another
        process (a second worker, `os1 memory search` beside the server) that consolidated
        it meanwhile has derived its facts, and each slot's check-then-add would otherwise
        race that run's and store the same fact twice (seen on PostgreSQL: up to 12 of 12)."""
        with self.memories.db.exclusive():
            pending = self.memories.still_pending([m.id for m in batch])
            if len(pending) < len(batch):
                batch = [m for m in batch if m.id in pending]
                heard = [m for m in heard if m.id in pending]
                reflections = [
                    (episodes, text)
                    for episodes, text in reflections
                    if all(e.id in pending for e in episodes)
                ]
            if not batch:
                return 0
            added = sum(self._derive_heard(m, from_model.get(m.id, [])) for m in heard)
            for episodes, text in reflections:
                self._reflect(episodes, text)
                added += 1  # counted whether or not it is stored: at worst one more look
            self.memories.mark_consolidated([m.id for m in batch])
            return added

    def _derive_heard(self, memory: Memory, from_model: list[Extracted]) -> int:
        """Store what one heard turn says (and what the model found in it that the parse
        did not); returns how many memories were added."""
        facts = extract(
            _spoken_text(memory),
            memory.speaker or "the user",
            self._previous_words(memory),
            endings=True,
        )
        for ending in [f for f in facts if f.ends]:
            self._end(memory, ending)
        facts = [f for f in facts if not f.ends]
        seen = {(f.subject, f.attribute, f.value.lower()) for f in facts}
        facts += [f for f in from_model if (f.subject, f.attribute, f.value.lower()) not in seen]
        return sum(self._derive(memory, fact) for fact in facts)

    def _reflect(self, episodes: list[Memory], text: str) -> None:
        self.memories.add(
            NewMemory(
                kind="reflection",
                text=text,
                sources=tuple(s for e in episodes for s in (*e.sources, memory_source(e.id))),
                said_at=episodes[-1].said_at,
                session=episodes[-1].session,
                importance=0.5,
                untrusted=any(e.untrusted for e in episodes),
            ),
            requires=episodes[-1].id,
        )

    async def _ask_model(self, heard: list[Memory]) -> _ModelExtras:
        assert self.model_factory is not None
        model = self.model_factory()
        facts: dict[int, list[Extracted]] = {}
        reflections: list[tuple[list[Memory], str]] = []
        try:
            for memory in heard:
                facts[memory.id] = await extract_with_model(
                    model, _spoken_text(memory), memory.speaker or "the user"
                )
            sessions: dict[str | None, list[Memory]] = {}
            for memory in heard:
                sessions.setdefault(memory.session, []).append(memory)
            for episodes in sessions.values():
                if len(episodes) >= REFLECT_AFTER:
                    text = await reflect_with_model(model, [e.text for e in episodes])
                    if text:
                        reflections.append((episodes, text))
        except OS1Error:
            pass  # a server that is down costs the extras, never the deterministic facts
        finally:
            await model.aclose()
        return facts, reflections

    def _embed(self, batch: Sequence[Memory]) -> None:
        """Embed each memory; an episode is searched by its own vector blended with those of
        the turns around it (own + half of each neighbour), so a reply like "Yes, it was
        amazing!" is found through what it answered — at no extra model cost."""
        own = dict(
            zip([m.id for m in batch], self.embedder.embed([m.text for m in batch]), strict=True)
        )
        neighbours = self.memories.session_neighbours([], episodes=batch)
        # A new turn completes the context of the one before it: that one is redone too.
        redo = [p for p, _ in neighbours.values() if p is not None and p not in own]
        neighbours.update(self.memories.session_neighbours(redo))
        wanted = {i for pair in neighbours.values() for i in pair if i is not None} | set(redo)
        # Only this model's: while memories are embedded again, a neighbour may still hold
        # another model's vector, and it joins in when its own turn is redone.
        known = self.memories.own_vectors(sorted(wanted - own.keys()), self.embedder.model_id)
        vectors = {**known, **own}
        items = []
        for memory_id in [*own, *(r for r in redo if r in vectors)]:
            search = vectors[memory_id]
            if memory_id in neighbours:
                around = [vectors[i] for i in neighbours[memory_id] if i in vectors]
                search = search + 0.5 * sum(around, np.zeros_like(search))
                search = search / max(float(np.linalg.norm(search)), 1e-12)
            items.append((memory_id, vectors[memory_id], search))
        self.memories.set_embeddings(self.embedder.model_id, items)

    def _previous_words(self, episode: Memory) -> str | None:
        """What the same speaker said last in this session, so that "She makes documentaries"
        finds Amy in the turn before. The companion's reply in between is skipped: its "I"
        is not the user's, and "actually it's Dublin" must correct the user's own slot."""
        for earlier in self.memories.earlier_in_session(episode, _LOOK_BACK):
            if earlier.speaker == episode.speaker:
                # Outside text is never context for the user's words.
                return None if earlier.untrusted else _spoken_text(earlier)
        return None

    def _end(self, episode: Memory, fact: Extracted) -> None:
        """ "I don't live in Leeds anymore": the slot's claim (the one holding Leeds, when
        named) is superseded by this turn and kept as history; nothing new is stored."""
        if not fact.was and supersession_key(fact) is None:
            return  # "I don't like it anymore": which of many likes is not known
        self.memories.end_slot(
            _subject(fact, episode), fact.attribute, episode.id, value=fact.was or None
        )

    def _derive(self, episode: Memory, fact: Extracted) -> bool:
        """Store `fact` (or add the episode as a source of the same one); True when a new
        memory was added."""
        subject = _subject(fact, episode)
        sources = (*episode.sources, memory_source(episode.id))
        key = supersession_key(fact)
        slot = self.memories.active_in_slot(subject, fact.attribute)
        same = [m for m in slot if (m.value or "").lower() == fact.value.lower()]
        if same:
            self.memories.add_sources(same[0].id, sources, requires=episode.id)
            return False
        start, until = _when(fact, episode)
        new_id = self.memories.add(
            NewMemory(
                kind=fact.kind,
                text=fact.text,
                sources=sources,
                speaker=episode.speaker,
                subject=subject,
                attribute=fact.attribute,
                value=fact.value,
                said_at=episode.said_at,
                happened_at=start,
                happened_until=until,
                session=episode.session,
                importance=fact.importance,
                untrusted=episode.untrusted,
            ),
            requires=episode.id,
        )
        if new_id is not None and key is not None:
            for old in slot:
                self.memories.supersede(old.id, new_id)
        return new_id is not None


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when called inside an event loop
    (e.g. "what do you know about me?" asked in chat): then it runs on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _last(count: int, size: int, added: int) -> bool:
    """Whether nothing is left pending after a batch of `count`: it was not full, and what
    it derived (new memories wait to be embedded) is none. Saves the last query, which finds
    nothing. A turn stored meanwhile is consolidated by the run its turn schedules."""
    return count < size and not added


def _heard(batch: list[Memory]) -> list[Memory]:
    # Facts about the user come only from their own words: never from an untrusted
    # episode (a reply written while a mail was in view, a quoted note).
    return [
        m
        for m in batch
        if m.kind == "episode" and m.speaker != COMPANION_SPEAKER and not m.untrusted
    ]


def _subject(fact: Extracted, episode: Memory) -> str:
    # Facts about "the user" are stored under the name the speaker goes by.
    return (episode.speaker or "user").lower() if fact.subject == "user" else fact.subject


# A batch of this many turns to derive from (an import, a backlog) is parsed on a thread of
# its own while it is embedded. A chat turn's batch of one or two is not: the hand-off would
# cost more than it saves. Ingesting LoCoMo conv-26 on 2 cores (MiniLM): 46 → 51 messages/s.
PARSE_ALONGSIDE = 8


@functools.cache
def _parse_pool() -> concurrent.futures.ThreadPoolExecutor:
    # One per process, started at the first large batch (an executor starts no thread
    # before its first task, so a lost race to create it costs nothing).
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="os1-parse")


def _parse_all(heard: list[Memory]) -> None:
    for memory in heard:
        analyze(_spoken_text(memory)[:READ_CHARS])


def _spoken_text(memory: Memory) -> str:
    # Episodes are indexed as "Speaker: words"; extraction wants only the words.
    prefix = f"{memory.speaker}: " if memory.speaker else ""
    return memory.text.removeprefix(prefix)


def _when(fact: Extracted, episode: Memory) -> tuple[str | None, str | None]:
    if not fact.when or not episode.said_at:
        return None, None
    try:
        said = datetime.fromisoformat(episode.said_at)
    except ValueError:
        return None, None
    ranges = find_time_ranges(fact.when, said)
    if not ranges:
        return None, None
    return ranges[0].start.isoformat(), ranges[0].end.isoformat()
