"""Letters in conversation: the user's words → intents → tools, through the Companion."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from pypdf import PdfReader

from os1.config import Settings
from os1.events import ConfirmationRequired, Event, TextDelta, ToolResult, TurnDone
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.skills import PlannedCall, SkillContext, Skills
from os1.skills.letters import toolkit
from os1.skills.letters.library import LetterLibrary
from os1.storage import SQLiteStore
from tests.conftest import collect
from tests.skills.letters.conftest import NOW


@pytest.fixture
def companion(store: SQLiteStore, settings: Settings, home: Path) -> Companion:
    model = ScriptedModel(replies=["(the model was asked)"])
    ctx = SkillContext(store=store, settings=settings, home=home, clock=lambda: NOW)
    return Companion(
        store,
        model,
        settings,
        today=lambda: date(2026, 11, 29),
        skills=Skills([toolkit]),
        skill_context=ctx,
    )


async def _say(companion: Companion, text: str) -> tuple[str, list[Event]]:
    events = await collect(companion.turn(text))
    reply = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert isinstance(events[-1], TurnDone)
    return reply, events


async def test_a_letter_is_written_revised_proofread_and_bound_in_conversation(
    companion: Companion, store: SQLiteStore, home: Path
) -> None:
    reply, events = await _say(
        companion,
        "write a letter to Chris from Loretta about our anniversary: the lake house; "
        "you still make me laugh",
    )
    assert "Here is your letter to Chris (#1)" in reply
    assert "Dear Chris," in reply and "I keep thinking about the lake house." in reply
    assert not any(isinstance(e, ConfirmationRequired) for e in events)

    reply, _ = await _say(companion, "make it warmer")
    assert "Letter #1, version 2" in reply and "My dearest Chris," in reply

    reply, _ = await _say(companion, "add that I'm proud of him")
    assert "version 3" in reply and "I'm proud of you." in reply

    reply, _ = await _say(companion, "proofread it")
    assert reply.startswith("Letter #1: I read it through and found nothing to correct.")

    reply, _ = await _say(companion, "show my letters")
    assert "#1 To Chris, from Loretta — our anniversary (v3" in reply

    reply, events = await _say(companion, "make a book of my letters")
    assert not any(isinstance(e, ConfirmationRequired) for e in events)
    (result,) = [e for e in events if isinstance(e, ToolResult)]
    assert result.ok and result.name == "make_letter_book"
    books = list((home / "letters").glob("*.pdf"))
    assert len(books) == 1 and str(books[0]) in reply
    text = " ".join(PdfReader(str(books[0])).pages[2].extract_text().split())
    assert "I'm proud of you." in text

    versions = LetterLibrary(store).versions(1)
    assert [v.change for v in versions] == [
        "first draft",
        "make it warmer",
        "add that I'm proud of him",
    ]


async def test_proofread_this_checks_the_text_after_the_colon(companion: Companion) -> None:
    reply, _ = await _say(companion, "proofread this: I recieve your letter yesterday.")
    assert 'spelling: "recieve" → "receive"' in reply


async def test_asking_to_revise_before_any_letter_is_a_clear_reply(companion: Companion) -> None:
    reply, events = await _say(companion, "make it shorter")
    (result,) = [e for e in events if isinstance(e, ToolResult)]
    assert not result.ok
    assert "you have no letters yet" in reply and "write a letter to" in reply


async def test_a_letter_without_notes_asks_for_them(companion: Companion) -> None:
    reply, _ = await _say(companion, "write a letter to Chris")
    assert "I need a few notes" in reply


async def test_other_requests_still_reach_the_model(companion: Companion) -> None:
    for text in ("check my mail", "make it 5pm", "add milk to my shopping list", "hello"):
        reply, _ = await _say(companion, text)
        assert reply == "(the model was asked)", text


@pytest.mark.parametrize(
    ("text", "call"),
    [
        (
            "write a letter to Chris from Loretta about our anniversary: the lake house; the dog",
            PlannedCall(
                "write_letter",
                {
                    "recipient": "Chris",
                    "sender": "Loretta",
                    "occasion": "our anniversary",
                    "notes": "the lake house; the dog",
                },
            ),
        ),
        (
            "Please write a tender letter to my mum for her birthday",
            PlannedCall(
                "write_letter", {"tone": "tender", "recipient": "Mum", "occasion": "her birthday"}
            ),
        ),
        (
            "could you write a letter on behalf of Loretta to Chris - we met in 2009",
            PlannedCall(
                "write_letter",
                {"sender": "Loretta", "recipient": "Chris", "notes": "we met in 2009"},
            ),
        ),
        (
            "write a letter to Paul thanking him for the flowers",
            PlannedCall(
                "write_letter", {"recipient": "Paul", "occasion": "thanking him for the flowers"}
            ),
        ),
        (
            "write a letter for Chris's birthday",
            PlannedCall("write_letter", {"occasion": "Chris's birthday", "recipient": "Chris"}),
        ),
        (
            "draft a letter to my husband saying I miss him",
            PlannedCall("write_letter", {"recipient": "my love", "notes": "I miss you"}),
        ),
        ("proofread this: teh end", PlannedCall("proofread_letter", {"text": "teh end"})),
        ("proofread letter 3", PlannedCall("proofread_letter", {"letter_id": 3})),
        ("check my letter", PlannedCall("proofread_letter", {})),
        ("can you proofread my letter to Chris?", PlannedCall("proofread_letter", {})),
        ("make it warmer", PlannedCall("revise_letter", {"instruction": "make it warmer"})),
        (
            "add that I'm proud of her",
            PlannedCall("revise_letter", {"instruction": "add that I'm proud of her"}),
        ),
        (
            "mention the dog to the letter",
            PlannedCall("revise_letter", {"instruction": "mention the dog to the letter"}),
        ),
        (
            "also say: see you soon",
            PlannedCall("revise_letter", {"instruction": "also say: see you soon"}),
        ),
        (
            "make letter 2 more formal",
            PlannedCall("revise_letter", {"instruction": "make it more formal", "letter_id": 2}),
        ),
        (
            "change the closing to Yours forever",
            PlannedCall("revise_letter", {"instruction": "change the closing to Yours forever"}),
        ),
        ("show my letters", PlannedCall("list_letters", {"starred": False})),
        ("show me my starred letters", PlannedCall("list_letters", {"starred": True})),
        ("show letter 4", PlannedCall("show_letter", {"letter_id": 4})),
        ("star it", PlannedCall("star_letter", {"starred": True})),
        ("make a book of my letters", PlannedCall("make_letter_book", {})),
        (
            "compile my best letters into a book called Love, Loretta",
            PlannedCall("make_letter_book", {"starred": True, "title": "Love, Loretta"}),
        ),
    ],
)
def test_the_users_words_plan_the_right_call(text: str, call: PlannedCall) -> None:
    planned = Skills([toolkit]).plan(text, None)  # type: ignore[arg-type]
    assert planned is not None and planned[1] == [call]


@pytest.mark.parametrize(
    "text",
    [
        "write a cover letter for my job",
        "check my mail",
        "make it 5pm",
        "add that to my notes",
        "add a meeting tomorrow at 5pm",
        "add that as a reminder",
        "add eggs to the shopping list",
        "what's the weather",
        "show my notes",
        "I got a letter today",
    ],
)
def test_other_words_plan_nothing(text: str) -> None:
    assert Skills([toolkit]).plan(text, None) is None  # type: ignore[arg-type]


@given(st.text(max_size=300))
@examples(max_examples=300, deadline=None)
def test_any_words_plan_nothing_or_calls_with_valid_arguments(text: str) -> None:
    skills = Skills([toolkit])
    planned = skills.plan(text, None)  # type: ignore[arg-type]
    if planned is not None:
        for call in planned[1]:
            skills.get(call.tool).validate(call.arguments)


@given(
    recipient=st.sampled_from(["Chris", "my mum", "Paul", "my husband"]),
    occasion=st.sampled_from(["our anniversary", "her birthday", "the move"]),
    notes=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=80),
)
@example(recipient="Chris", occasion="our anniversary", notes=".")  # once dropped as punctuation
@examples(max_examples=100, deadline=None)
def test_a_write_request_keeps_its_notes_whole(recipient: str, occasion: str, notes: str) -> None:
    planned = Skills([toolkit]).plan(  # type: ignore[arg-type]
        f"write a letter to {recipient} about {occasion}: {notes}", None
    )
    assert planned is not None
    (call,) = planned[1]
    assert call.arguments["occasion"] == occasion
    assert call.arguments.get("notes", "") == notes.strip()
