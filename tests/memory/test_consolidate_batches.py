"""A large batch (an import, a backlog) is parsed on a thread while it is embedded; what it
derives is the same as when each turn is parsed in line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from os1.memory import LongTermMemory, consolidate
from os1.memory.embedders import HashingEmbedder
from os1.memory.importers import ImportedMessage
from os1.storage import SQLiteStore

LINES = [
    "My sister Lena moved to Lisbon last spring.",
    "She works as a nurse at the children's hospital.",
    "I adopted a cat called Miso in March.",
    "My favourite band is Radiohead.",
    "I started learning the cello two years ago.",
    "Our daughter Ada turns five next week.",
    "I work at a bakery on Elm Street.",
    "My brother Tom lives in Leeds.",
    "I love hiking in the Alps.",
    "We went to Rome for our anniversary.",
]


def derived(tmp_path: Path, name: str) -> list[tuple[str, str]]:
    store = SQLiteStore(tmp_path / f"{name}.db", user_id="u")
    memory = LongTermMemory(store, HashingEmbedder())
    start = datetime(2026, 5, 1, 10)
    memory.import_messages(
        [
            ImportedMessage(f"t{i}", "Maya", text, start + timedelta(minutes=i), "s", None)
            for i, text in enumerate(LINES)
        ]
    )
    memory.consolidate()
    found = sorted((m.kind, m.text) for m in memory.store.list() if m.kind != "episode")
    store.close()
    return found


def test_a_large_batch_parsed_alongside_its_embedding_derives_what_parsing_in_line_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    parse_all = consolidate._parse_all

    def counting(heard: list) -> None:  # type: ignore[type-arg]
        parsed.append(len(heard))
        parse_all(heard)

    monkeypatch.setattr(consolidate, "_parse_all", counting)
    alongside = derived(tmp_path, "alongside")
    assert parsed == [len(LINES)]
    monkeypatch.setattr(consolidate, "PARSE_ALONGSIDE", len(LINES) + 1)
    in_line = derived(tmp_path, "in-line")
    assert parsed == [len(LINES)]  # not parsed ahead this time
    assert alongside and alongside == in_line
