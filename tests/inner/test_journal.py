"""The companion's journal through the real turn (`os1 say`), on days set with OS1_NOW."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from os1.language import analyze
from tests.helpers import os1

WEDNESDAY = [
    "I had lunch with Anna in Lisbon today.",
    "My interview is on Friday.",
]
THURSDAY = ["Tom came over from Madrid, it was lovely."]


def say(home: Path, text: str, when: str) -> str:
    result = os1(home, "say", text, OS1_NOW=when)
    assert result.returncode == 0, result.stderr
    return result.stdout


def journal(home: Path) -> list[dict[str, Any]]:
    result = os1(home, "journal", "list", "--json")
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def a_wednesday_then_the_next_morning(home: Path) -> None:
    say(home, WEDNESDAY[0], "2026-03-04T12:00")
    say(home, WEDNESDAY[1], "2026-03-04T12:05")
    say(home, THURSDAY[0], "2026-03-05T09:00")


def names_and_places(text: str) -> set[str]:
    labels = {"PERSON", "GPE", "LOC", "FAC"}
    return {e.text for e in analyze(text).entities if e.label in labels}


def test_an_entry_is_written_about_a_day_once_it_has_ended(home: Path) -> None:
    say(home, WEDNESDAY[0], "2026-03-04T12:00")
    say(home, WEDNESDAY[1], "2026-03-04T12:05")
    assert journal(home) == []  # the day is still going
    say(home, THURSDAY[0], "2026-03-05T09:00")
    [entry] = journal(home)
    assert entry["day"] == "2026-03-04"
    assert "Anna" in entry["text"]
    assert "You seemed" in entry["text"]
    assert "Next time I want to ask: How did your interview go?" in entry["text"]
    assert "journal:2026-03-04" in entry["sources"]


def test_an_entry_is_written_after_a_quiet_spell_and_again_when_the_day_goes_on(
    home: Path,
) -> None:
    say(home, WEDNESDAY[0], "2026-03-04T12:00")
    say(home, "hello again", "2026-03-04T12:10")
    assert journal(home) == []
    say(home, WEDNESDAY[1], "2026-03-04T13:00")  # 50 quiet minutes
    [quiet] = journal(home)
    assert "interview" not in quiet["text"]
    say(home, "morning", "2026-03-05T09:00")
    [whole] = journal(home)
    assert whole["day"] == "2026-03-04"
    assert "interview" in whole["text"]


def test_an_entry_names_only_people_and_places_from_its_day(home: Path) -> None:
    a_wednesday_then_the_next_morning(home)
    [entry] = journal(home)
    named = names_and_places(entry["text"])
    assert "Anna" in named
    day = " ".join(WEDNESDAY)
    assert all(n in day for n in named), named
    assert "Tom" not in entry["text"] and "Madrid" not in entry["text"]


def test_entries_can_be_listed_shown_and_deleted(home: Path) -> None:
    a_wednesday_then_the_next_morning(home)
    [entry] = journal(home)
    listed = os1(home, "journal", "list")
    assert listed.returncode == 0, listed.stderr
    assert "2026-03-04" in listed.stdout
    shown = os1(home, "journal", "show", str(entry["id"]))
    assert shown.returncode == 0, shown.stderr
    assert "Anna" in shown.stdout
    assert "journal:2026-03-04" in shown.stdout
    deleted = os1(home, "journal", "delete", str(entry["id"]))
    assert deleted.returncode == 0, deleted.stderr
    assert f"Deleted journal entry {entry['id']}" in deleted.stdout
    say(home, "hi", "2026-03-06T09:00")
    assert [e["day"] for e in journal(home)] == ["2026-03-05"]  # the deleted day stays deleted


def test_showing_an_unknown_entry_is_one_clear_line(home: Path) -> None:
    result = os1(home, "journal", "show", "42")
    assert result.returncode != 0
    assert "no journal entry 42" in result.stderr
    assert "Traceback" not in result.stderr


def test_forgetting_a_person_rewrites_the_entry_without_them(home: Path) -> None:
    a_wednesday_then_the_next_morning(home)
    forgot = os1(home, "memory", "forget", "--about", "Anna", "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert all("Anna" not in e["text"] for e in journal(home))
    say(home, "hi", "2026-03-05T09:10")
    [rewritten] = [e for e in journal(home) if e["day"] == "2026-03-04"]
    assert "Anna" not in rewritten["text"] and "Lisbon" not in rewritten["text"]
    assert "interview" in rewritten["text"]


def test_an_entry_is_recalled_as_the_companions_reflection(home: Path) -> None:
    a_wednesday_then_the_next_morning(home)
    [entry] = journal(home)
    result = os1(home, "memory", "search", "Anna Lisbon seemed", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    [hit] = [h for h in hits if h["id"] == entry["id"]]
    assert "journal:2026-03-04" in hit["sources"]
    shown = json.loads(os1(home, "memory", "show", str(entry["id"]), "--json").stdout)
    assert shown["kind"] == "reflection"
