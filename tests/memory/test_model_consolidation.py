"""With a capable model, consolidation also asks it for facts and reflections — through a
real HTTP server speaking the OpenAI API; bad answers and a dead server cost nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from os1.config import Settings
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.memory.importers import ImportedMessage
from os1.models import create_model
from os1.models.base import ChatModel
from os1.storage import SQLiteStore
from tests.helpers import free_port
from tests.models import fake_openai_server

LINES = [
    "I grew up far up north, you know.",
    "My sister is called Anna.",
    "Winters there were long and dark.",
    "But the northern lights made up for it.",
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with fake_openai_server.serve() as url:
        yield url


def memory_with(store: SQLiteStore, base_url: str) -> LongTermMemory:
    settings = Settings(model="openai:capable", openai_base_url=base_url, retries=0, timeout=5)
    return LongTermMemory(store, HashingEmbedder(), model_factory=lambda: create_model(settings))


def conversation() -> list[ImportedMessage]:
    return [ImportedMessage(f"n{i}", "Ida", t, None, "s1", None) for i, t in enumerate(LINES)]


def test_the_model_adds_facts_and_a_reflection_that_cite_their_turns(
    store: SQLiteStore, server: str
) -> None:
    memory = memory_with(store, f"{server}/memory/v1")
    memory.import_messages(conversation())
    memory.consolidate()
    hometown = [m for m in memory.store.list("fact") if m.attribute == "hometown"]
    assert [m.value for m in hometown] == ["Tromso"]  # merged: one per slot, not four
    assert {"import:n0", "import:n3"} <= set(hometown[0].sources)
    (reflection,) = memory.store.list("reflection")
    assert "north" in reflection.text
    assert {f"import:n{i}" for i in range(4)} <= set(reflection.sources)
    # The deterministic facts are still there.
    assert any(m.value == "Anna" for m in memory.store.list("fact"))


def test_a_model_server_that_is_down_costs_only_the_extras(store: SQLiteStore) -> None:
    port = free_port()
    memory = memory_with(store, f"http://127.0.0.1:{port}/v1")
    memory.import_messages(conversation())
    memory.consolidate()
    assert memory.store.pending() == []
    assert any(m.value == "Anna" for m in memory.store.list("fact"))
    assert memory.store.list("reflection") == []


async def test_consolidating_inside_a_running_event_loop_still_asks_the_model(
    store: SQLiteStore, server: str
) -> None:
    memory = memory_with(store, f"{server}/memory/v1")
    memory.import_messages(conversation())
    memory.consolidate()  # as "what do you know about me?" does, from inside a turn
    assert [m.value for m in memory.store.list("fact") if m.attribute == "hometown"] == ["Tromso"]


async def test_consolidating_on_an_event_loop_asks_the_model_on_that_same_loop(
    store: SQLiteStore, server: str
) -> None:
    """The server's one loop: no second event loop (or its thread) for the model's calls."""
    settings = Settings(
        model="openai:capable", openai_base_url=f"{server}/memory/v1", retries=0, timeout=5
    )
    loops: list[asyncio.AbstractEventLoop] = []

    def model() -> ChatModel:
        loops.append(asyncio.get_running_loop())
        return create_model(settings)

    memory = LongTermMemory(store, HashingEmbedder(), model_factory=model)
    memory.import_messages(conversation())
    assert await memory.aconsolidate() >= len(LINES)
    assert loops == [asyncio.get_running_loop()]
    assert [m.value for m in memory.store.list("fact") if m.attribute == "hometown"] == ["Tromso"]
    assert len(memory.store.list("reflection")) == 1
    assert memory.store.pending() == []
