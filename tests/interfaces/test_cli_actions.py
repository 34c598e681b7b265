"""Side effects asked for on the command line run only once the user confirms that action."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import ONBOARDING_ANSWERS, os1

ADD_LUNCH = "add lunch with Amy on Friday at 1pm"


def events_on_calendar(home: Path) -> str:
    return os1(home, "calendar", "export").stdout.lower()


def test_say_leaves_a_side_effect_waiting_until_it_is_confirmed_by_id(home: Path) -> None:
    said = os1(home, "say", "--json", ADD_LUNCH)
    assert said.returncode == 0, said.stderr
    data = json.loads(said.stdout)
    (pending,) = data["pending"]
    assert "lunch with amy" in pending["summary"].lower()
    assert "lunch with amy" not in events_on_calendar(home)

    listed = os1(home, "actions", "list")
    assert pending["call_id"] in listed.stdout

    confirmed = os1(home, "actions", "confirm", pending["call_id"])
    assert confirmed.returncode == 0, confirmed.stderr
    assert "lunch with amy" in events_on_calendar(home)

    again = os1(home, "actions", "confirm", pending["call_id"])
    assert again.returncode == 2 and "already done" in again.stderr


def test_a_declined_action_never_runs(home: Path) -> None:
    said = json.loads(os1(home, "say", "--json", ADD_LUNCH).stdout)
    call_id = said["pending"][0]["call_id"]
    declined = os1(home, "actions", "decline", call_id)
    assert declined.returncode == 0 and "nothing was done" in declined.stdout
    assert "lunch with amy" not in events_on_calendar(home)
    assert os1(home, "actions", "confirm", call_id).returncode == 2


def test_an_unknown_action_id_is_not_found(home: Path) -> None:
    result = os1(home, "actions", "confirm", "call_nope")
    assert result.returncode == 7 and "no tool call" in result.stderr


def test_chat_asks_before_the_side_effect_and_a_no_means_no(home: Path) -> None:
    typed = ONBOARDING_ANSWERS + f"{ADD_LUNCH}\nn\n{ADD_LUNCH}\ny\n"
    result = os1(home, "chat", input=typed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Confirm") == 2
    assert "Cancelled; nothing was done." in result.stdout
    calendar = events_on_calendar(home)
    assert calendar.count("summary:lunch with amy") == 1
