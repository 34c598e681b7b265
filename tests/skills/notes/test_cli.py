"""`os1 notes …` as a user runs it: a real subprocess on a throw-away home folder."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import os1


def test_add_sync_list_and_search(home: Path) -> None:
    folder = home / "notes"
    folder.mkdir(parents=True)
    (folder / "garden.md").write_text("Plant the tulip bulbs in October.")
    env = {"OS1_EMBEDDER": "hashing"}
    synced = os1(home, "notes", "sync", **env)
    assert synced.returncode == 0, synced.stderr
    assert "Notes synced: 1 added" in synced.stdout

    added = os1(home, "notes", "add", "Call", "the", "plumber", "about", "the", "leak", **env)
    assert added.returncode == 0, added.stderr
    assert "Noted in" in added.stdout

    listed = os1(home, "notes", "list", "--json", **env)
    paths = [n["path"] for n in json.loads(listed.stdout)]
    assert "garden.md" in paths and any("plumber" in p for p in paths)

    found = os1(home, "notes", "search", "tulip", "bulbs", **env)
    assert found.returncode == 0, found.stderr
    assert "garden.md: Plant the tulip bulbs in October." in found.stdout

    (folder / "garden.md").unlink()
    again = os1(home, "notes", "sync", **env)
    assert "1 removed" in again.stdout
    gone = os1(home, "notes", "search", "tulip", "bulbs", **env)
    assert "Nothing in your notes" in gone.stdout
