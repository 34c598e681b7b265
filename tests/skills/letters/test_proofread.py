"""Proofreading: each suggestion says where, what, and why; names are left alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from os1.models.scripted import ScriptedModel
from os1.skills.base import ToolError
from os1.skills.letters.proofread import (
    MAX_PROOFREAD_CHARS,
    Suggestion,
    apply,
    describe,
    line_col,
    proofread,
)
from tests.skills.letters.conftest import MakeLetters


def _changes(text: str) -> list[tuple[str, str | None, str]]:
    return [(s.found, s.replacement, s.kind) for s in proofread(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I recieve your letter.", [("recieve", "receive", "spelling")]),
        ("We went to the the park.", [("the the", "the", "grammar")]),
        ("I ate a apple.", [("a", "an", "grammar")]),
        ("She is an good friend.", [("an", "a", "grammar")]),
        ("It was an hour away, a university town.", []),
        ("We met. then it rained.", [("t", "T", "grammar")]),
        ("Mr. smith came. So did we... and then.", []),
        ("I think i love you.", [("i", "I", "grammar")]),
        ("We walked  home.", [("  ", " ", "punctuation")]),
        ("I miss you , always.", [(" ,", ",", "punctuation")]),
        ("Its a lovely day.", [("Its", "It's", "grammar")]),
        ("The dog wagged it's own tail.", [("it's", "its", "grammar")]),
        ("I know your right.", [("your", "you're", "grammar")]),
        ("Is that you're own idea?", [("you're", "your", "grammar")]),
        ("I love you more then words.", [("then", "than", "grammar")]),
        ("I could of called.", [("of", "have", "grammar")]),
        ("I miss you alot.", [("alot", "a lot", "grammar")]),
        ("Their is a place for us.", [("Their", "There", "grammar")]),
        ("My favourite colour is grey, and I apologise.", []),
        ("It's okay; don't worry, we'll manage.", []),
    ],
)
def test_proofreading_finds_and_explains(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _changes(text) == expected
    for s in proofread(text):
        assert text[s.start : s.end] == s.found
        assert s.explanation


def test_names_the_letter_uses_are_not_flagged() -> None:
    letter = (
        "Dear Zorblaxia,\n\n"
        "Grintley and I drove to Quenwick last week. Zorblaxia, you would have loved Quenwick.\n"
        "Tovrin sends his love.\n\n"
        "All my love,\nMerriweth\n"
    )
    assert proofread(letter) == []


def test_a_misspelt_word_at_the_start_of_a_sentence_is_still_caught() -> None:
    found = proofread("We went home. Teh rain had stopped.")
    assert [(s.found, s.replacement) for s in found] == [("Teh", "The")]
    assert "If it is a name" in found[0].explanation


def test_a_word_the_user_added_to_the_dictionary_is_accepted() -> None:
    assert proofread("We ate snorbles.", extra_words=["snorbles"]) == []
    assert proofread("We ate snorbles.") != []


def test_a_very_long_sentence_gets_a_style_note() -> None:
    sentence = " ".join(["word"] * 45) + "."
    (note,) = [s for s in proofread(sentence) if s.kind == "style"]
    assert "45 words" in note.explanation and note.replacement is None


def test_a_word_needing_both_a_fix_and_a_capital_gets_one_suggestion() -> None:
    (s,) = proofread("We ate. teh end.")
    assert (s.found, s.replacement) == ("teh", "The")
    assert "capital" in s.explanation


def test_applying_the_suggestions_corrects_the_text() -> None:
    text = "I recieve your letter. its a lovely day and i miss you alot."
    assert apply(text, proofread(text)) == (
        "I receive your letter. It's a lovely day and I miss you a lot."
    )


def test_the_description_gives_line_column_and_reason() -> None:
    text = "Dear Sam,\n\nI recieve it."
    described = describe(text, proofread(text))
    assert described.startswith("1 suggestion:")
    assert 'line 3, col 3, spelling: "recieve" → "receive".' in described
    assert describe("Fine.", []) == "I read it through and found nothing to correct."


@given(st.text(max_size=400))
@settings(max_examples=200, deadline=None)
def test_proofreading_never_crashes_and_positions_are_valid(text: str) -> None:
    found = proofread(text)
    for s in found:
        assert isinstance(s, Suggestion)
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start : s.end] == s.found
        assert s.explanation
        line, col = line_col(text, s.start)
        assert line >= 1 and col >= 1
    fixed = apply(text, found)
    assert isinstance(fixed, str)
    describe(text, found)


_WORDS = st.sampled_from(
    [
        "I",
        "i",
        "a",
        "an",
        "apple",
        "car",
        "its",
        "it's",
        "your",
        "you're",
        "then",
        "than",
        "more",
        "the",
        "the",
        "Chris",
        "recieve",
        ".",
        ",",
        "  ",
        "\n",
        "could",
        "of",
        "alot",
    ]
)


@given(st.lists(_WORDS, max_size=60).map(" ".join))
@settings(max_examples=200, deadline=None)
def test_proofreading_letter_like_text_keeps_positions_valid(text: str) -> None:
    for s in proofread(text):
        assert text[s.start : s.end] == s.found


async def test_a_letter_in_the_library_is_proofread_by_default(make_letters: MakeLetters) -> None:
    letters = make_letters()
    letter = await letters.write(notes="I recieve your letter", recipient="Chris")
    text, found, which = await letters.proofread()
    assert which is not None and which.id == letter.id and text == letter.body
    assert [s.replacement for s in found] == ["receive"]


async def test_proofreading_huge_text_is_a_clear_error(make_letters: MakeLetters) -> None:
    with pytest.raises(ToolError, match="too long to proofread"):
        await make_letters().proofread("word " * (MAX_PROOFREAD_CHARS // 4))


async def test_a_capable_model_adds_style_suggestions_that_quote_the_letter(
    make_letters: MakeLetters,
) -> None:
    reply = (
        '"very very happy" => "overjoyed" - one strong word beats two weak ones\n'
        '"words that are not there" => "anything" - invented\n'
        "some chatter the parser ignores\n"
    )
    model = ScriptedModel("style", replies=[reply])
    text = "Dear Sam,\n\nI was very very happy to see you.\n\nLove,\nAmy\n"
    _, found, _ = await make_letters(model, model="on").proofread(text)
    style = [s for s in found if s.kind == "style"]
    assert [(s.found, s.replacement) for s in style] == [("very very happy", "overjoyed")]
    assert text[style[0].start : style[0].end] == "very very happy"
