"""Turns run on worker threads, each with its own event loop, so one user's blocking work
(SQLite, recall's embedding, a tool) never stalls the server's loop for everyone else.

The shared model stays on the server's loop (an HTTP client's connections belong to the loop
that opened them): a worker's turn reaches it through `LoopModel`, which streams across
threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from os1.models.base import ChatModel, Message

T = TypeVar("T")


class _End:
    pass


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _Worker:
    """A thread running its own event loop; many turns share it, each a task."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.active = 0
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            # Whatever is still running here is cancelled and finalised on this thread, and
            # the loop's selector and self-pipe are closed (otherwise they leak per worker).
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread is not threading.current_thread():
            self.thread.join(timeout=10)


class TurnThreads:
    """Worker event loops that run turns (async generators) and stream their items back to
    the server's loop, plus a thread pool for short blocking calls.

    A new turn goes to the least busy worker, so one turn stuck in blocking work delays only
    the few turns sharing its worker, never the server's loop.
    """

    def __init__(self, workers: int, call_threads: int | None = None) -> None:
        self.workers = [_Worker(f"os1-turns-{i}") for i in range(workers)]
        self._calls = ThreadPoolExecutor(
            max_workers=call_threads or max(4, workers), thread_name_prefix="os1-calls"
        )
        self._lock = threading.Lock()

    def _pick(self) -> _Worker:
        with self._lock:
            worker = min(self.workers, key=lambda w: w.active)
            worker.active += 1
            return worker

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            worker.active -= 1

    async def stream(self, make: Callable[[], AsyncIterator[T]]) -> AsyncGenerator[T, None]:
        """Iterate `make()` on a worker loop; closing this generator cancels it there (and
        waits until it has stored what it must, e.g. a reply marked cancelled)."""
        if not self.workers:  # no workers: run on this loop (a baseline for benchmarks)
            source = make()
            try:
                async for item in source:
                    yield item
            finally:
                if hasattr(source, "aclose"):
                    await source.aclose()
            return
        main = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def send(item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the server loop is shutting down
                main.call_soon_threadsafe(queue.put_nowait, item)

        async def consume() -> None:
            source = make()
            try:
                async for item in source:
                    send(item)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # noqa: BLE001 - re-raised on the server's loop
                send(_Failed(exc))
            finally:
                if hasattr(source, "aclose"):
                    await source.aclose()
                send(_End())

        worker = self._pick()
        running = asyncio.run_coroutine_threadsafe(consume(), worker.loop)
        running.add_done_callback(lambda _: self._release(worker))
        finished = False
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _End):
                    finished = True
                    break
                if isinstance(item, _Failed):
                    raise item.exc
                yield item
        finally:
            if not finished:
                running.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.shield(asyncio.wrap_future(running))

    async def call(self, fn: Callable[[], T]) -> T:
        """Run blocking `fn` in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._calls, fn)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self._calls.shutdown(wait=False, cancel_futures=True)


class LoopModel(ChatModel):
    """The shared model as seen from a worker thread: every call runs on the model's loop."""

    backend = "shared"  # replaced per instance by the wrapped model's backend

    def __init__(self, inner: ChatModel, loop: asyncio.AbstractEventLoop) -> None:
        self.inner = inner
        self.loop = loop
        self.name = inner.name
        self.per_message_overhead = inner.per_message_overhead
        self.context_window = inner.context_window
        # The stored meta says which backend answered, e.g. "scripted:echo".
        self.backend = inner.backend  # type: ignore[misc]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def count_message_tokens(self, message: Message) -> int:
        return self.inner.count_message_tokens(message)

    async def load(self) -> None:
        if asyncio.get_running_loop() is self.loop:
            await self.inner.load()
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.inner.load(), self.loop))

    async def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> AsyncGenerator[str, None]:
        here = asyncio.get_running_loop()
        if here is self.loop:
            async with contextlib.aclosing(
                self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature)
            ) as pieces:
                async for piece in pieces:
                    yield piece
            return
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def send(kind: str, value: Any) -> None:
            with contextlib.suppress(RuntimeError):
                here.call_soon_threadsafe(queue.put_nowait, (kind, value))

        async def pump() -> None:
            try:
                async with contextlib.aclosing(
                    self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature)
                ) as pieces:
                    async for piece in pieces:
                        send("piece", piece)
            except asyncio.CancelledError:
                send("end", None)
                raise
            except BaseException as exc:  # noqa: BLE001 - surfaced in the worker's turn
                send("error", exc)
                return
            send("end", None)

        running = asyncio.run_coroutine_threadsafe(pump(), self.loop)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "piece":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            if not running.done():
                running.cancel()  # the reader went away: stop generating on the model's loop

    async def aclose(self) -> None:
        """The shared model is closed by the server, not by one user's turn."""
