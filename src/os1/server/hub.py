"""Many users from one process: one shared model and embedder, and for each user their own
store, memory and companion, kept in a bounded LRU cache.

Everything runs on the server's one event loop; the parts that block (the store, recall's
embedding, consolidation) hand their work to threads themselves, so a turn is a plain task.

A user's parts are pinned while a request uses them; eviction only closes unpinned ones, so a
turn never loses its database under it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from os1.config import Settings, read_config_file
from os1.events import Event
from os1.memory import LongTermMemory
from os1.memory.embedders import Embedder, get_embedder
from os1.mind.assembly import build_companion, open_memory
from os1.mind.companion import Companion
from os1.models import create_model
from os1.models.base import ChatModel
from os1.server.errors import TooLarge
from os1.server.options import ServerOptions
from os1.server.users import LOCAL_USER
from os1.skills import Skills
from os1.storage import Store, database_url_of, open_store

log = logging.getLogger("os1.server")
T = TypeVar("T")

# Skill sections that hold one person's accounts (mail passwords, calendars, folders): other
# users never get the admin's; each has their own in <home>/users/<id>/config.toml.
PERSONAL_SECTIONS = ("mail", "calendar", "notes", "letters")


@dataclass
class UserRuntime:
    """One user's parts, all scoped to their user id."""

    user_id: str
    home: Path
    settings: Settings
    store: Store
    memory: LongTermMemory | None
    companion: Companion
    pins: int = 0
    retired: bool = False

    def close(self) -> None:
        self.store.close()


class Hub:
    """Builds and caches each user's companion around the shared model and embedder."""

    def __init__(
        self,
        home: Path,
        settings: Settings,
        *,
        options: ServerOptions | None = None,
        model: ChatModel | None = None,
        skills: Skills | None = None,
    ) -> None:
        self.home = home
        self.settings = settings
        self.options = options or ServerOptions.of(settings)
        # SQLite in the home folder, or PostgreSQL shared by every worker process.
        self.database_url = database_url_of(settings)
        self.model = model or create_model(settings)
        self.skills = skills if skills is not None else Skills()
        # Bring the schema up to date once, before many users open their stores at once.
        first = open_store(self.home, LOCAL_USER, self.database_url)
        # On SQLite that connection stays open and every user's store is a view of it
        # (`Store.sharing_connection`), scoped to the user as a store of its own is. With a
        # connection per user, each commit of anyone's emptied every other connection's page
        # cache (SQLite resets a cache when the file changed under it), and each cost three
        # descriptors, its own cache and schema, and an open (~0.3 ms) after an eviction.
        # Writers of one file queue on one lock anyway. Through the server, 300 users
        # (`bench/concurrency.py`, alternated): 10.0 and 9.0 ms of CPU a turn -> 9.2 and
        # 8.8; RSS 409 -> 261 MB. PostgreSQL lends connections from its pool instead.
        self._host: Store | None = first if first.sharing_connection(LOCAL_USER) else None
        if self._host is None:
            first.close()
        elif first.dialect == "sqlite":
            first.query(f"PRAGMA cache_size = -{int(self.options.sqlite_cache_kib)}")
        self._closing = False
        self._draining: set[int] = set()  # ids of runtimes still pinned when the hub closed
        self._embedder: Embedder | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._cache: OrderedDict[str, UserRuntime] = OrderedDict()
        # Guards the cache against the worker threads that build users' parts.
        self._lock = threading.Lock()
        self._consolidating: dict[str, asyncio.Task[None]] = {}
        self._last_turn: dict[str, float] = {}  # loop time of each waiting user's last turn
        self._upkeep: set[asyncio.Task[None]] = set()
        self._consolidate_gate: asyncio.Semaphore | None = None

    # -- shared parts -------------------------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called on the server's loop at start-up. `server.turn_threads` sizes the threads
        that every `asyncio.to_thread` of this loop uses (0: asyncio's default)."""
        self._consolidate_gate = asyncio.Semaphore(1)
        if self.options.turn_threads and self._executor is None:
            self._executor = ThreadPoolExecutor(
                self.options.turn_threads, thread_name_prefix="os1-blocking"
            )
            loop.set_default_executor(self._executor)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedder, self.settings)
        return self._embedder

    def open_store(self, user_id: str) -> Store:
        """A store of this server's database for one user: a view of the hub's one
        connection where the backend has one per file (SQLite), otherwise a store of its own
        (blocking: connects)."""
        shared = self._host.sharing_connection(user_id) if self._host is not None else None
        return shared or open_store(self.home, user_id, self.database_url)

    def user_home(self, user_id: str) -> Path:
        return self.home if user_id == LOCAL_USER else self.home / "users" / user_id

    def settings_for(self, user_id: str) -> Settings:
        if user_id == LOCAL_USER:
            return self.settings
        own = read_config_file(self.user_home(user_id))
        return self.settings.model_copy(
            update={name: dict(own.get(name) or {}) for name in PERSONAL_SECTIONS}
        )

    # -- the cache ----------------------------------------------------------------------

    def _open(self, user_id: str) -> UserRuntime:
        """Build a user's parts (blocking: opens their database connection)."""
        settings = self.settings_for(user_id)
        store = self.open_store(user_id)
        try:
            memory = open_memory(store, settings, self.embedder) if settings.memory else None
            home = self.user_home(user_id)
            companion = build_companion(
                store,
                self.model,
                settings,
                home=home,
                memory=memory,
                skills=self.skills,
            )
        except BaseException:
            store.close()
            raise
        return UserRuntime(user_id, home, settings, store, memory, companion)

    def _pin_cached(self, user_id: str) -> UserRuntime | None:
        with self._lock:
            runtime = self._cache.get(user_id)
            if runtime is not None:
                self._cache.move_to_end(user_id)
                runtime.pins += 1
            return runtime

    def _pin_new(self, runtime: UserRuntime) -> UserRuntime:
        """Insert a freshly built runtime (or use the one another request built first)."""
        doomed: list[UserRuntime] = []
        with self._lock:
            existing = self._cache.get(runtime.user_id)
            if existing is not None:
                doomed.append(runtime)
                runtime = existing
                self._cache.move_to_end(runtime.user_id)
            else:
                self._cache[runtime.user_id] = runtime
            runtime.pins += 1
            # Evict the least recently used that nobody is using; pinned ones wait their turn.
            excess = len(self._cache) - self.options.cache_users
            # Listed only when someone must go: copying a cache of thousands per new user
            # showed in profiles.
            for user_id in list(self._cache) if excess > 0 else ():
                if excess <= 0:
                    break
                candidate = self._cache[user_id]
                if candidate.pins == 0:
                    del self._cache[user_id]
                    candidate.retired = True
                    doomed.append(candidate)
                    excess -= 1
        for old in doomed:
            old.close()
        return runtime

    def _release(self, runtime: UserRuntime) -> None:
        last = False
        with self._lock:
            runtime.pins -= 1
            close = runtime.retired and runtime.pins == 0
            if close and self._closing:
                self._draining.discard(id(runtime))
                last = not self._draining
        if close:
            runtime.close()
        if last:
            self._close_host()

    def _close_host(self) -> None:
        host, self._host = self._host, None
        if host is not None:
            host.close()

    @contextlib.asynccontextmanager
    async def use(self, user_id: str) -> AsyncIterator[UserRuntime]:
        """A user's parts, pinned for the duration of the block."""
        runtime = self._pin_cached(user_id)
        if runtime is None:
            built = await asyncio.to_thread(self._open, user_id)
            runtime = self._pin_new(built)
        try:
            yield runtime
        finally:
            self._release(runtime)

    async def run(self, user_id: str, work: Callable[[UserRuntime], T]) -> T:
        """Blocking work on a user's parts (queries, memory edits), off the server's loop."""
        async with self.use(user_id) as runtime:
            return await asyncio.to_thread(work, runtime)

    @property
    def cached_users(self) -> int:
        return len(self._cache)

    # -- turns --------------------------------------------------------------------------

    def check_text(self, text: str) -> None:
        limit = self.options.max_message_chars
        if len(text) > limit:
            raise TooLarge(
                f"the message is {len(text)} characters long; at most {limit}",
                hint="Shorten it or split it into several messages; nothing was stored.",
            )

    async def turn(
        self, user_id: str, text: str, conversation_id: int | None = None, *, new: bool = False
    ) -> AsyncGenerator[Event, None]:
        """One user's turn as typed events."""
        self.check_text(text)
        async with self.use(user_id) as runtime:
            events = runtime.companion.turn(text, conversation_id, new=new)
            async with contextlib.aclosing(events):
                async for event in events:
                    yield event
        self.consolidate_soon(user_id)

    async def decide(
        self, user_id: str, call_id: str, approve: bool
    ) -> AsyncGenerator[Event, None]:
        """Confirm or decline one of this user's pending actions (another's is NotFound)."""
        async with self.use(user_id) as runtime:
            events = runtime.companion.decide(call_id, approve)
            async with contextlib.aclosing(events):
                async for event in events:
                    yield event

    # -- memory upkeep ------------------------------------------------------------------

    def consolidate_soon(self, user_id: str) -> None:
        """Embed and derive a user's new memories in the next pause of their talk, one user
        at a time: `consolidate_after` seconds after their last turn, and no later than
        `consolidate_within` seconds after the first turn still waiting.

        A conversation's turns then go in one batch, not one each: in-process (40 users,
        the bench's scripted model), consolidating every third turn instead of every turn
        cost ~0.6-0.9 ms less CPU a turn, every sixth ~1.1 ms (of ~6). Nothing waits for it
        meanwhile: the prompt leaves out the memories its history already shows (the turns
        waiting are there), and a question about the user's facts consolidates first."""
        if not self.settings.memory or self._consolidate_gate is None:
            return
        loop = asyncio.get_running_loop()
        self._last_turn[user_id] = loop.time()
        if user_id in self._consolidating:
            return  # the waiting run sees this turn too, and waits for the pause after it
        task = loop.create_task(self._consolidate(user_id, loop.time()))
        self._consolidating[user_id] = task
        # Kept until done, running or waiting, so that closing can stop every one of them.
        self._upkeep.add(task)
        task.add_done_callback(self._upkeep.discard)

    async def _consolidate(self, user_id: str, first: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                last = self._last_turn.get(user_id, first)
                due = min(
                    last + self.options.consolidate_after, first + self.options.consolidate_within
                )
                if due <= loop.time():
                    break
                await asyncio.sleep(due - loop.time())
            assert self._consolidate_gate is not None
            async with self._consolidate_gate, self.use(user_id) as runtime:
                # From here a new turn waits for a run of its own.
                self._forget_waiting(user_id)
                if runtime.memory is not None:
                    await runtime.memory.aconsolidate()
        except Exception:  # noqa: BLE001 - upkeep must never take the server down
            log.exception("consolidating memories failed for a user")
        finally:
            self._forget_waiting(user_id)

    def _forget_waiting(self, user_id: str) -> None:
        """Drop this task's record of waiting (not a newer run's)."""
        if self._consolidating.get(user_id) is asyncio.current_task():
            del self._consolidating[user_id]
            self._last_turn.pop(user_id, None)

    async def aclose(self) -> None:
        # Runs not started yet are cancelled; one already consolidating (its store work is on
        # a thread, which cannot be cancelled) is waited for, so no store closes under it.
        for task in list(self._consolidating.values()):
            task.cancel()
        await asyncio.gather(*list(self._upkeep), return_exceptions=True)
        with self._lock:
            cached = list(self._cache.values())
            self._cache.clear()
            self._closing = True
            # A request still using its store keeps the shared connection open until it ends.
            self._draining = {id(r) for r in cached if r.pins}
            for runtime in cached:
                runtime.retired = True
        for runtime in cached:
            if runtime.pins == 0:
                runtime.close()
        if not self._draining:
            self._close_host()
        if self._executor is not None:
            # Idle threads end now (work already queued still finishes): a hub closed on a
            # loop that lives on, as in tests, leaves none behind.
            self._executor.shutdown(wait=False)
            self._executor = None
        with contextlib.suppress(Exception):
            await self.model.aclose()
