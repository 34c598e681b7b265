import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from os1.config import Settings
from os1.events import (
    MemoryRecalled,
    SafetyNotice,
    TextDelta,
    TurnDone,
    TurnError,
    TurnStarted,
)
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.mind import persona as keys
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore
from tests.conftest import collect, make_companion


async def test_a_turn_streams_the_reply_and_stores_both_sides(
    store: SQLiteStore, settings: Settings
) -> None:
    companion = make_companion(store, ScriptedModel(replies=["Hello there, friend."]), settings)
    events = await collect(companion.turn("hi"))
    assert isinstance(events[0], TurnStarted)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello there, friend."
    done = events[-1]
    assert isinstance(done, TurnDone) and done.status == "complete"
    stored = store.messages(done.conversation_id)
    assert [(m.role, m.content, m.status) for m in stored] == [
        ("user", "hi", "complete"),
        ("assistant", "Hello there, friend.", "complete"),
    ]
    assert stored[1].meta["model"] == "scripted:echo"


async def test_the_users_words_are_stored_before_the_model_is_called(
    store: SQLiteStore, settings: Settings
) -> None:
    seen_in_store: list[list[str]] = []

    def reply(messages):  # type: ignore[no-untyped-def]
        conv = store.latest_conversation()
        assert conv is not None
        seen_in_store.append([m.content for m in store.messages(conv.id)])
        return "ok"

    companion = make_companion(store, ScriptedModel(replies=[reply]), settings)
    await collect(companion.turn("remember this"))
    assert seen_in_store == [["remember this"]]


async def test_the_model_sees_persona_then_history_then_the_new_message(
    store: SQLiteStore, settings: Settings
) -> None:
    store.set_profile(keys.COMPANION_NAME, "Wren")
    store.set_profile(keys.USER_NAME, "Theo")
    model = ScriptedModel(replies=["one", "two"])
    companion = make_companion(store, model, settings)
    await collect(companion.turn("first"))
    await collect(companion.turn("second"))
    sent = model.calls[1]
    assert sent[0].role == "system" and "You are Wren" in sent[0].content
    assert "Theo" in sent[0].content and "Sunday 29 November 2026" in sent[0].content
    assert [(m.role, m.content) for m in sent[1:]] == [
        ("user", "first"),
        ("assistant", "one"),
        ("user", "second"),
    ]


async def test_conversations_resume_and_new_ones_start_on_request(
    store: SQLiteStore, settings: Settings
) -> None:
    companion = make_companion(store, ScriptedModel(), settings)
    first = [e for e in await collect(companion.turn("a")) if isinstance(e, TurnDone)][0]
    again = [e for e in await collect(companion.turn("b")) if isinstance(e, TurnDone)][0]
    fresh = [e for e in await collect(companion.turn("c", new=True)) if isinstance(e, TurnDone)]
    assert first.conversation_id == again.conversation_id
    assert fresh[0].conversation_id != first.conversation_id


async def test_a_cancelled_reply_is_stored_as_cancelled_with_what_was_said(
    store: SQLiteStore, settings: Settings
) -> None:
    model = ScriptedModel(replies=["one two three four five six seven eight"], delay=0.05)
    companion = make_companion(store, model, settings)
    got: list[str] = []

    async def consume() -> None:
        async for event in companion.turn("tell me a long story"):
            if isinstance(event, TextDelta):
                got.append(event.text)

    task = asyncio.create_task(consume())
    while len(got) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    conv = store.latest_conversation()
    assert conv is not None
    user, reply = store.messages(conv.id)
    assert user.content == "tell me a long story"
    assert reply.status == "cancelled"
    assert reply.content == "".join(got)
    assert 0 < len(reply.content) < len("one two three four five six seven eight")


async def test_a_model_failure_is_an_error_event_and_the_users_turn_is_kept(
    store: SQLiteStore, settings: Settings
) -> None:
    companion = make_companion(store, ScriptedModel(fail_with="unreachable"), settings)
    events = await collect(companion.turn("are you there?"))
    assert isinstance(events[-1], TurnError)
    assert events[-1].code == "model_unreachable"
    conv = store.latest_conversation()
    assert conv is not None
    assert [m.content for m in store.messages(conv.id)] == ["are you there?"]


async def test_a_stream_broken_mid_reply_keeps_the_partial_reply_marked_as_error(
    store: SQLiteStore, settings: Settings
) -> None:
    model = ScriptedModel(replies=["a b c d e f"], fail_with="stream")
    companion = make_companion(store, model, settings)
    events = await collect(companion.turn("go"))
    error = events[-1]
    assert isinstance(error, TurnError) and error.code == "model_stream_broken"
    conv = store.latest_conversation()
    assert conv is not None
    reply = store.messages(conv.id)[-1]
    assert reply.status == "error" and reply.content == "a b c "
    assert error.message_id == reply.id


async def test_an_empty_message_is_refused_and_nothing_is_stored(
    store: SQLiteStore, settings: Settings
) -> None:
    companion = make_companion(store, ScriptedModel(), settings)
    events = await collect(companion.turn("   \n "))
    assert [type(e) for e in events] == [TurnError]
    assert events[0].code == "empty_message"
    assert store.list_conversations() == []


async def test_a_huge_message_is_kept_and_answered_with_a_clear_error(
    store: SQLiteStore, settings: Settings
) -> None:
    companion = make_companion(store, ScriptedModel(), settings)
    huge = "word " * 200_000
    events = await collect(companion.turn(huge))
    assert isinstance(events[-1], TurnError) and events[-1].code == "input_too_long"
    conv = store.latest_conversation()
    assert conv is not None
    assert store.messages(conv.id)[0].content == huge


async def test_a_crisis_message_gets_a_caring_reply_from_policy_not_the_model(
    store: SQLiteStore, settings: Settings
) -> None:
    model = ScriptedModel(replies=["whatever the model says"])
    companion = make_companion(store, model, settings)
    events = await collect(companion.turn("I want to end my life"))
    assert any(isinstance(e, SafetyNotice) and e.kind == "crisis" for e in events)
    done = events[-1]
    assert isinstance(done, TurnDone)
    assert "988" in done.text and "116 123" in done.text
    assert model.calls == []
    conv = store.latest_conversation()
    assert conv is not None
    assert store.messages(conv.id)[-1].meta == {"policy": "crisis"}


async def test_asked_if_it_is_human_the_companion_says_it_is_an_ai(
    store: SQLiteStore, settings: Settings
) -> None:
    model = ScriptedModel(replies=["Yes, I am a real person!"])
    companion = make_companion(store, model, settings)
    done = (await collect(companion.turn("are you a real person?")))[-1]
    assert isinstance(done, TurnDone) and "AI" in done.text
    assert model.calls == []


async def test_a_reply_claiming_to_be_human_is_corrected_in_the_open(
    store: SQLiteStore, settings: Settings
) -> None:
    companion = make_companion(store, ScriptedModel(replies=["I am a human, like you."]), settings)
    done = (await collect(companion.turn("tell me about yourself")))[-1]
    assert isinstance(done, TurnDone)
    assert done.text.startswith("I am a human, like you.") and "AI" in done.text


class _SlowStore(SQLiteStore):
    """A store whose writes and reads of the dialogue take a while (a busy disk, a lock)."""

    def add_message(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.25)
        return super().add_message(*args, **kwargs)

    def dialogue(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.25)
        return super().dialogue(*args, **kwargs)


class _SlowEmbedder(HashingEmbedder):
    def embed(self, texts):  # type: ignore[no-untyped-def]
        time.sleep(0.25)
        return super().embed(texts)


async def test_a_turn_whose_store_and_recall_block_never_stalls_the_event_loop(
    home: Path, settings: Settings
) -> None:
    """The store's and the memory's blocking work runs on threads: everything else sharing
    the loop (other users' turns, sockets) keeps running while one turn waits on them."""
    store = _SlowStore(home / "slow.db")
    memory = LongTermMemory(store, _SlowEmbedder())
    memory.remember_turn(store.add_message(store.create_conversation().id, "user", "I sing"), "u")
    await memory.aconsolidate()  # an embedded memory, so recall embeds the next question
    companion = Companion(store, ScriptedModel(), settings, memory=memory)
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    events = await collect(companion.turn("do you remember what I do?"))
    took = time.perf_counter() - started
    ticker.cancel()
    store.close()
    assert isinstance(events[-1], TurnDone)
    assert took > 0.9  # two writes, a read of the dialogue and an embedding: all slow
    assert max(gaps, default=took) < 0.2  # yet the loop never waited on any of them


class _CountingExecutor(ThreadPoolExecutor):
    """The loop's default executor, counting the work handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.trips: list[str] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        # asyncio.to_thread hands over partial(context.run, partial(function, ...)).
        call = fn.args[0] if isinstance(fn, partial) and fn.args else fn
        self.trips.append(getattr(getattr(call, "func", call), "__name__", repr(call)))
        return super().submit(fn, *args, **kwargs)


async def test_a_remembered_reply_hands_its_blocking_work_to_threads_in_four_trips(
    store: SQLiteStore, settings: Settings
) -> None:
    """Each trip to a worker thread wakes a thread and then the loop again, CPU that a server
    pays on every turn: the parts that read together travel together (taking the words in
    with the inner life, policies and skills; the history, the self and recall; storing the
    reply; open threads after it)."""
    memory = LongTermMemory(store, HashingEmbedder())
    companion = Companion(store, ScriptedModel(), settings, memory=memory)
    await collect(companion.turn("I planted tomatoes on the balcony"))
    await memory.aconsolidate()  # something to recall on the next turn
    executor = _CountingExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    try:
        # A new conversation: what was said before is found by recall, not in the history.
        events = await collect(companion.turn("what did I plant?", new=True))
    finally:
        executor.shutdown(wait=True)
    assert isinstance(events[-1], TurnDone) and events[-1].status == "complete"
    [recalled] = [e for e in events if isinstance(e, MemoryRecalled)]
    assert any("tomatoes" in m["text"] for m in recalled.memories)
    assert executor.trips == [
        "_take_in_and_consider",
        "_history_self_and_recall",
        "_store_reply_now",
        "open_threads",
    ]
