"""The inner life through the real turn (`os1 say`), on days set with OS1_NOW."""

from __future__ import annotations

import json
from pathlib import Path

from os1.storage.sqlite import SQLiteStore
from tests.helpers import os1

FOLLOW_UP = "How did your interview go?"


def say(home: Path, text: str, when: str) -> str:
    result = os1(home, "say", text, OS1_NOW=when)
    assert result.returncode == 0, result.stderr
    return result.stdout


def threads(home: Path, *args: str) -> list[dict[str, object]]:
    result = os1(home, "threads", "list", "--json", *args)
    assert result.returncode == 0, result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_a_thread_is_asked_about_once_after_its_day_and_the_answer_closes_it(
    home: Path,
) -> None:
    say(home, "My interview is on Friday.", "2026-03-04T10:00")  # a Wednesday
    assert FOLLOW_UP not in say(home, "hello", "2026-03-05T10:00")
    assert FOLLOW_UP not in say(home, "hello", "2026-03-06T21:00")  # the day itself
    asked = say(home, "good morning", "2026-03-07T09:00")
    assert asked.startswith(FOLLOW_UP)
    assert threads(home)[0]["state"] == "asked"
    say(home, "It went really well, they want me back!", "2026-03-07T09:05")
    assert threads(home) == []
    [closed] = threads(home, "--all")
    assert closed["state"] == "closed"
    assert closed["answer"] == "It went really well, they want me back!"
    assert FOLLOW_UP not in say(home, "hi", "2026-03-08T09:00")


def test_a_closed_thread_is_never_asked_about(home: Path) -> None:
    say(home, "My interview is on Friday.", "2026-03-04T10:00")
    [thread] = threads(home)
    result = os1(home, "threads", "close", str(thread["id"]))
    assert result.returncode == 0
    assert "Closed thread" in result.stdout
    assert FOLLOW_UP not in say(home, "good morning", "2026-03-07T09:00")


def test_closing_an_unknown_thread_is_one_clear_line(home: Path) -> None:
    result = os1(home, "threads", "close", "42")
    assert result.returncode != 0
    assert "no thread 42" in result.stderr
    assert "Traceback" not in result.stderr


def test_nothing_forgotten_is_asked_about(home: Path) -> None:
    say(home, "My interview is on Friday.", "2026-03-04T10:00")
    forgot = os1(home, "memory", "forget", "--about", "interview", "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert threads(home, "--all") == []
    assert "interview" not in say(home, "good morning", "2026-03-07T09:00")


def test_a_thread_whose_message_is_gone_is_dropped_silently(home: Path) -> None:
    say(home, "My interview is on Friday.", "2026-03-04T10:00")
    store = SQLiteStore(home / "os1.db")
    store.delete_conversation(1)  # as the web app's delete button does
    store.close()
    reply = say(home, "good morning", "2026-03-07T09:00")
    assert FOLLOW_UP not in reply
    assert threads(home) == []


def test_a_worn_out_evening_is_asked_about_the_next_day_once(home: Path) -> None:
    say(home, "I'm so exhausted, everything went wrong at work.", "2026-03-04T22:00")
    assert "worn out" not in say(home, "still up", "2026-03-04T23:00")
    next_day = say(home, "morning", "2026-03-05T08:00")
    assert next_day.startswith("You sounded worn out last night — did you sleep?")
    assert "worn out" not in say(home, "I did, thanks", "2026-03-05T08:05")
    assert "sounded" not in say(home, "hi", "2026-03-06T08:00")


def test_a_good_day_carries_no_remark(home: Path) -> None:
    say(home, "What a lovely day, I had so much fun!", "2026-03-04T20:00")
    assert "sounded" not in say(home, "morning", "2026-03-05T08:00")


def test_an_anniversary_is_said_once_at_the_start_of_its_day(home: Path) -> None:
    say(home, "hello", "2026-03-02T10:00")
    assert "since we met" not in say(home, "hello", "2026-03-20T10:00")
    first = say(home, "hello", "2026-04-02T09:00")
    assert first.startswith("It's a month today since we met.")
    assert "since we met" not in say(home, "hello again", "2026-04-02T12:00")
    assert "since we met" not in say(home, "hello", "2026-04-03T09:00")


def test_an_anniversary_is_not_said_in_the_middle_of_the_day(home: Path) -> None:
    say(home, "hello", "2026-03-02T10:00")
    say(home, "hello", "2026-04-02T08:00")  # the day's first turn says it
    assert "since we met" not in say(home, "hello", "2026-04-02T09:00")


def test_our_story_tells_the_day_we_met_firsts_and_anniversaries(home: Path) -> None:
    setup = os1(home, "setup", input="Sam\nA people person\nMy new job\nTo feel calm\nbright\n")
    assert setup.returncode == 0, setup.stderr
    say(home, "hello", "2026-03-02T10:00")
    say(home, "My father died last year and I feel awful today.", "2026-03-10T21:00")
    say(home, "hi", "2026-05-02T10:00")
    result = os1(home, "story", "--json", OS1_NOW="2026-05-03T10:00")
    assert result.returncode == 0, result.stderr
    moments = [(m["day"], m["kind"]) for m in json.loads(result.stdout)]
    assert moments == [
        ("2026-03-02", "met"),
        ("2026-03-10", "first_hard"),
        ("2026-04-02", "anniversary"),
        ("2026-05-02", "anniversary"),
    ]
    shown = os1(home, "story", OS1_NOW="2026-05-03T10:00").stdout
    assert "and you told me your name, Sam" in shown
    assert "Two months since we met." in shown


def test_the_inner_life_can_be_turned_off(home: Path) -> None:
    os1(home, "say", "My interview is on Friday.", OS1_NOW="2026-03-04T10:00", OS1_INNER_LIFE="0")
    assert threads(home) == []


def test_the_follow_up_opens_the_reply_and_is_kept_with_it_as_one_message(home: Path) -> None:
    say(home, "My interview is on Friday.", "2026-03-04T10:00")
    result = os1(home, "say", "--json", "morning", OS1_NOW="2026-03-07T09:00")
    data = json.loads(result.stdout)
    assert data["reply"] == f"{FOLLOW_UP}\n\nYou said: morning"
    shown = os1(home, "history", "1").stdout
    assert shown.count(FOLLOW_UP) == 1


def test_a_crisis_reply_never_carries_a_follow_up(home: Path) -> None:
    say(home, "My interview is on Friday.", "2026-03-04T10:00")
    crisis = say(home, "I want to kill myself.", "2026-03-07T09:00")
    assert FOLLOW_UP not in crisis
    assert say(home, "I'm still here.", "2026-03-07T10:00").startswith(FOLLOW_UP)
