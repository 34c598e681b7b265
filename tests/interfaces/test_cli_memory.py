"""`os1 memory …` as a user runs it, through real subprocesses and the real embedding model."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import os1

TRANSCRIPT = "\n".join(
    json.dumps(line)
    for line in [
        {
            "id": "a1",
            "speaker": "Lena",
            "text": "My brother is called Jonas.",
            "time": "2026-03-01T10:00:00Z",
            "session": "s1",
        },
        {
            "id": "a2",
            "speaker": "Lena",
            "text": "I play the cello in a small orchestra.",
            "time": "2026-03-01T10:01:00Z",
            "session": "s1",
        },
        {
            "id": "a3",
            "speaker": "Lena",
            "text": "We went to Porto for my birthday.",
            "time": "2026-04-12T18:00:00Z",
            "session": "s2",
        },
    ]
)


def imported_home(home: Path, tmp_path: Path) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text(TRANSCRIPT + "\n")
    result = os1(home, "memory", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "imported 3 new messages" in result.stdout
    return path


def test_import_then_search_prints_hits_with_sources(home: Path, tmp_path: Path) -> None:
    imported_home(home, tmp_path)
    result = os1(home, "memory", "search", "musical instrument", "--k", "2", "--json")
    hits = json.loads(result.stdout)
    # The turn itself or the fact read from it: either way it cites the imported message.
    assert "a2" in hits[0]["sources"] and "cello" in hits[0]["text"]
    assert {"text", "score", "sources"} <= set(hits[0])


def test_many_queries_at_once_print_one_json_line_each(home: Path, tmp_path: Path) -> None:
    imported_home(home, tmp_path)
    result = os1(home, "memory", "search", "--queries", "-", "--k", "3",
                 input="who is Jonas?\nbirthday trip\n\n")  # fmt: skip
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["who is Jonas?", "birthday trip"]
    assert "a3" in lines[1]["hits"][0]["sources"]


def test_a_malformed_import_names_the_line_and_stores_nothing(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"speaker": "A", "text": "fine"}\n{"speaker": "A", "text": \n')
    result = os1(home, "memory", "import", str(path))
    assert result.returncode == 2 and "line 2" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(os1(home, "memory", "list", "--json").stdout) == []


def test_show_edit_forget_and_export(home: Path, tmp_path: Path) -> None:
    imported_home(home, tmp_path)
    listed = json.loads(os1(home, "memory", "list", "--json").stdout)
    cello = next(m for m in listed if "cello" in m["text"])
    edited = os1(home, "memory", "edit", str(cello["id"]), "Lena plays the viola, not the cello.")
    assert edited.returncode == 0, edited.stderr
    shown = os1(home, "memory", "show", str(cello["id"]))
    assert "superseded by" in shown.stdout
    refused = os1(home, "memory", "forget", "--about", "Porto")
    assert refused.returncode == 2  # no terminal, no --yes: nothing is forgotten
    assert os1(home, "memory", "forget", "--about", "Porto", "--yes").returncode == 0
    out = tmp_path / "export.json"
    assert os1(home, "memory", "export", "-o", str(out)).returncode == 0
    data = json.loads(out.read_text())
    assert "Porto" not in out.read_text()
    assert any("viola" in m["text"] for m in data["memories"])
    assert os1(home, "memory", "show", "99999").returncode == 7


def test_chat_remembers_across_conversations(home: Path) -> None:
    os1(home, "say", "My dog is called Bruno and he loves the beach.")
    result = os1(home, "say", "--new", "--json", "what is my dog called?")
    assert json.loads(result.stdout)["status"] == "complete"
    listed = os1(home, "memory", "list", "--json").stdout
    assert "Bruno" in listed
