"""The letter library: one user's letters, every version kept, nothing seen across users."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.errors import NotFound
from os1.skills.base import ToolError
from os1.skills.letters.library import MAX_LETTER_CHARS, LetterLibrary
from os1.storage import SQLiteStore

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_a_letter_is_kept_with_who_it_is_to_and_from(store: SQLiteStore) -> None:
    lib = LetterLibrary(store)
    letter = lib.add(
        "Dear Chris,\n\nHello.\n",
        now=NOW,
        recipient="Chris",
        sender="Loretta",
        occasion="our anniversary",
        notes="hello",
    )
    again = lib.get(letter.id)
    assert again.body == "Dear Chris,\n\nHello.\n"
    assert (again.recipient, again.sender, again.version) == ("Chris", "Loretta", 1)
    assert again.title == "To Chris, from Loretta — our anniversary"
    assert [x.id for x in lib.all()] == [letter.id]


def test_revising_keeps_every_earlier_version(store: SQLiteStore) -> None:
    lib = LetterLibrary(store)
    letter = lib.add("first", now=NOW)
    lib.revise(letter.id, "second", change="make it warmer", now=NOW, author="composer")
    latest = lib.revise(letter.id, "third", change="shorter", now=NOW, author="model")
    assert (latest.version, latest.body) == (3, "third")
    history = lib.versions(letter.id)
    assert [(v.version, v.body, v.change) for v in history] == [
        (1, "first", "first draft"),
        (2, "second", "make it warmer"),
        (3, "third", "shorter"),
    ]


def test_a_revision_that_changes_nothing_adds_no_version(store: SQLiteStore) -> None:
    lib = LetterLibrary(store)
    letter = lib.add("same", now=NOW)
    assert lib.revise(letter.id, "same", change="x", now=NOW, author="user").version == 1


def test_the_latest_letter_is_the_one_worked_on_last(store: SQLiteStore) -> None:
    lib = LetterLibrary(store)
    first = lib.add("one", now=NOW)
    lib.add("two", now=NOW)
    lib.revise(first.id, "one, revised", change="x", now=NOW, author="user")
    assert lib.latest().id == first.id


def test_another_users_letters_cannot_be_seen_or_changed(home: Path) -> None:
    mine = SQLiteStore(home / "os1.db", "alice")
    theirs = SQLiteStore(home / "os1.db", "bob")
    try:
        letter = LetterLibrary(mine).add("Dear Chris, a secret.", now=NOW, recipient="Chris")
        other = LetterLibrary(theirs)
        assert other.all() == []
        with pytest.raises(NotFound):
            other.get(letter.id)
        with pytest.raises(NotFound):
            other.revise(letter.id, "hijacked", change="x", now=NOW, author="user")
        with pytest.raises(NotFound):
            other.star(letter.id)
        with pytest.raises(NotFound):
            other.delete(letter.id)
        with pytest.raises(NotFound):
            other.latest()
        assert LetterLibrary(mine).get(letter.id).body == "Dear Chris, a secret."
    finally:
        mine.close()
        theirs.close()


def test_an_unknown_letter_is_a_clear_error(store: SQLiteStore) -> None:
    with pytest.raises(NotFound, match="no letter #42") as caught:
        LetterLibrary(store).get(42)
    assert "os1 letters list" in caught.value.hint


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (MAX_LETTER_CHARS + 1)])
def test_an_empty_or_huge_letter_is_refused_and_nothing_is_lost(
    store: SQLiteStore, body: str
) -> None:
    lib = LetterLibrary(store)
    kept = lib.add("the original", now=NOW)
    with pytest.raises(ToolError):
        lib.add(body, now=NOW)
    with pytest.raises(ToolError):
        lib.revise(kept.id, body, change="x", now=NOW, author="user")
    assert [(x.body, x.version) for x in lib.all()] == [("the original", 1)]


def test_starred_letters_can_be_listed_alone(store: SQLiteStore) -> None:
    lib = LetterLibrary(store)
    a = lib.add("a", now=NOW)
    b = lib.add("b", now=NOW)
    lib.star(b.id)
    assert [x.id for x in lib.all(starred=True)] == [b.id]
    lib.star(b.id, False)
    assert lib.all(starred=True) == []
    assert [x.id for x in lib.all()] == [a.id, b.id]


def test_deleting_a_letter_removes_all_its_versions(store: SQLiteStore) -> None:
    lib = LetterLibrary(store)
    letter = lib.add("a", now=NOW)
    lib.revise(letter.id, "b", change="x", now=NOW, author="user")
    lib.delete(letter.id)
    assert lib.all() == []
    assert store.query("SELECT COUNT(*) FROM letter_versions")[0][0] == 0
