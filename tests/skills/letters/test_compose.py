"""Writing and revising letters: the deterministic composer, and a model checked by code."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from os1.models.base import Message
from os1.models.scripted import ScriptedModel
from os1.skills.base import ToolError
from os1.skills.letters.compose import (
    LetterRequest,
    compose,
    split_letter,
)
from os1.skills.letters.writer import clean_letter
from tests.skills.letters.conftest import MakeLetters

ANNIVERSARY = LetterRequest(
    recipient="Chris",
    sender="Loretta",
    occasion="our anniversary",
    notes="the first time we met at the bakery\nyou still make me coffee every morning; "
    "I love Chris more every year",
)

GOOD_MODEL_LETTER = (
    "Dear Chris,\n\nTen years ago you walked into the bakery and asked for the last croissant. "
    "I gave it to you, and somehow you gave me a life.\n\nEvery morning you still make me "
    "coffee, and every morning I fall for you again.\n\nAll my love,\nLoretta\n"
)


# -- the composer, no model ------------------------------------------------------------


def test_a_letter_has_a_greeting_the_notes_and_a_signed_closing() -> None:
    letter = compose(ANNIVERSARY)
    parts = split_letter(letter)
    assert parts.greeting == "Dear Chris,"
    assert parts.signoff == "With love,"
    assert parts.signature == "Loretta"
    body = " ".join(parts.paragraphs)
    assert "our anniversary" in body
    assert "I keep thinking about the first time we met at the bakery." in body
    assert "You still make me coffee every morning." in body
    # a note about the recipient speaks to them in their own letter
    assert "I love you more every year." in body


def test_the_same_notes_always_give_the_same_letter() -> None:
    assert compose(ANNIVERSARY) == compose(ANNIVERSARY)


@pytest.mark.parametrize(
    ("tone", "greeting", "signoff"),
    [
        ("warm", "Dear Chris,", "With love,"),
        ("tender", "My dearest Chris,", "All my love,"),
        ("formal", "Dear Chris,", "Kind regards,"),
        ("playful", "Hi Chris,", "Hugs,"),
        ("grateful", "Dear Chris,", "With gratitude,"),
    ],
)
def test_the_tone_chooses_the_greeting_and_the_sign_off(
    tone: str, greeting: str, signoff: str
) -> None:
    parts = split_letter(compose(LetterRequest(recipient="Chris", notes="hello", tone=tone)))  # type: ignore[arg-type]
    assert (parts.greeting, parts.signoff) == (greeting, signoff)


@pytest.mark.parametrize(
    ("occasion", "expected"),
    [
        ("her birthday", "I couldn't let your birthday pass without writing to you."),
        ("thanking him for the flowers", "I wanted to write and thank you for the flowers."),
        ("my leaving", "I wanted to write before my leaving"),
        ("the garden", "I've been thinking about the garden"),
    ],
)
def test_the_opening_names_the_occasion(occasion: str, expected: str) -> None:
    letter = compose(LetterRequest(recipient="Mum", occasion=occasion, notes="hello"))
    assert expected in letter


@given(
    notes=st.text(max_size=300),
    recipient=st.text(max_size=30),
    occasion=st.text(max_size=60),
)
@settings(max_examples=150, deadline=None)
def test_any_notes_give_a_letter_that_splits_back_into_its_parts(
    notes: str, recipient: str, occasion: str
) -> None:
    letter = compose(
        LetterRequest(recipient=recipient, sender="Loretta", occasion=occasion, notes=notes)
    )
    parts = split_letter(letter)
    assert parts.signature == "Loretta"
    assert parts.paragraphs


# -- through the skill, no model -------------------------------------------------------


async def test_writing_keeps_the_letter_in_the_library(make_letters: MakeLetters) -> None:
    letters = make_letters()
    letter = await letters.write(
        notes="the lake house", recipient="Chris", sender="Loretta", occasion="our anniversary"
    )
    assert letters.library.get(letter.id).body == compose(
        LetterRequest("Chris", "Loretta", "our anniversary", "the lake house")
    )
    assert letters.library.versions(letter.id)[0].author == "composer"


async def test_the_letter_is_signed_with_the_users_name_by_default(
    make_letters: MakeLetters,
) -> None:
    letters = make_letters()
    letters.ctx.store.set_profile("user_name", "Theodore")
    letter = await letters.write(notes="thank you for the book", recipient="Amy")
    assert split_letter(letter.body).signature == "Theodore"


@pytest.mark.parametrize("notes", ["", "   ", "\n\n"])
async def test_no_notes_is_a_clear_error_and_nothing_is_saved(
    make_letters: MakeLetters, notes: str
) -> None:
    letters = make_letters()
    with pytest.raises(ToolError, match="I need a few notes") as caught:
        await letters.write(notes=notes, recipient="Chris")
    assert "write a letter to" in caught.value.hint
    assert letters.library.all() == []


async def test_huge_notes_are_refused_and_nothing_is_saved(make_letters: MakeLetters) -> None:
    letters = make_letters()
    with pytest.raises(ToolError, match="too long"):
        await letters.write(notes="word " * 5000, recipient="Chris")
    assert letters.library.all() == []


async def test_the_tiny_embedded_model_is_not_asked_by_default(make_letters: MakeLetters) -> None:
    model = ScriptedModel("smollm2", replies=[GOOD_MODEL_LETTER])
    model.backend = "llamacpp"  # type: ignore[misc]
    letter = await make_letters(model).write(notes="the lake house", recipient="Chris")
    assert model.calls == []
    assert "I keep thinking about the lake house." in letter.body


# -- with a model ----------------------------------------------------------------------


async def test_a_capable_model_writes_the_letter_from_the_notes(make_letters: MakeLetters) -> None:
    model = ScriptedModel("writer", replies=[GOOD_MODEL_LETTER])
    letters = make_letters(model, model="on")
    letter = await letters.write(
        notes="the bakery; coffee every morning",
        recipient="Chris",
        sender="Loretta",
        occasion="our anniversary",
    )
    assert letter.body == GOOD_MODEL_LETTER
    prompt = model.calls[0][-1].content
    assert "- the bakery" in prompt and "- coffee every morning" in prompt
    assert "to Chris from Loretta about our anniversary" in prompt
    assert letters.library.versions(letter.id)[0].author == "model"


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "love love love love love love love love love love love love love love love",
        "<|im_start|>assistant\n" + "Dear Chris, " * 10,
        "%%%% #### ---- 1234 5678 !!!! @@@@ $$$$ %%%% #### ---- 1234 5678 !!!! @@@@ $$$$",
        "Dear Sam,\n\nThis is a letter to someone else entirely, and it goes on for long enough "
        "to look like a real letter in every other way.\n\nLove,\nLoretta",
    ],
    ids=["empty", "blank", "loop", "template-tokens", "symbols", "wrong-person"],
)
async def test_a_bad_model_letter_falls_back_to_the_composed_one(
    make_letters: MakeLetters, reply: str
) -> None:
    model = ScriptedModel("writer", replies=[reply])
    letter = await make_letters(model, model="on").write(
        notes="the lake house", recipient="Chris", sender="Loretta"
    )
    assert len(model.calls) == 1
    assert letter.body == compose(LetterRequest("Chris", "Loretta", "", "the lake house"))


async def test_a_model_that_echoes_the_prompt_is_not_taken_for_a_letter(
    make_letters: MakeLetters,
) -> None:
    model = ScriptedModel("echo")  # replies "You said: <the prompt>"
    letter = await make_letters(model, model="on").write(notes="the lake house", recipient="Chris")
    assert letter.body.startswith("Dear Chris,")
    assert "You said" not in letter.body


async def test_a_failing_model_still_gives_a_letter(make_letters: MakeLetters) -> None:
    model = ScriptedModel("down", fail_with="unreachable")
    letter = await make_letters(model, model="on").write(notes="the lake house", recipient="Chris")
    assert "I keep thinking about the lake house." in letter.body


def test_a_model_letter_without_the_senders_name_gets_signed() -> None:
    unsigned = GOOD_MODEL_LETTER.replace("All my love,\nLoretta\n", "")
    cleaned = clean_letter(
        "Here is your letter:\n" + unsigned,
        recipient="Chris",
        sender="Loretta",
        signoff="With love,",
    )
    assert cleaned.startswith("Dear Chris,")
    assert cleaned.rstrip().endswith("With love,\nLoretta")


# -- revising --------------------------------------------------------------------------


async def _drafted(make_letters: MakeLetters, chat: ScriptedModel | None = None, **section: object):  # type: ignore[no-untyped-def]
    letters = make_letters(chat, **section)
    letter = await letters.write(
        notes="the first time we met at the bakery\nyou still make me coffee\nour trip to "
        "Lisbon\nthe way you sing in the car\nyour terrible jokes",
        recipient="Chris",
        sender="Loretta",
        occasion="our anniversary",
    )
    return letters, letter


async def test_make_it_warmer_changes_greeting_sign_off_and_keeps_the_old_version(
    make_letters: MakeLetters,
) -> None:
    letters, letter = await _drafted(make_letters)
    warmer = await letters.revise("make it warmer")
    parts = split_letter(warmer.body)
    assert (parts.greeting, parts.signoff, parts.signature) == (
        "My dearest Chris,",
        "All my love,",
        "Loretta",
    )
    assert warmer.version == 2 and warmer.tone == "tender"
    assert letters.library.versions(letter.id)[0].body == letter.body


async def test_make_it_shorter_gives_a_shorter_letter_with_the_same_ends(
    make_letters: MakeLetters,
) -> None:
    letters, letter = await _drafted(make_letters)
    short = await letters.revise("shorter please")
    assert len(short.body) < len(letter.body)
    before, after = split_letter(letter.body), split_letter(short.body)
    assert (after.greeting, after.signoff, after.signature) == (
        before.greeting,
        before.signoff,
        before.signature,
    )


async def test_add_that_puts_the_new_line_before_the_closing(make_letters: MakeLetters) -> None:
    letters, _ = await _drafted(make_letters)
    added = await letters.revise("add that I'm proud of him")
    paragraphs = split_letter(added.body).paragraphs
    assert paragraphs[-2] == "I'm proud of you."


@pytest.mark.parametrize(
    ("instruction", "signoff"),
    [("change the closing to Yours forever", "Yours forever,"), ("change the closing", "Warmly,")],
)
async def test_the_closing_can_be_changed(
    make_letters: MakeLetters, instruction: str, signoff: str
) -> None:
    letters, _ = await _drafted(make_letters)
    changed = await letters.revise(instruction)
    assert split_letter(changed.body).signoff == signoff
    assert split_letter(changed.body).signature == "Loretta"


async def test_an_instruction_the_composer_cannot_do_is_a_clear_error(
    make_letters: MakeLetters,
) -> None:
    letters, letter = await _drafted(make_letters)
    with pytest.raises(ToolError, match="make it rhyme") as caught:
        await letters.revise("make it rhyme")
    assert "warmer" in caught.value.hint
    assert letters.library.get(letter.id).version == 1


async def test_a_capable_model_revises_and_its_revision_is_checked(
    make_letters: MakeLetters,
) -> None:
    def revise(messages: Sequence[Message]) -> str:
        if "Instruction:" not in messages[-1].content:
            return ""  # the draft: fall back to the composer
        return GOOD_MODEL_LETTER

    model = ScriptedModel("writer", replies=[revise])
    letters, letter = await _drafted(make_letters, model, model="on")
    revised = await letters.revise("make it more romantic")
    assert revised.body == GOOD_MODEL_LETTER
    assert letters.library.versions(letter.id)[1].author == "model"


async def test_a_model_shortening_that_is_not_shorter_is_not_taken(
    make_letters: MakeLetters,
) -> None:
    longer = GOOD_MODEL_LETTER * 3
    model = ScriptedModel("writer", replies=["", longer.replace("Loretta\n", "Loretta\n", 1)])
    letters, letter = await _drafted(make_letters, model, model="on")
    short = await letters.revise("make it shorter")
    assert len(short.body) < len(letter.body)
    assert letters.library.versions(letter.id)[1].author == "composer"


@pytest.mark.parametrize(
    ("note", "sentence"),
    [
        ("she owes me a pint", "You owe me a pint."),
        ("her terrible puns", "I keep thinking about your terrible puns."),
        ("He always laughs at my jokes", "You always laugh at my jokes."),
        ("the way she sings in the car", "I keep thinking about the way you sing in the car."),
        ("my dad says he is proud", "My dad says he is proud."),
        ("Tom says he misses the band", "Tom says he misses the band."),
        ("she misses you", "She misses you."),
        ("my children can't sleep", "My children can't sleep."),
        ("our trip to Lisbon was magical", "Our trip to Lisbon was magical."),
        ("the first time we met", "I keep thinking about the first time we met."),
    ],
)
def test_notes_about_the_recipient_speak_to_them(note: str, sentence: str) -> None:
    letter = compose(LetterRequest(recipient="Amy", sender="Sam", notes=note))
    assert split_letter(letter).paragraphs[1] == sentence
