from datetime import date

import pytest

from os1.mind import onboarding
from os1.mind.persona import Identity, system_prompt
from os1.storage import SQLiteStore

ANSWERS = {
    "user_name": "Theodore",
    "social": "Mostly on my own, I'm a bit of a hermit",
    "current_life": "Writing letters for other people at work, and a divorce",
    "hopes": "Someone to talk to at night",
    "voice": "calm and soft please",
}


def test_onboarding_asks_for_name_hopes_and_voice() -> None:
    asked = [q.key for q in onboarding.QUESTIONS]
    assert asked[0] == "user_name"
    assert {"hopes", "voice"} <= set(asked)


def test_finishing_stores_answers_and_the_companion_names_itself(store: SQLiteStore) -> None:
    identity, intro = onboarding.finish(store, dict(ANSWERS))
    assert identity.onboarded and identity.user_name == "Theodore"
    assert identity.voice == "calm"
    assert identity.answers["hopes"] == "Someone to talk to at night"
    assert identity.companion_name != "OS1"
    assert identity.companion_name in intro and "It means" in intro
    assert Identity.load(store) == identity


def test_the_chosen_name_reflects_what_the_user_shared() -> None:
    writer = onboarding.choose_name({"current_life": "writing letters and a book of poems"})
    traveller = onboarding.choose_name({"hopes": "travel and explore a new city abroad"})
    assert writer.name == "Wren"
    assert "letters" in writer.reason or "writing" in writer.reason
    assert traveller.name == "Perrin"


def test_the_same_answers_choose_the_same_name() -> None:
    assert onboarding.choose_name(ANSWERS) == onboarding.choose_name(dict(ANSWERS))


@pytest.mark.parametrize(
    ("answer", "voice"),
    [
        ("bright and quick!", "bright"),
        ("Calm.", "calm"),
        ("warm and low", "warm"),
        ("", "warm"),
        ("whatever you like", "warm"),
    ],
)
def test_voice_preference_is_read_from_a_free_answer(answer: str, voice: str) -> None:
    assert onboarding.parse_voice(answer) == voice


def test_the_system_prompt_carries_name_and_what_onboarding_learned(store: SQLiteStore) -> None:
    identity, _ = onboarding.finish(store, dict(ANSWERS))
    prompt = system_prompt(identity, date(2026, 11, 29))
    assert f"You are {identity.companion_name}" in prompt
    assert "Theodore" in prompt and "talk to at night" in prompt
    assert "you are an AI" in prompt.lower() or "You are an AI" in prompt


def test_an_edited_persona_with_stray_braces_still_renders() -> None:
    identity = Identity(companion_name="Ione", persona_text="I am {name} {unknown} {")
    assert system_prompt(identity, date(2026, 1, 1)) == "I am Ione {unknown} {"
