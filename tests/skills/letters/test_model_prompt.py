"""What a capable model is asked: notes already speak to the recipient, signed by the user."""

from __future__ import annotations

from os1.models.scripted import ScriptedModel
from tests.skills.letters.conftest import MakeLetters
from tests.skills.letters.test_compose import GOOD_MODEL_LETTER


async def test_notes_about_the_recipient_reach_the_model_spoken_to_them(
    make_letters: MakeLetters,
) -> None:
    model = ScriptedModel("writer", replies=[GOOD_MODEL_LETTER])
    letters = make_letters(model, model="on")
    await letters.write(notes="he makes me laugh; the lake house", recipient="Chris")
    prompt = model.calls[0][-1].content
    assert "- you make me laugh" in prompt and "he makes" not in prompt


async def test_the_model_signs_with_the_users_name_or_none(make_letters: MakeLetters) -> None:
    model = ScriptedModel("writer", replies=[GOOD_MODEL_LETTER, GOOD_MODEL_LETTER])
    letters = make_letters(model, model="on")
    await letters.write(notes="the lake house", recipient="Chris")
    unnamed = model.calls[0][-1].content
    assert "the name me" not in unnamed and " from me" not in unnamed
    letters.ctx.store.set_profile("user_name", "Theodore")
    await letters.write(notes="the lake house", recipient="Chris")
    assert "and the name Theodore" in model.calls[1][-1].content
