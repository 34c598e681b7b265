"""Pending actions don't pile up: they expire after `pending_action_ttl_hours` and can't be
confirmed then, `os1 actions list` shows one line each, and `decline --all` clears them."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlean as sqlite3  # the app's SQLite library: two in one process corrupt WAL locks

from tests.helpers import os1

ADD_LUNCH = "add lunch with Amy on Friday at 1pm"
ADD_DINNER = "add dinner with Bo on Saturday at 7pm"


def propose(home: Path, request: str) -> str:
    said = os1(home, "say", "--json", request)
    assert said.returncode == 0, said.stderr
    return str(json.loads(said.stdout)["pending"][0]["call_id"])


def age(home: Path, call_id: str, hours: float) -> None:
    """Make an action look as if it was proposed `hours` ago."""
    then = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="milliseconds")
    with contextlib.closing(sqlite3.connect(home / "os1.db")) as db:
        db.execute("UPDATE tool_calls SET created_at = ? WHERE id = ?", (then, call_id))
        db.commit()


def status(home: Path, call_id: str) -> str:
    with contextlib.closing(sqlite3.connect(home / "os1.db")) as db:
        return str(
            db.execute("SELECT status FROM tool_calls WHERE id = ?", (call_id,)).fetchone()[0]
        )


def calendar(home: Path) -> str:
    return os1(home, "calendar", "export").stdout.lower()


def test_an_expired_action_cannot_be_confirmed_and_is_marked_expired(home: Path) -> None:
    call_id = propose(home, ADD_LUNCH)
    age(home, call_id, hours=25)
    confirmed = os1(home, "actions", "confirm", call_id)
    assert confirmed.returncode == 1
    assert "That action has expired: it was asked for more than 24 hours ago" in confirmed.stdout
    assert "nothing was done" in confirmed.stdout
    assert status(home, call_id) == "expired"
    assert "lunch with amy" not in calendar(home)
    again = os1(home, "actions", "confirm", call_id)
    assert again.returncode == 2
    assert "that action has expired and can't be confirmed any more" in again.stderr


def test_how_long_an_action_waits_is_a_setting(home: Path) -> None:
    call_id = propose(home, ADD_LUNCH)
    age(home, call_id, hours=2)
    short = os1(home, "actions", "confirm", call_id, OS1_PENDING_ACTION_TTL_HOURS="1")
    assert short.returncode == 1 and "more than 1 hour ago" in short.stdout
    call_id = propose(home, ADD_DINNER)
    age(home, call_id, hours=2)
    confirmed = os1(home, "actions", "confirm", call_id)  # the default is a day
    assert confirmed.returncode == 0, confirmed.stderr
    assert "dinner with bo" in calendar(home)


def test_actions_list_is_one_line_per_action_and_leaves_out_expired_ones(home: Path) -> None:
    old = propose(home, ADD_LUNCH)
    age(home, old, hours=30)
    fresh = [propose(home, ADD_DINNER), propose(home, "add a walk with Jo on Sunday at 10am")]
    listed = os1(home, "actions", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == fresh
    assert all("pending" in line and len(line) < 160 for line in lines)
    assert "dinner with bo" in lines[0].lower()
    assert status(home, old) == "expired"  # listing expires what is too old
    everything = os1(home, "actions", "list", "--all").stdout.splitlines()
    assert any(line.startswith(old) and "expired" in line for line in everything)


def test_decline_all_declines_every_pending_action_and_runs_none(home: Path) -> None:
    ids = [propose(home, ADD_LUNCH), propose(home, ADD_DINNER)]
    declined = os1(home, "actions", "decline", "--all")
    assert declined.returncode == 0, declined.stderr
    assert "Declined 2 pending action(s); nothing was done." in declined.stdout
    assert [status(home, i) for i in ids] == ["declined", "declined"]
    assert "nothing is waiting" in os1(home, "actions", "list").stdout
    assert "lunch with amy" not in calendar(home) and "dinner with bo" not in calendar(home)
    assert os1(home, "actions", "confirm", ids[0]).returncode == 2
    nothing = os1(home, "actions", "decline", "--all")
    assert nothing.returncode == 0 and "nothing is waiting" in nothing.stdout


def test_decline_needs_an_id_or_all(home: Path) -> None:
    neither = os1(home, "actions", "decline")
    assert neither.returncode == 2 and "give one action id, or --all" in neither.stderr
