"""Long-term memory through the companion and the store: provenance, supersession,
forgetting through every path, isolation and concurrency."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from os1.config import Settings
from os1.events import MemoryRecalled, TurnDone
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.memory.importers import ImportedMessage
from os1.memory.store import NewMemory
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore
from tests.conftest import collect


def companion_with(store: SQLiteStore, memory: LongTermMemory, model=None) -> Companion:  # type: ignore[no-untyped-def]
    return Companion(
        store,
        model or ScriptedModel(replies=["Mm, tell me more."]),
        Settings(model="scripted:echo"),
        memory=memory,
    )


async def say(companion: Companion, text: str, **kw) -> list:  # type: ignore[no-untyped-def]
    return await collect(companion.turn(text, **kw))


def texts(memory: LongTermMemory, kind: str | None = None) -> list[str]:
    return [m.text for m in memory.store.list(kind)]  # type: ignore[arg-type]


async def test_every_turn_becomes_an_episode_with_its_message_as_source(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory)
    events = await say(companion, "I adopted a puppy called Biscuit")
    done = events[-1]
    assert isinstance(done, TurnDone)
    episodes = memory.store.list("episode")
    user_msg, reply = store.messages(done.conversation_id)
    assert [e.sources for e in episodes] == [(f"msg:{user_msg.id}",), (f"msg:{reply.id}",)]
    assert episodes[0].text == "user: I adopted a puppy called Biscuit"
    assert episodes[0].said_at == user_msg.created_at


async def test_consolidation_derives_facts_that_cite_the_turn(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    store.set_profile("user_name", "Theo")
    companion = companion_with(store, memory)
    await say(companion, "My sister is called Anna.")
    memory.consolidate()
    facts = [m for m in memory.store.list() if m.kind != "episode"]
    assert any("Anna" in f.text for f in facts)
    episode = memory.store.list("episode")[0]
    for fact in facts:
        assert set(episode.sources) <= set(fact.sources)
        assert f"mem:{episode.id}" in fact.sources


async def test_a_correction_supersedes_and_the_old_memory_stays_as_history(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    store.set_profile("user_name", "Theo")
    companion = companion_with(store, memory)
    await say(companion, "My sister is called Anne.")
    memory.consolidate()
    await say(companion, "Actually, my sister is called Anna.")
    memory.consolidate()
    current = [m for m in memory.store.list() if m.attribute == "name"]
    everything = [m for m in memory.store.list(include_superseded=True) if m.attribute == "name"]
    assert [m.value for m in current] == ["Anna"]
    old = next(m for m in everything if m.value == "Anne")
    assert old.superseded_by == current[0].id
    hits = memory.recall.search("what is my sister called", k=5)
    assert all("Anne." not in h.memory.text for h in hits if h.memory.kind != "episode")


async def test_repeating_a_fact_merges_instead_of_duplicating(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory)
    await say(companion, "I live in Lisbon.")
    await say(companion, "I live in Lisbon.")
    memory.consolidate()
    lives = [m for m in memory.store.list() if m.attribute == "lives_in"]
    assert len(lives) == 1 and len([s for s in lives[0].sources if s.startswith("msg:")]) == 2


async def test_recalled_memories_go_into_the_prompt_and_the_event_stream(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    model = ScriptedModel(replies=["ok"])
    companion = companion_with(store, memory, model)
    await say(companion, "My favourite band is Arcade Fire and I saw them in Montreal")
    memory.consolidate()
    events = await say(companion, "which band did I see in Montreal?", new=True)
    recalled = [e for e in events if isinstance(e, MemoryRecalled)]
    assert recalled and any("Arcade Fire" in m["text"] for m in recalled[0].memories)  # type: ignore[operator]
    prompt = model.calls[-1]
    assert prompt[-2].role == "system" and "Arcade Fire" in prompt[-2].content
    assert prompt[-1].content == "which band did I see in Montreal?"


async def test_memories_already_in_the_visible_history_are_not_repeated(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    model = ScriptedModel(replies=["ok"])
    companion = companion_with(store, memory, model)
    await say(companion, "The blue door is my favourite")
    events = await say(companion, "tell me about the blue door")
    assert not [e for e in events if isinstance(e, MemoryRecalled)]


async def test_forget_that_in_chat_removes_the_turn_and_what_came_from_it(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory)
    await say(companion, "My password hint is the name of my cat, Whiskers.")
    memory.consolidate()
    done = (await say(companion, "forget that"))[-1]
    assert isinstance(done, TurnDone) and "forgotten" in done.text
    _assert_gone(store, memory, "Whiskers")


async def test_forget_everything_about_someone_in_chat(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory)
    await say(companion, "My boss is called Gregor.")
    await say(companion, "Gregor shouted at me again today.")
    await say(companion, "I love hiking.")
    memory.consolidate()
    done = (await say(companion, "Please forget everything about Gregor."))[-1]
    assert isinstance(done, TurnDone) and "forgotten" in done.text
    _assert_gone(store, memory, "Gregor")  # the request itself included
    assert any("hiking" in t for t in texts(memory))


async def test_what_do_you_know_about_me_lists_derived_facts(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    store.set_profile("user_name", "Theo")
    companion = companion_with(store, memory)
    await say(companion, "I work as a letter writer.")
    await say(companion, "I love old films.")
    done = (await say(companion, "What do you know about me?"))[-1]
    assert isinstance(done, TurnDone)
    assert "letter writer" in done.text and "old films" in done.text


def test_forgetting_by_id_cascades_to_derived_memories_embeddings_and_index(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    conv = store.create_conversation()
    msg = store.add_message(conv.id, "user", "I moved to Reykjavik last month.")
    memory.remember_turn(msg, "user")
    memory.consolidate()
    episode = memory.store.list("episode")[0]
    derived = [m for m in memory.store.list() if m.kind != "episode"]
    assert derived
    removed = memory.store.forget([episode.id])
    assert set(removed) >= {episode.id, *(d.id for d in derived)}
    _assert_gone(store, memory, "Reykjavik")


def test_a_fact_derived_while_its_turn_is_forgotten_is_not_stored(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    conv = store.create_conversation()
    msg = store.add_message(conv.id, "user", "My brother is called Ivo.")
    memory.remember_turn(msg, "user")
    episode = memory.store.pending()[0]
    memory.store.forget([episode.id])
    memory.consolidator._process([episode])  # the background step read it just before
    _assert_gone(store, memory, "Ivo")


def _assert_gone(store: SQLiteStore, memory: LongTermMemory, word: str) -> None:
    """Not in any recall, list, export, search index, embedding, or conversation history."""
    assert all(word not in m.text for m in memory.store.list(include_superseded=True))
    assert all(word not in h.memory.text for h in memory.recall.search(word, k=50))
    assert word not in json.dumps(memory.store.export(), ensure_ascii=False)
    fts = store.query("SELECT count(*) FROM memory_fts WHERE memory_fts MATCH ?", (f'"{word}"',))
    assert fts[0][0] == 0
    orphans = store.query(
        "SELECT count(*) FROM memory_embeddings e LEFT JOIN memories m ON m.id = e.memory_id "
        "WHERE m.id IS NULL"
    )
    assert orphans[0][0] == 0
    tables = store.query("SELECT name FROM sqlite_master WHERE name GLOB 'memory_vec_[0-9]*'")
    for (table,) in tables:  # the codes a benchmark's comparison search keeps
        vec = store.query(
            f"SELECT count(*) FROM {table} v WHERE v.rowid NOT IN (SELECT id FROM memories)"
        )
        assert vec[0][0] == 0
    for conv in store.list_conversations():
        assert all(word not in m.content for m in store.messages(conv.id))


def test_users_never_see_each_others_memories(home: Path) -> None:
    alice = LongTermMemory(SQLiteStore(home / "os1.db", "alice"), HashingEmbedder())
    bob = LongTermMemory(SQLiteStore(home / "os1.db", "bob"), HashingEmbedder())
    alice.store.add(NewMemory("fact", "Alice's secret island is Skye", ("user:edit",)))
    alice.consolidate()
    assert bob.recall.search("secret island Skye", k=10) == []
    assert bob.store.list() == [] and bob.store.export()["memories"] == []
    assert bob.store.forget_about("Skye") == []
    assert bob.store.forget([alice.store.list()[0].id]) == []
    assert len(alice.store.list()) == 1


def test_importing_is_all_or_nothing_and_idempotent(memory: LongTermMemory) -> None:
    msgs = [ImportedMessage(f"m{i}", "Ana", f"line {i}", None, "s1", i) for i in range(5)]
    assert memory.import_messages(msgs) == 5
    assert memory.import_messages(msgs) == 0
    assert len(memory.store.list("episode")) == 5
    hits = memory.recall.search("line 3", k=1)
    assert hits[0].sources == ["m3"]


def test_concurrent_chat_writes_and_background_consolidation_lose_nothing(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []

    def background() -> None:
        try:
            while not stop.is_set():
                memory.consolidate()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=background)
    worker.start()
    companion = companion_with(store, memory)

    async def chat() -> None:
        for i in range(40):
            await say(companion, f"I like number {i} a lot")

    asyncio.run(chat())
    stop.set()
    worker.join()
    memory.consolidate()
    assert not errors
    assert len(memory.store.list("episode")) == 80
    assert memory.store.pending() == []
    likes = [m for m in memory.store.list() if m.attribute == "likes"]
    assert len({m.value for m in likes}) == len(likes)  # no duplicates from the race


def test_words_in_thousands_of_memories_are_left_to_the_semantic_side(
    memory: LongTermMemory,
) -> None:
    memory.store.add_many(
        [NewMemory("episode", f"coffee number {i}", (f"import:c{i}",)) for i in range(30)]
        + [NewMemory("episode", "a rare zeppelin ride", ("import:z",))]
    )
    assert memory.store.common_terms(["coffee", "zeppelin"], cap=20) == {"coffee"}


async def test_what_do_you_know_includes_what_setup_taught(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    from os1.mind import onboarding

    onboarding.finish(store, {"user_name": "Ada", "current_life": "My new job at the bakery"})
    done = (await say(companion_with(store, memory), "what do you know about me?"))[-1]
    assert isinstance(done, TurnDone) and "bakery" in done.text


async def test_background_consolidation_without_a_model_takes_one_thread_trip_per_batch(
    store: SQLiteStore, memory: LongTermMemory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each trip wakes a worker and then the loop: on a busy server that was a cost per turn.
    store.set_profile("user_name", "Theo")
    companion = companion_with(store, memory)
    await say(companion, "My sister is called Anna.")
    trips: list[str] = []
    real_to_thread = asyncio.to_thread

    async def counting(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(func, "__name__", repr(func)))
        return await real_to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    # The turn and its reply, then the facts derived from them (which wait to be embedded):
    # two batches, two trips (fetching, embedding and deriving were a trip each).
    assert await memory.aconsolidate() == 4
    assert trips == ["_next_batch", "_next_batch"]
    facts = [m for m in memory.store.list() if m.kind != "episode"]
    assert any("Anna" in f.text for f in facts)
    assert memory.store.pending(10) == []
