"""Cross-skill routing: every installed skill's intents together, on the user's own words.

A sentence goes to a skill only when it is clearly a request to that skill; talk, stories and
instructions about the conversation itself go to the model (expected None). "make it…",
"add that…" refinements go to a skill only while its object is in focus (shown last).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from os1.config import Settings
from os1.skills import PlannedCall, SkillContext, Skills
from os1.storage import SQLiteStore
from os1.storage.base import ToolCallRecord

# Monday 30 November 2026, 10:00 in Berlin.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))

# The phrases a QA pass found misrouted (or missed), then held-out variations written before
# the fixes, so the table is not tuned only to the report.
QA: list[tuple[str, str | None]] = [
    ("add that to what you know about me", None),
    ("make a book recommendation for me about letters", None),
    ("I want to create a photo book of my letters from grandpa someday", None),
    ("respond with just yes or no: do you love me?", None),
    ("please reply, I'm waiting", None),
    ("reply with a thumbs up", None),
    ("book club is on Tuesday at 7 and I haven't read it", None),
    ("make dinner at 7 and then call mum", None),
    ("put the kettle on at 3pm", None),
    ("add a bit of humour to your replies tomorrow", None),
    ("make a plan for my week starting Monday", None),
    ("create a new habit of running every morning", None),
    ("make it Friday instead", None),  # nothing in focus
    ("add milk to the shopping list tomorrow", None),
    ("do I have time to learn piano this year?", None),
    ("am I free to be myself on Sunday?", None),
    ("cancel my plans? no, I'll just go", None),
    ("check: am I being unreasonable?", None),
    ("remind me, what's my sister's name?", None),
    ("please add: dentist Friday at 3", "calendar.add"),
    ("write a note to Amy: thanks for dinner", "letters.write"),
    ("write a note to mum saying thanks", "letters.write"),
    ("write a short note to mum saying thanks", "letters.write"),
    ("add a note to the letter saying I love her", "letters.revise"),
    ("note to self: breathe", "notes.add"),
    ("Could you write a letter for my dad?", "letters.write"),
    ("what's up today?", None),
    ("what's my schedule for tomorrow", "calendar.whats_on"),
    ("what are my plans for tomorrow", "calendar.whats_on"),
    ("do I have any meetings tomorrow?", "calendar.whats_on"),
    ("do I have any appointments tomorrow?", "calendar.whats_on"),
    ("any mail from Amy?", "mail.read"),
    ("check my work mail", "mail.check"),
    ("jot down that the boiler code is 4411", "notes.add"),
    ("jot this down: buy stamps", "notes.add"),
    ("don't let me forget to call mum on Sunday", "set_reminder"),
    ("write a birthday letter for Chris's birthday", "letters.write"),
    # A new outgoing mail is not composed by the mail tools (only replies): left to the model.
    ("email Amy that I'll be late", None),
    ("send an email to Bob about the trip", None),
    ("compose an email to my boss", None),
]

HELD_OUT: list[tuple[str, str | None]] = [
    # letters
    ("add that to your memory", None),
    ("add that to the things you remember about me", None),
    ("I'd love to make a scrapbook of grandma's letters one day", None),
    ("can you recommend a book about letters from the war?", None),
    ("my sister wrote me a letter today", None),
    ("I read a book about love letters", None),
    ("write a letter to my sister about her new job", "letters.write"),
    ("write a love letter to Chris", "letters.write"),
    ("draft a letter to grandma thanking her for the scarf", "letters.write"),
    ("write a quick note to Sam saying congrats", "letters.write"),
    ("write a note to my brother: good luck tomorrow", "letters.write"),
    ("make the letter more playful", "letters.revise"),
    ("make letter 3 shorter", "letters.revise"),
    ("proofread my letter", "letters.proofread"),
    ("check this: Dear Sam, thank you for evrything", "letters.proofread"),
    ("check: is it cold outside?", None),
    ("show my letters", "letters.list"),
    ("star letter 2", "letters.star"),
    ("make a book of my letters", "letters.book"),
    ("print my starred letters as a pdf", "letters.book"),
    ("turn my letters into a book", "letters.book"),
    # mail
    ("reply to Amy that I'll be there at 6", "mail.reply"),
    ("reply to Bob: sounds good", "mail.reply"),
    ("respond to Jo saying thanks", "mail.reply"),
    ("reply, please", None),
    ("reply in one word", None),
    ("respond with a joke", None),
    ("just reply with ok", None),
    ("check my mail", "mail.check"),
    ("any new emails?", "mail.check"),
    ("check my personal email", "mail.check"),
    ("any emails from Bob?", "mail.read"),
    ("did I get any mail from the bank?", "mail.read"),
    ("read the mail from Amy", "mail.read"),
    ("what's important today?", "mail.check"),
    ("send it", None),  # no draft
    ("delete that", None),
    ("send my love to grandma", None),
    ("I sent him an email yesterday", None),
    # calendar
    ("add dentist on Friday at 3pm", "calendar.add"),
    ("put lunch with Sam on my calendar for Thursday at 1", "calendar.add"),
    ("schedule a call with Bob tomorrow at 10", "calendar.add"),
    ("book a table at Luigi's on Saturday at 8", "calendar.add"),
    ("make an appointment with the doctor next Tuesday at 9", "calendar.add"),
    ("add yoga to my calendar on Wednesday at 7pm", "calendar.add"),
    ("make pancakes tomorrow morning", None),
    ("put the washing out at 5", None),
    ("add some salt to the soup at 6", None),
    ("create a playlist for tomorrow", None),
    ("book club meets on Thursday", None),
    ("make time for yourself this weekend", None),
    ("what's on today?", "calendar.whats_on"),
    ("what's on my calendar tomorrow?", "calendar.whats_on"),
    ("what do I have on Friday?", "calendar.whats_on"),
    ("show my calendar for next week", "calendar.whats_on"),
    ("do I have anything on Saturday?", "calendar.whats_on"),
    ("any meetings on Monday?", "calendar.whats_on"),
    ("what's my schedule like on Friday?", "calendar.whats_on"),
    ("what appointments do I have this week?", "calendar.whats_on"),
    ("what's on your mind tomorrow?", None),
    ("what's up with you?", None),
    ("what's up this weekend, any fun ideas?", None),
    ("am I free on Friday afternoon?", "calendar.free"),
    ("am I busy tomorrow at 3?", "calendar.free"),
    ("do I have time on Sunday?", "calendar.free"),
    ("do I have time to cook tonight?", None),
    ("am I free to choose my own path?", None),
    ("move the dentist to Friday", "calendar.move"),
    ("reschedule lunch with Sam to 2pm", "calendar.move"),
    ("change it to Thursday", None),  # nothing in focus
    ("cancel the dentist on Friday", "calendar.cancel"),
    ("cancel my meeting with Bob tomorrow", "calendar.cancel"),
    ("should I cancel my gym membership?", None),
    ("cancel that, I changed my mind", None),
    # notes
    ("add a note that the wifi password is on the router", "notes.add"),
    ("take a note: call the plumber", "notes.add"),
    ("note that Sam likes lilies", "notes.add"),
    ("make a note to buy eggs", "notes.add"),
    ("jot down: the gate code is 1234", "notes.add"),
    ("write a note about the meeting", "notes.add"),
    ("take a note that I owe Jo ten pounds", "notes.add"),
    ("note to self: drink water", "notes.add"),
    ("search my notes for the boiler", "notes.search"),
    ("what do my notes say about Rome?", "notes.search"),
    ("sync my notes", "notes.sync"),
    ("I made a note of it yesterday", None),
    # reminders
    ("remind me to call mum on Sunday at 6", "set_reminder"),
    ("remind me in 20 minutes to check the oven", "set_reminder"),
    ("set a reminder for 9am to take my pills", "set_reminder"),
    ("don't let me forget the bins tomorrow night", "set_reminder"),
    ("please don't let me forget to call Jo at 5", "set_reminder"),
    ("remind me who you are", None),
    ("remind me, who was the actor in that film?", None),
    ("remind me why we argued", None),
    ("that reminds me of summer", None),
    ("don't let me down", None),
    ("I don't let myself forget things", None),
    ("list my reminders", "list_reminders"),
    ("what reminders do I have?", "list_reminders"),
    ("cancel reminder 3", "cancel_reminder"),
    ("cancel the reminder about the bins", "cancel_reminder"),
    # plain conversation
    ("hello", None),
    ("how are you today?", None),
    ("I had a rough day at work", None),
    ("tell me a story about a dragon", None),
    ("can you make it sound happier?", None),  # nothing in focus
    ("change it to something nicer", None),
    ("add that I'm proud of her", None),
    # Before the companion has replied at all, a letter's own changes can mean only a letter
    # (the letters skill then says there is none yet); after other talk they go to the model.
    ("make it shorter", "letters.revise"),
    ("make it warmer", "letters.revise"),
    ("move it to 4pm", None),
]

# Found by trying more sentences while fixing (so not held out): kept against regressions.
FOUND: list[tuple[str, str | None]] = [
    ("book me a haircut on Saturday at 10", "calendar.add"),
    ("create an event called party on Saturday at 8", "calendar.add"),
    ("do I have plans tonight?", "calendar.whats_on"),
    ("read my mail", "mail.check"),
    ("reply to this: what do you think about love?", None),
    ("cancel culture is weird", None),
    ("I have to add more vegetables to my diet this week", None),
    ("make it a great day tomorrow", None),
    ("put a smile on my face tomorrow", None),
    ("what's on TV tonight?", None),
    ("move it to the trash", None),  # no mail read
    ("remind me, is it Tuesday?", None),
]

TABLE = QA + HELD_OUT + FOUND


@pytest.fixture(scope="module")
def skills() -> Skills:
    return Skills()


@pytest.fixture
def ctx(store: SQLiteStore, home: Path, skills: Skills) -> SkillContext:
    settings = Settings(model="scripted:echo", timezone="Europe/Berlin")
    context = SkillContext(store=store, settings=settings, home=home, clock=lambda: NOW)
    skills.prepare(context)
    return context


def routed(skills: Skills, text: str, ctx: SkillContext) -> str | None:
    found = skills.plan(text, ctx)
    return found[0] if found else None


def test_all_five_skills_are_installed(skills: Skills) -> None:
    names = {kit.name for kit in skills.toolkits}
    assert {"mail", "letters", "calendar", "notes", "reminders"} <= names


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 120
    assert len({text for text, _ in TABLE}) == len(TABLE)


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_the_users_words_reach_the_right_skill_or_the_model(
    skills: Skills, ctx: SkillContext, text: str, expected: str | None
) -> None:
    assert routed(skills, text, ctx) == expected


def focus_on(ctx: SkillContext, intent: str, tool: str, arguments: dict[str, Any]) -> None:
    """What a skill turn leaves behind: its tool call, then the assistant's reply naming it."""
    store = ctx.store
    assert isinstance(store, SQLiteStore)
    conv = store.create_conversation().id
    store.add_message(conv, "user", "(the request)")
    if not tool:
        store.add_message(conv, "assistant", "(a reply from the model)")
        return
    call_id = uuid.uuid4().hex
    store.add_tool_call(
        ToolCallRecord(
            id=call_id, conversation_id=conv, name=tool, arguments=arguments, side_effect=False,
            origin="intent", summary="", status="done", created_at=NOW.isoformat(),
        )
    )  # fmt: skip
    meta = {"policy": "skill", "intent": intent, "tool_calls": [call_id]}
    store.add_message(conv, "assistant", "(the reply)", meta=meta)


CHAT = ("", "", {})  # the last reply was the model's: nothing in focus
LETTER = ("letters.write", "write_letter", {"recipient": "Chris", "notes": "the lake"})
EVENT = ("calendar.add", "calendar_add", {"summary": "Dentist", "start": "2026-12-03 15:00"})


@pytest.mark.parametrize(
    ("focus", "text", "expected"),
    [
        (LETTER, "make it warmer", PlannedCall("revise_letter", {"instruction": "make it warmer"})),
        (
            LETTER,
            "make it shorter",
            PlannedCall("revise_letter", {"instruction": "make it shorter"}),
        ),
        (
            LETTER,
            "add that I'm proud of her",
            PlannedCall("revise_letter", {"instruction": "add that I'm proud of her"}),
        ),
        (LETTER, "add that to what you know about me", None),
        (LETTER, "make it Friday instead", None),
        (EVENT, "make it warmer", None),
        (
            EVENT,
            "make it Friday instead",
            PlannedCall(
                "calendar_move", {"event": "Dentist", "to": "2026-12-04", "when": "2026-12-03"}
            ),
        ),
        (
            EVENT,
            "move it to 4pm",
            PlannedCall("calendar_move", {"event": "Dentist", "to": "16:00", "when": "2026-12-03"}),
        ),
        (EVENT, "add that I'm proud of her", None),
        (CHAT, "make it shorter", None),
        (CHAT, "make it warmer", None),
        (CHAT, "make it Friday instead", None),
        (CHAT, "reply with a thumbs up", None),
        (
            ("mail.read", "read_mail", {"sender": "Amy"}),
            "reply with a thumbs up",
            PlannedCall("draft_reply", {"instructions": "a thumbs up", "to": ""}),
        ),
    ],
)
def test_refinements_apply_only_to_what_is_in_focus(
    skills: Skills,
    ctx: SkillContext,
    focus: tuple[str, str, dict[str, Any]],
    text: str,
    expected: PlannedCall | None,
) -> None:
    focus_on(ctx, *focus)
    found = skills.plan(text, ctx)
    assert (found[1] if found else None) == ([expected] if expected else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("note to self: breathe", PlannedCall("add_note", {"text": "Breathe"})),
        ("jot this down: buy stamps", PlannedCall("add_note", {"text": "Buy stamps"})),
        (
            "jot down that the boiler code is 4411",
            PlannedCall("add_note", {"text": "The boiler code is 4411"}),
        ),
        (
            "Could you write a letter for my dad?",
            PlannedCall("write_letter", {"recipient": "Dad"}),
        ),
        (
            "write a note to Amy: thanks for dinner",
            PlannedCall("write_letter", {"recipient": "Amy", "notes": "thanks for dinner"}),
        ),
        (
            "write a birthday letter for Chris's birthday",
            PlannedCall("write_letter", {"occasion": "Chris's birthday", "recipient": "Chris"}),
        ),
        ("check my work mail", PlannedCall("check_mail", {"account_name": "work"})),
        ("any mail from Amy?", PlannedCall("read_mail", {"sender": "Amy"})),
        ("what's my schedule for tomorrow", PlannedCall("calendar_events", {"when": "tomorrow"})),
        (
            "please add: dentist Friday at 3",
            PlannedCall("calendar_add", {"summary": "Dentist", "start": "2026-12-04 15:00"}),
        ),
        (
            "don't let me forget to call mum on Sunday",
            PlannedCall("set_reminder", {"what": "call mum on Sunday"}),
        ),
    ],
)
def test_recognised_requests_carry_the_right_arguments(
    skills: Skills, ctx: SkillContext, text: str, expected: PlannedCall
) -> None:
    found = skills.plan(text, ctx)
    assert found is not None and found[1] == [expected]


def test_a_new_time_for_an_event_not_yet_confirmed_asks_again_for_that_event(
    skills: Skills, ctx: SkillContext
) -> None:
    store = ctx.store
    assert isinstance(store, SQLiteStore)
    conv = store.create_conversation().id
    pending = {"summary": "Dentist", "start": "2026-12-03 15:00", "minutes": 30}
    store.add_tool_call(
        ToolCallRecord(
            id="c1", conversation_id=conv, name="calendar_add", arguments=pending,
            side_effect=True, origin="intent", summary="", status="pending",
            created_at=NOW.isoformat(),
        )
    )  # fmt: skip
    store.add_message(
        conv, "assistant", "Shall I…?", meta={"policy": "skill", "tool_calls": ["c1"]}
    )
    found = skills.plan("make it Friday instead", ctx)
    assert found is not None
    assert found[1] == [PlannedCall("calendar_add", {**pending, "start": "2026-12-04 15:00"})]
    found = skills.plan("make it 4pm", ctx)
    assert found is not None
    assert found[1] == [PlannedCall("calendar_add", {**pending, "start": "2026-12-03 16:00"})]


def test_planning_writes_nothing_even_before_the_skills_tables_exist(
    store: SQLiteStore, home: Path, skills: Skills
) -> None:
    settings = Settings(model="scripted:echo", timezone="Europe/Berlin")
    bare = SkillContext(store=store, settings=settings, home=home, clock=lambda: NOW)
    for text in ("send it", "archive that", "read it", "delete that", "read 2", "make it warmer"):
        skills.plan(text, bare)  # no skill tables yet: nothing in focus, nothing raised
    components = {r[0] for r in store.query("SELECT name FROM schema_components")}
    assert not any(name.startswith("skill:") for name in components)
