"""The shared analysis cache: a message is parsed once however many parts of a turn (and its
consolidation, seconds later) ask about it, and the cache stays bounded."""

from __future__ import annotations

import pytest

import os1.language as language
from os1.inner.mood import TIRED, TIRED_PHRASES, sounds_tired
from os1.language import analyze, use_analyzer
from os1.language.fake import FakeAnalyzer


def test_a_message_is_parsed_once_even_after_hundreds_of_other_users_messages() -> None:
    fake = FakeAnalyzer()
    with use_analyzer(fake):
        analyze("my sister is visiting next week")
        for n in range(500):  # what a busy server hears before consolidating that turn
            analyze(f"someone else said thing number {n}")
        analyze("my sister is visiting next week")
    assert fake.calls.count("my sister is visiting next week") == 1


def test_the_cache_forgets_the_oldest_messages_beyond_its_token_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(language, "_RECENT_MAX_TOKENS", 20)
    fake = FakeAnalyzer()
    with use_analyzer(fake):
        for n in range(10):
            analyze(f"message {n} has five words")  # 5 tokens each: 4 fit in 20
        assert language._recent_tokens <= 20
        analyze("message 9 has five words")
        analyze("message 0 has five words")
    assert fake.calls.count("message 9 has five words") == 1  # still kept
    assert fake.calls.count("message 0 has five words") == 2  # evicted, parsed again


def test_a_huge_message_is_parsed_only_up_to_a_long_letters_length_cut_at_a_space() -> None:
    fake = FakeAnalyzer()
    huge = "word " * 200_000  # 1 MB: a minute of one analyzer every user's turn waits for
    with use_analyzer(fake):
        analysis = analyze(huge)
        analyze("a short message")
    [parsed] = [call for call in fake.calls if call.startswith("word")]
    assert len(parsed) <= language.MAX_ANALYZED_CHARS < len(huge)
    assert huge.startswith(parsed) and parsed.endswith("word")
    assert analysis.text == parsed
    assert "a short message" in fake.calls  # a short one is read whole


def test_a_message_without_a_tired_word_is_not_parsed_for_tiredness() -> None:
    fake = FakeAnalyzer()
    with use_analyzer(fake):
        assert not sounds_tired("what should I cook tonight")
    assert fake.calls == []


def test_tiredness_is_still_heard_in_inflected_and_capitalised_words() -> None:
    with use_analyzer(FakeAnalyzer()):
        assert sounds_tired("I am TIRED")
        assert sounds_tired("completely knackered tonight")
        assert sounds_tired("I feel so drained")
        assert not sounds_tired("the tyres need air")


@pytest.mark.parametrize(
    "text",
    [
        "That was exhausting",
        "Work drains me",
        "I'm getting sleepier by the minute",
        "totally wiped after the run",
        "Tired of waiting for the bus",
        "the kids exhausted every idea we had",
        "I slept well and feel great",
        "we went to the tire shop",
    ],
)
def test_the_word_check_agrees_with_the_parse(text: str) -> None:
    # The cheap check may only skip messages the parse would not have found tired.
    parsed = any(p in text.lower() for p in TIRED_PHRASES) or any(
        t.lemma in TIRED or t.lower in TIRED for t in analyze(text).tokens
    )
    assert sounds_tired(text) == parsed
