"""Echo rejection by the words: OS1's own voice coming back through the microphone is told
apart from the user talking over it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from os1.voice.echo import is_echo, match, strip_echo

REPLY = (
    "That sounds like a heavy day. I am glad you told me about it. "
    "Do you want to talk about what happened at work?"
)


@pytest.mark.parametrize(
    "heard",
    [
        "I am glad you told me about it.",
        "glad you told me",  # the echo began mid-sentence
        "That sounds like a heavy date.",  # misheard: one word differs
        "Do you want to talk about what happened at work",
        "a heavy day. I'm glad you told me",  # across a sentence boundary, contracted
        "you told me about its",  # near-identical word
    ],
)
def test_words_that_follow_the_reply_are_its_echo(heard: str) -> None:
    assert is_echo(heard, REPLY)
    assert match(heard, REPLY).verdict() == "echo"


@pytest.mark.parametrize(
    "heard",
    [
        "Sorry to interrupt you there.",
        "Wait, stop for a second please.",
        "No, actually I wanted to ask about dinner.",
        "Can we talk about something else?",
    ],
)
def test_different_words_are_the_user_talking_over_it(heard: str) -> None:
    assert not is_echo(heard, REPLY)
    assert match(heard, REPLY).verdict() == "speech"


def test_echo_followed_by_new_words_is_the_user_cutting_in() -> None:
    heard = "a heavy day. Sorry, can I say something?"
    found = match(heard, REPLY)
    assert found.echoed == 3 and found.trailing_new == 5
    assert found.verdict() == "speech"
    # The turn keeps the user's words, not the echo they started over.
    assert strip_echo(heard, REPLY) == "Sorry, can I say something?"


def test_the_user_talking_over_the_echo_is_speech_though_the_words_interleave() -> None:
    # Whisper's decode of both voices at once, the user's louder (from the live test).
    reply = "Letters take such care to write, and your sister will treasure it."
    heard = "Letters take sorry to your right to you there and your sister"
    assert match(heard, reply).verdict() == "speech"
    # Echo that Whisper garbled in the middle ("care to write") is still echo.
    assert match("Letters take such character right and your sister", reply).verdict() != "speech"


def test_a_turn_partly_heard_as_echo_ends_as_echo_despite_a_garbled_tail() -> None:
    reply = "I hope the rest of your evening is just as calm."
    garbled = "E-Beaming is just this comp."  # Whisper tiny, on the echo's last second
    assert match(garbled, reply).verdict(final=True) == "speech"
    assert match(garbled, reply).verdict(final=True, after_echo=True) == "echo"
    # More new words than a garbled phrase is the user, even after echo.
    said = "is just as calm. Can we talk about my day now?"
    assert match(said, reply).verdict(final=True, after_echo=True) == "speech"


def test_one_new_word_waits_for_more_until_the_turn_ends() -> None:
    assert match("Stop.", REPLY).verdict() is None  # a fragment: maybe a misheard echo
    assert match("Stop.", REPLY).verdict(final=True) == "speech"
    assert match("", REPLY).verdict(final=True) is None


def test_common_words_scattered_through_the_reply_are_not_echo() -> None:
    # "I", "you", "about", "what" all occur in the reply, but the sentence is the user's own.
    assert not is_echo("I need you to think about my sister and what she said", REPLY)


def test_short_words_must_match_exactly() -> None:
    assert match("the day", "the dog").echoed == 1
    assert match("hello there", "I am here with you").echoed == 0
    assert match("letters", "letter").echoed == 1
    assert match("takes", "take").echoed == 1


def test_one_shared_word_of_two_is_not_echo_even_when_the_turn_ends() -> None:
    assert match("hello there", "Hello. How are you?").verdict(final=True) == "speech"
    assert match("Okay.", "Okay.").verdict(final=True) == "echo"


def test_strip_echo_leaves_a_turn_without_echo_alone() -> None:
    assert strip_echo("Sorry to interrupt you there.", REPLY) == "Sorry to interrupt you there."
    assert strip_echo("glad you told me", REPLY) == "glad you told me"  # all echo: not stripped


@given(st.lists(st.sampled_from(REPLY.split()), min_size=1, max_size=12))
def test_any_run_of_the_reply_is_echo(words: list[str]) -> None:
    start = REPLY.split().index(words[0])
    run = " ".join(REPLY.split()[start : start + len(words)])
    assert is_echo(run, REPLY)
