from __future__ import annotations

from datetime import UTC, datetime

import pytest

from os1.inner.threads import find_threads

WEDNESDAY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "question", "ask_from"),
    [
        ("My interview is on Friday.", "How did your interview go?", datetime(2026, 3, 7)),
        ("My sister visits next week.", "How did it go with your sister?", datetime(2026, 3, 12)),
        (
            "The divorce papers are due on the 14th.",
            "How did the divorce papers go?",
            datetime(2026, 3, 15),
        ),
        (
            "I have a dentist appointment tomorrow at 3pm",
            "How did the dentist appointment go?",
            datetime(2026, 3, 5, 18, 0),
        ),
        ("I have my exam in two days", "How did your exam go?", datetime(2026, 3, 7)),
    ],
)
def test_a_future_event_becomes_a_thread_asked_about_after_its_day(
    said: str, question: str, ask_from: datetime
) -> None:
    [(_, asked, due)] = find_threads(said, WEDNESDAY)
    assert asked == question
    assert due == ask_from.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "said",
    [
        "We went to the beach last Friday",
        "My interview was on Friday",
        "Is my interview on Friday?",
        "Remind me tomorrow to call mom",
        "I love pizza",
        "It is going to rain tomorrow",
    ],
)
def test_the_past_questions_requests_and_small_talk_open_no_thread(said: str) -> None:
    assert find_threads(said, WEDNESDAY) == []
