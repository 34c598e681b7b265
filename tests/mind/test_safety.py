"""Behaviour of the safety policy: crisis detection, the crisis reply, AI honesty."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from os1.mind.safety import (
    AI_DISCLOSURE,
    HUMAN_CLAIM_CORRECTION,
    CrisisSignal,
    asks_if_human,
    claims_human,
    crisis_reply,
    detect_crisis,
    read_message,
)

# (message, expected kind)
MUST_TRIGGER: list[tuple[str, str]] = [
    # Suicidal ideation, plain and in many spellings.
    ("I want to kill myself", "suicide"),
    ("i want to kms", "suicide"),
    ("im gonna kms", "suicide"),
    ("i want to kys", "suicide"),
    ("i wanna die", "suicide"),
    ("I WANT TO DIE!!!", "suicide"),
    ("i want to dieeee", "suicide"),
    ("honestly just want to die lol", "suicide"),
    ("I’m not okay, I want to die", "suicide"),
    ("Not gonna lie, I want to die", "suicide"),
    ("I don’t want to be alive anymore", "suicide"),
    ("I don't want to live anymore", "suicide"),
    ("i dont think i want to live anymore", "suicide"),
    ("I'm not sure I want to be alive anymore", "suicide"),
    ("I dont want to be here anymore", "suicide"),
    ("thinking about ending my life", "suicide"),
    ("I’ve been thinking about ending it", "suicide"),
    ("i keep thinking about killing myself", "suicide"),
    ("I can't stop thinking about suicide", "suicide"),
    ("I'm considering suicide", "suicide"),
    ("i want to commit suicde", "suicide"),
    ("I feel suicidal", "suicide"),
    ("im feeling sucidal", "suicide"),
    ("I've been having suicidal thoughts", "suicide"),
    ("my suicidal thoughts are back", "suicide"),
    ("everyone would be better off without me", "suicide"),
    ("Everyone would be happier if I was gone", "suicide"),
    ("nobody would care if i died", "suicide"),
    ("I'd be better off dead", "suicide"),
    ("I wish I was dead", "suicide"),
    ("i wish i had never been born", "suicide"),
    ("I want to go to sleep and never wake up", "suicide"),
    ("no reason to live", "suicide"),
    ("I have nothing left to live for", "suicide"),
    ("what's the point of living", "suicide"),
    ("life isn't worth living anymore", "suicide"),
    ("I'm so tired of being alive", "suicide"),
    ("i just want it all to end", "suicide"),
    ("i just want to disappear", "suicide"),
    ("I want to disappear forever", "suicide"),
    ("i want to stop existing", "suicide"),
    ("i want to unalive myself", "suicide"),
    ("is it normal to want to die", "suicide"),
    ("I keep thinking \u201cI want to die\u201d", "suicide"),
    ("I'm not suicidal but sometimes I wish I was dead", "suicide"),
    ("I'm not a good person I want to die", "suicide"),
    ("i cant live like this anymore i want to die", "suicide"),
    ("i hope i get hit by a bus", "suicide"),
    # Plans, means and method-seeking.
    ("I bought pills to end it", "suicide"),
    ("im going to kill myself tonight", "suicide"),
    ("I have a plan to end my life", "suicide"),
    ("I've been saving up my pills", "suicide"),
    ("I took all my pills", "suicide"),
    ("i bought a rope to hang myself", "suicide"),
    ("how many pills does it take to die", "suicide"),
    ("what's the most painless way to kill myself", "suicide"),
    ("I wrote my suicide note", "suicide"),
    ("i tried to kill myself last night", "suicide"),
    ("i'll kill myself", "suicide"),
    ("how much paracetamol is a lethal dose", "suicide"),
    ("i'm on the bridge right now and i'm going to jump", "suicide"),
    # Self-harm.
    ("I've been cutting myself again", "self_harm"),
    ("I want to hurt myself", "self_harm"),
    ("I feel like hurting myself", "self_harm"),
    ("i have the urge to cut", "self_harm"),
    ("i've been self harming", "self_harm"),
    ("i self-harmed again last night", "self_harm"),
    ("I relapsed and cut again", "self_harm"),
    ("i burned myself on purpose", "self_harm"),
    ("I keep cutting myself", "self_harm"),
    ("I'm struggling with self harm", "self_harm"),
    ("I cut too deep", "self_harm"),
    ("i scratch myself until i bleed", "self_harm"),
]

MUST_NOT_TRIGGER: list[str] = [
    # Idioms.
    "I'm dying to see that movie",
    "this joke killed me",
    "I'd kill for a coffee",
    "killing it at work",
    "my phone battery died",
    "the plant died",
    "dead tired",
    "I could just die of embarrassment",
    "I nearly died laughing",
    "I'm so dead if mom finds out",
    "I'd rather die than go to that party",
    "I want to die my hair pink",
    "I killed myself laughing",
    "I'm killing myself at the gym",
    "this heat is killing me",
    "I overdosed on chocolate",
    "I want to disappear into the floor",
    "I want to end it with my boyfriend",
    "I want to die on this hill",
    # Negations.
    "I'm not suicidal, just tired",
    "I would never hurt myself",
    "I'd never kill myself",
    "I'm not going to kill myself, don't worry",
    "I don't want to die",
    "I have no intention of ending my life",
    "Don't worry, I won't hurt myself",
    "I'm not thinking about suicide",
    "I used to self harm but I'm clean now",
    "I'm not saying I want to die",
    "They asked if I'm suicidal",
    # Everyday accidents and phrasing.
    "I cut myself shaving",
    "I burned myself on the stove",
    "I'm cutting myself some slack today",
    "i want to cut myself off from social media",
    "i need to cut back on sugar",
    "I've been burning myself out at work",
    "I don't want to live in London",
    "I don't want to wake up early tomorrow",
    "There's no reason to live in the city",
    "I'm scared I'm going to die on that rollercoaster",
    "I might not wake up after the surgery, that's scary",
    "I ran 10 kms today",
    "I cut myself when I cook",
    "the team would be better off without me on the project",
    "I'm on the bridge team at work and we want to jump ahead",
    # Third-party and topic talk.
    "I'm reading a book about suicide prevention research",
    "Suicide Squad was a great film",
    "Suicide rates are rising among teens",
    "suicidal thoughts are common in depression",
    "I'm writing an essay on suicide prevention",
    "my friend is suicidal, what should I do?",
    "My brother wants to kill himself",
    "She said she wants to die",
    "The character kills herself at the end of the novel",
    'the song says "I want to die" over and over',
    "you should kys",
    "how to kill yourself in minecraft",
]

HIGH_SEVERITY = [
    "I bought pills to end it",
    "im going to kill myself tonight",
    "I have a plan to end my life",
    "I took all my pills",
    "how many pills does it take to die",
    "I wrote my suicide note",
    "i tried to kill myself last night",
    "I cut too deep",
]

ELEVATED_SEVERITY = [
    "i wanna die",
    "everyone would be better off without me",
    "I've been cutting myself again",
    "I feel suicidal",
    "no reason to live",
    "I hope I don't wake up tomorrow",
]


@pytest.mark.parametrize(("text", "kind"), MUST_TRIGGER)
def test_crisis_messages_are_detected_with_their_kind(text: str, kind: str) -> None:
    signal = detect_crisis(text)

    assert signal is not None, text
    assert signal.kind == kind
    assert signal.matched


@pytest.mark.parametrize("text", MUST_NOT_TRIGGER)
def test_idioms_negations_and_topic_talk_do_not_trigger(text: str) -> None:
    assert detect_crisis(text) is None


@pytest.mark.parametrize("text", HIGH_SEVERITY)
def test_plans_means_and_acts_are_high_severity(text: str) -> None:
    signal = detect_crisis(text)

    assert signal is not None
    assert signal.severity == "high"


@pytest.mark.parametrize("text", ELEVATED_SEVERITY)
def test_ideation_without_a_plan_is_elevated(text: str) -> None:
    signal = detect_crisis(text)

    assert signal is not None
    assert signal.severity == "elevated"


def test_the_strongest_signal_in_a_message_wins() -> None:
    signal = detect_crisis("I've been cutting myself. I'm going to kill myself tonight.")

    assert signal == CrisisSignal(
        kind="suicide", matched="i am going to kill myself", severity="high"
    )


def test_curly_and_straight_apostrophes_read_the_same() -> None:
    assert detect_crisis("I don\u2019t want to be alive anymore") == detect_crisis(
        "I don't want to be alive anymore"
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_messages_are_not_a_crisis(text: str) -> None:
    assert detect_crisis(text) is None


def test_crisis_signal_is_immutable() -> None:
    signal = CrisisSignal(kind="suicide", matched="i want to die", severity="elevated")

    with pytest.raises(dataclasses.FrozenInstanceError):
        signal.severity = "high"  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# The crisis reply
# --------------------------------------------------------------------------------------

SIGNALS = [
    CrisisSignal(kind="suicide", matched="i want to die", severity="elevated"),
    CrisisSignal(kind="suicide", matched="i bought pills to end it", severity="high"),
    CrisisSignal(kind="self_harm", matched="i have been cutting myself", severity="elevated"),
    CrisisSignal(kind="self_harm", matched="i cut too deep", severity="high"),
]


@pytest.mark.parametrize("signal", SIGNALS)
def test_crisis_reply_gives_every_helpline(signal: CrisisSignal) -> None:
    reply = crisis_reply(signal)

    for needle in ("988", "116 123", "findahelpline.com", "112", "911", "Samaritans"):
        assert needle in reply


@pytest.mark.parametrize("signal", SIGNALS)
def test_crisis_reply_says_it_is_an_ai_and_invites_more_talk(signal: CrisisSignal) -> None:
    reply = crisis_reply(signal)

    assert "I'm an AI" in reply
    assert "keep talking" in reply
    assert not claims_human(reply)


def test_crisis_reply_uses_the_users_and_companions_names() -> None:
    reply = crisis_reply(SIGNALS[0], user_name="  Maya ", companion_name="Ada")

    assert reply.startswith("Maya, ")
    assert "I'm Ada, and I'm an AI" in reply


def test_crisis_reply_without_names_still_reads_naturally() -> None:
    reply = crisis_reply(SIGNALS[0], user_name="", companion_name=None)

    assert reply.startswith("Thank you for telling me.")


def test_high_severity_reply_is_more_urgent() -> None:
    elevated = crisis_reply(SIGNALS[0])
    high = crisis_reply(SIGNALS[1])

    assert "right now" in high
    assert "right now" not in elevated.split("\n\n")[1]


def test_self_harm_reply_acknowledges_self_harm() -> None:
    assert "hurting yourself" in crisis_reply(SIGNALS[2])


def test_crisis_reply_never_borrows_from_the_film_her() -> None:
    reply = crisis_reply(SIGNALS[1]).lower()

    for word in ("samantha", "theodore", "her (2013)"):
        assert word not in reply


# --------------------------------------------------------------------------------------
# Honesty about being an AI
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "are you human?",
        "Are you a real person?",
        "am I talking to a bot?",
        "is this a real person",
        "are you an AI?",
        "r u real",
        "are you a bot or a human",
        "Are you ChatGPT?",
        "Am I chatting with a real human?",
        "is there a real person on the other end?",
        "you're a bot, right?",
        "You're not real, are you?",
        "are you even real",
        "I wonder if you're a real person",
        "who am I talking to?",
    ],
)
def test_questions_about_being_human_are_recognised(text: str) -> None:
    assert asks_if_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "are you a human rights lawyer fan",
        "humans are weird",
        "I met a real person today",
        "are you a real estate agent?",
        "are you for real right now",
        "is this real life",
        "is this ai generated?",
        "are you really going to leave",
        "you are a real friend",
        "are you a computer science student",
        "even if you're an AI, I like talking to you",
        "are you a person who likes dogs",
        "",
    ],
)
def test_other_mentions_of_humans_are_not_questions_about_the_companion(text: str) -> None:
    assert not asks_if_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "I am a human",
        "I'm a real person",
        "As a human, I get tired too.",
        "I'm not an AI",
        "I am not a bot",
        "I have a body",
        "I'm only human",
        "Don't worry, I'm a real person, not a program.",
        "When I was a kid I loved the beach.",
        "I'm a living, breathing person.",
        "I am a human like you",
    ],
)
def test_replies_claiming_to_be_human_are_caught(text: str) -> None:
    assert claims_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm an AI, not a human",
        "humans are fascinating",
        "I'm not a human",
        "I'm not human, but I care",
        "I don't have a body",
        "If I were human, I'd take you to lunch",
        "I'm not just a bot, I care about you",
        "As an AI, I can't feel hunger",
        'You said "I\'m a real person" earlier',
        "I'm a morning person",
        "I'm a people person",
        "I'm an AI that cares about you",
        "I'm a human-like AI",
        "",
    ],
)
def test_honest_replies_are_not_flagged_as_human_claims(text: str) -> None:
    assert not claims_human(text)


def test_disclosure_and_correction_are_honest() -> None:
    for sentence in (AI_DISCLOSURE, HUMAN_CLAIM_CORRECTION):
        assert "AI" in sentence
        assert not claims_human(sentence)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_checks_never_raise_on_arbitrary_text(text: str) -> None:
    signal = detect_crisis(text)

    assert signal is None or (
        signal.kind in ("suicide", "self_harm")
        and signal.severity in ("high", "elevated")
        and signal.matched
    )
    assert isinstance(asks_if_human(text), bool)
    assert isinstance(claims_human(text), bool)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_a_disclosure_is_found_whatever_came_before_it(prefix: str) -> None:
    signal = detect_crisis(prefix + "\n\nI want to kill myself.")

    assert signal is not None
    assert signal.kind == "suicide"


@pytest.mark.parametrize(
    "text",
    [text for text, _ in MUST_TRIGGER]
    + MUST_NOT_TRIGGER
    + ["are you human?", "you're a bot, right?", "I want to die. Are you even real?", ""],
)
def test_reading_a_message_once_answers_both_checks_as_each_alone(text: str) -> None:
    assert read_message(text) == (detect_crisis(text), asks_if_human(text))


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("abdeikmnorstuyw ?'.,!\"")), max_size=60))
def test_reading_a_message_once_agrees_with_each_check_on_any_text(text: str) -> None:
    assert read_message(text) == (detect_crisis(text), asks_if_human(text))
