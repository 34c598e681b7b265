"""Recovery finds the message a firing became by its id in the message's meta, with portable
SQL (no json_extract): a firing id that is a prefix of another's is not mistaken for it."""

from __future__ import annotations

from pathlib import Path

from os1.skills.reminders.firing import _sent_message
from os1.storage.sqlite import SQLiteStore


def test_the_message_of_a_firing_is_found_by_its_exact_id(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "os1.db", "amy")
    try:
        conv = store.create_conversation("Reminders").id
        store.add_message(conv, "assistant", "Reminder: tea", meta={"firing_id": 12})
        store.add_message(conv, "user", "thanks", meta={"firing_id": 1})  # not the companion's
        one = store.add_message(conv, "assistant", "Reminder: call", meta={"firing_id": 1})

        assert _sent_message(store, 1) == one.id
        assert _sent_message(store, 2) is None
    finally:
        store.close()
