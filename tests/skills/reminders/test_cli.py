"""`os1 remind` and `os1 reminders` as a user runs them: real subprocesses, a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlean as sqlite3  # the same SQLite library as the app: two in one process corrupt WAL locks

from tests.helpers import os1


@pytest.fixture
def london(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('timezone = "Europe/London"\n', encoding="utf-8")
    return home


def delivered(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "os1.db") as db:
        return db.execute(
            "SELECT content, json_extract(meta, '$.late') FROM messages "
            "WHERE json_extract(meta, '$.proactive') IS NOT NULL ORDER BY id"
        ).fetchall()


def test_remind_then_list_then_deliver_when_due(london: Path) -> None:
    made = os1(london, "remind", "call mum on Sunday at 6", "--now", "2026-03-25T10:00:00+00:00")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "Reminder 1: call mum — Sun 29 Mar 18:00 (Europe/London)"

    listed = os1(london, "reminders", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [item] = json.loads(listed.stdout)
    assert (item["id"], item["text"], item["due"]) == (1, "call mum", "2026-03-29T18:00:00+01:00")

    due = os1(london, "reminders", "tick", "--now", "2026-03-29T17:00:00+00:00")
    assert due.returncode == 0, due.stderr
    assert due.stdout.startswith("delivered 1 (0 late)")
    again = os1(london, "reminders", "tick", "--now", "2026-03-29T18:00:00+00:00")
    assert again.stdout.startswith("delivered 0")
    assert delivered(london) == [("Reminder: call mum", 0)]


def test_remind_me_prefix_and_repeating_reminders(london: Path) -> None:
    made = os1(
        london, "remind", "remind me every day at 8 to take pills", "--now", "2026-03-25T10:00Z"
    )
    assert made.returncode == 0, made.stderr
    assert "take pills — Thu 26 Mar 08:00 (repeats: every day at 08:00)" in made.stdout


def test_done_and_cancel_stop_a_reminder_and_say_so_once(london: Path) -> None:
    os1(london, "remind", "in 20 minutes to a")
    os1(london, "remind", "in 20 minutes to b")
    done = os1(london, "reminders", "done", "1")
    assert (done.returncode, done.stdout.strip()) == (0, "Reminder 1 done: a")
    cancel = os1(london, "reminders", "cancel", "2")
    assert (cancel.returncode, cancel.stdout.strip()) == (0, "Reminder 2 cancelled: b")
    twice = os1(london, "reminders", "cancel", "2")
    assert twice.returncode == 1
    assert "reminder 2 is already cancelled" in twice.stderr
    assert "Traceback" not in twice.stderr
    missing = os1(london, "reminders", "done", "99")
    assert missing.returncode == 7
    assert "no reminder 99" in missing.stderr
    everything = json.loads(os1(london, "reminders", "list", "--all", "--json").stdout)
    assert [(r["id"], r["state"]) for r in everything] == [(1, "done"), (2, "cancelled")]


def test_a_reminder_without_a_time_is_refused_with_a_hint(london: Path) -> None:
    result = os1(london, "remind", "call mum")
    assert result.returncode == 1
    assert "I couldn't tell when to remind you." in result.stderr
    assert "tomorrow at 9" in result.stderr
    assert "Traceback" not in result.stderr


def test_policy_is_shown_and_changed_per_user(london: Path) -> None:
    changed = os1(london, "reminders", "policy", "quiet_hours", "23:00-07:00")
    assert changed.returncode == 0, changed.stderr
    assert "23:00-07:00" in changed.stdout and "you" in changed.stdout
    kinds = os1(london, "reminders", "policy", "kinds", "checkin,event_nudge", "--json")
    policy = json.loads(kinds.stdout)
    assert policy["kinds"] == ["checkin", "event_nudge"]
    assert policy["quiet_hours"] == "23:00-07:00"
    bad = os1(london, "reminders", "policy", "max_per_day", "lots")
    assert bad.returncode == 3
    assert "bad value for max_per_day" in bad.stderr
    reset = json.loads(os1(london, "reminders", "policy", "--reset", "--json").stdout)
    assert reset["kinds"] == ["checkin", "followup", "event_nudge"]
    assert reset["quiet_hours"] == "22:00-08:00"


def test_config_proactive_section_is_the_default_policy(london: Path) -> None:
    with (london / "config.toml").open("a", encoding="utf-8") as f:
        f.write("\n[proactive]\nmax_per_day = 1\n")
    shown = os1(london, "reminders", "policy")
    assert shown.returncode == 0, shown.stderr
    line = next(ln for ln in shown.stdout.splitlines() if "max_per_day" in ln)
    assert "1" in line and "config" in line


def test_a_missed_reminder_is_delivered_late_once(london: Path) -> None:
    os1(london, "remind", "at 9:00 to stretch", "--now", "2026-03-25T08:00:00+00:00")
    late = os1(london, "reminders", "tick", "--now", "2026-03-25T12:00:00+00:00")
    assert late.stdout.startswith("delivered 1 (1 late)")
    [(text, is_late)] = delivered(london)
    assert (text, is_late) == ("Reminder (late — it was due Wed 25 Mar at 09:00): stretch", 1)
