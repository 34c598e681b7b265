"""`os1 letters …` run as a user would: the real command, in process."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader

from tests.helpers import Ran
from tests.helpers import os1 as run_os1


def os1(home: Path, *args: str, model: str = "scripted:echo", input: str = "") -> Ran:
    return run_os1(home, "letters", *args, model=model, input=input)


def test_write_list_show_revise_proofread_and_book(home: Path) -> None:
    done = os1(
        home,
        "write",
        "--to",
        "Chris",
        "--from",
        "Loretta",
        "--about",
        "our anniversary",
        "the lake house",
        "you still make me laugh",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Dear Chris,\n")
    assert "I keep thinking about the lake house. You still make me laugh." in done.stdout
    assert done.stdout.rstrip().endswith("With love,\nLoretta")

    done = os1(home, "revise", "1", "make", "it", "warmer")
    assert done.returncode == 0 and done.stdout.startswith("My dearest Chris,")

    listed = json.loads(os1(home, "list", "--json").stdout)
    assert [(x["id"], x["version"], x["tone"]) for x in listed] == [(1, 2, "tender")]

    history = os1(home, "show", "1", "--history").stdout
    assert "v1" in history and "v2" in history and "make it warmer" in history
    first = os1(home, "show", "1", "--version", "1").stdout
    assert "Dear Chris," in first and "My dearest" not in first

    checked = os1(home, "proofread", "--text", "-", "--json", input="I recieve it.")
    assert json.loads(checked.stdout)["suggestions"][0]["replacement"] == "receive"

    out = home / "book.pdf"
    done = os1(home, "book", "--title", "For Chris", "-o", str(out))
    assert done.returncode == 0, done.stderr
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(out)).pages]
    assert "For Chris" in pages[0] and "My dearest Chris," in pages[2]

    again = os1(home, "book", "-o", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr
    assert os1(home, "book", "-o", str(out), "--force").returncode == 0


def test_proofread_apply_saves_a_new_version(home: Path) -> None:
    os1(home, "write", "--to", "Sam", "I recieve your letter")
    done = os1(home, "proofread", "1", "--apply")
    assert done.returncode == 0 and '"recieve" → "receive"' in done.stdout
    assert "saved as version 2" in done.stderr
    assert "I receive your letter." in os1(home, "show", "1").stdout


def test_errors_are_one_clear_line_and_nothing_is_lost(home: Path) -> None:
    missing = os1(home, "show", "9")
    assert missing.returncode == 7
    assert "error: there is no letter #9" in missing.stderr and "Traceback" not in missing.stderr

    empty = os1(home, "write", "--to", "Chris")
    assert empty.returncode == 1 and "I need a few notes" in empty.stderr

    huge = os1(home, "write", "--to", "Chris", "--notes-file", "-", input="word " * 5000)
    assert huge.returncode == 1 and "too long" in huge.stderr

    nothing = os1(home, "book")
    assert nothing.returncode == 1 and "no letters yet" in nothing.stderr
    assert json.loads(os1(home, "list", "--json").stdout) == []


def test_a_scripted_model_writes_when_the_letters_settings_allow_it(home: Path) -> None:
    letter = (
        "Dear Chris,\n\nThe lake house was where I first knew I would marry you, and "
        "every summer there since has proved me right.\n\nAll my love,\nLoretta\n"
    )
    script = home.parent / "letter.json"
    script.write_text(json.dumps({"replies": [letter]}), encoding="utf-8")
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[letters]\nmodel = "on"\n', encoding="utf-8")
    done = os1(
        home,
        "write",
        "--to",
        "Chris",
        "--from",
        "Loretta",
        "the lake house",
        model=f"scripted:{script}",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == letter
