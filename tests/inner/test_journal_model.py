"""The journal written by a capable model (a scripted one here), checked against the day: an
entry naming a person, place or date the day's memories don't is not kept; the composed one
is. Kept entries are recalled as the companion's reflections and go with what they used."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.config import Settings
from os1.inner import journal
from os1.inner.life import InnerLife
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.memory.forgetting import forget_everywhere
from os1.models.base import Message
from os1.models.scripted import ScriptedModel
from os1.storage.sqlite import SQLiteStore

SETTINGS = Settings(model="scripted:echo", timezone="UTC")
WEDNESDAY = [
    ("I had lunch with Anna in Lisbon today.", datetime(2026, 3, 4, 12, 0, tzinfo=UTC)),
    ("My interview is on Friday.", datetime(2026, 3, 4, 12, 5, tzinfo=UTC)),
]
THURSDAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
FAITHFUL = (
    "Lunch with Anna in Lisbon today, and he seemed in good spirits. His interview is on"
    " Friday; next time I want to ask how it went."
)
INVENTED = "He had lunch with Anna and Marco in Paris today. I want to ask about Friday."


class Day:
    def __init__(self, home: Path) -> None:
        self.store = SQLiteStore(home / "os1.db", "local")
        self.memory = LongTermMemory(self.store, HashingEmbedder())
        conv = self.store.create_conversation().id
        for text, at in WEDNESDAY:
            message = self.store.add_message(conv, "user", text)
            self.memory.remember_turn(message, "Sam")
            life = InnerLife(self.store, SETTINGS, now=at)
            life.observe(message)
            life.open_threads(message)
        self.memory.consolidate()

    def write(self, *replies: str) -> tuple[list[int], ScriptedModel]:
        model = ScriptedModel("journal", list(replies))
        return journal.catch_up(self.store, self.memory.store, THURSDAY, 30, lambda: model), model

    def marks(self) -> dict[str, dict[str, object]]:
        return dict(self.store.profile().get(journal.PROFILE_KEY) or {})


@pytest.fixture
def day(home: Path) -> Iterator[Day]:
    d = Day(home)
    yield d
    d.store.close()


def test_the_model_writes_the_entry_from_the_days_memories(day: Day) -> None:
    [entry_id], model = day.write(FAITHFUL)
    [entry] = journal.entries(day.memory.store)
    assert entry.id == entry_id and entry.day == "2026-03-04"
    assert entry.text == FAITHFUL
    assert day.marks()["2026-03-04"]["by"] == "model"
    assert journal.written_by(day.store, entry.day).startswith("written by the model")
    [call] = model.calls
    told: Sequence[Message] = call
    assert "Anna" in told[-1].content and "How did your interview go?" in told[-1].content


def test_an_entry_that_invents_a_person_or_place_is_replaced_by_the_composed_one(
    day: Day,
) -> None:
    day.write(INVENTED)
    [entry] = journal.entries(day.memory.store)
    assert "Marco" not in entry.text and "Paris" not in entry.text
    assert entry.text.startswith("Wednesday 2026-03-04. You told me:")
    assert day.marks()["2026-03-04"]["by"] == "rejected"
    assert "named what the day never held" in journal.written_by(day.store, entry.day)


def test_an_entry_that_invents_a_date_is_replaced(day: Day) -> None:
    day.write("Anna and he had lunch in Lisbon. His interview is on March 19th.")
    [entry] = journal.entries(day.memory.store)
    assert "March 19th" not in entry.text
    assert day.marks()["2026-03-04"]["by"] == "rejected"


def test_a_model_that_fails_leaves_the_composed_entry(day: Day) -> None:
    model = ScriptedModel("down", fail_with="unreachable")
    journal.catch_up(day.store, day.memory.store, THURSDAY, 30, lambda: model)
    [entry] = journal.entries(day.memory.store)
    assert entry.text.startswith("Wednesday 2026-03-04.")
    assert day.marks()["2026-03-04"]["by"] == "rejected"


def test_the_models_entry_is_recalled_as_the_companions_reflection(day: Day) -> None:
    [entry_id], _ = day.write(FAITHFUL)
    hits = day.memory.recall.search("lunch with Anna in Lisbon, good spirits", k=10)
    [hit] = [h for h in hits if h.memory.id == entry_id]
    assert hit.memory.kind == "reflection"
    assert "journal:2026-03-04" in hit.memory.sources


def test_forgetting_what_the_models_entry_used_removes_it_and_the_day_is_rewritten(
    day: Day,
) -> None:
    day.write(FAITHFUL)
    forget_everywhere(day.memory.store, "Anna")
    assert journal.entries(day.memory.store) == []
    assert "2026-03-04" not in day.marks()
    rewritten = "His interview is on Friday. Next time I want to ask how it went."
    _, model = day.write(rewritten)
    [entry] = journal.entries(day.memory.store)
    assert entry.text == rewritten
    # The model was not shown what was forgotten.
    assert all("Anna" not in m.content for m in model.calls[0])
