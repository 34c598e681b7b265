"""Forgetting in the user's own words: which messages are requests, what is asked when the
target is unclear, and that a forget reaches every copy, down to the bytes of the files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from os1.config import Settings
from os1.events import TurnDone
from os1.language import Analysis, Token, use_analyzer
from os1.language.fake import FakeAnalyzer
from os1.memory import LongTermMemory
from os1.memory.forget_reply import forget_request
from os1.mind.companion import Companion
from os1.mind.persona import ANSWERS, Identity, system_prompt
from os1.models.scripted import ScriptedModel
from os1.skills.reminders import book
from os1.skills.reminders.parse import When
from os1.storage import SQLiteStore
from os1.storage.base import ToolCallRecord
from tests.conftest import collect

BENCH = Path(__file__).resolve().parents[2] / "bench"


def companion_with(store: SQLiteStore, memory: LongTermMemory, reply: str) -> Companion:
    return Companion(
        store, ScriptedModel(replies=[reply]), Settings(model="scripted:echo"), memory=memory
    )


async def say(companion: Companion, text: str) -> TurnDone:
    done = (await collect(companion.turn(text)))[-1]
    assert isinstance(done, TurnDone)
    return done


def copies_on_disk(home: Path, word: bytes) -> dict[str, int]:
    return {f.name: f.read_bytes().lower().count(word) for f in home.glob("os1.db*")}


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Forget what I said about Catherine.", "Catherine"),
        ("Can you erase the stuff about Gregor?", "Gregor"),
        ("Stop remembering my address.", "my address"),
        ("Never mind what I said about Tom.", "Tom"),
        ("Don't keep that.", "that"),
        ("Scratch that.", "that"),
        ("Forget everything about her.", None),
        # Wishes, statements and helpers that ask through the parse, not a list of sentences.
        ("I'd rather you didn't store my address", "my address"),
        ("I'd appreciate it if you forgot about Nadia.", "Nadia"),
        ("you should forget about Vera", "Vera"),
        ("can you make yourself forget Felix", "Felix"),
        ("don't bother remembering what I said about Ivan", "Ivan"),
        ("take Mona out of your memory", "Mona"),
        ("I've changed my mind, delete what I told you about Pete", "Pete"),
        ("I take back what I said about my boss.", "my boss"),
        ("would you mind deleting everything about Greta", "Greta"),
        ("is it possible for you to forget what I said about Lars", "Lars"),
        ("you don't have to remember anything about Rosa", "Rosa"),
        ("pretend I never told you about Jules", "Jules"),
        ("Let go of what I told you about Amy.", "Amy"),
        ("Please let go of the thing about my job.", "my job"),
        ("I'd like everything about Amy deleted.", "Amy"),
        ("I want my address erased.", "my address"),
        # Targets read from the object's subtree.
        ("scrap what I said", "that"),
        ("forget the thing with Ingrid", "Ingrid"),
        ("forget about the whole Tessa thing", "Tessa"),
        ("kindly erase my details", "my details"),
        ("I regret telling you about the affair, please forget it", "affair"),
        ("Delete that stuff.", None),  # which stuff? ask
        ("wipe it", None),
    ],
)
def test_requests_to_forget_are_read_from_the_parse(text: str, target: str | None) -> None:
    found = forget_request(text)
    assert found is not None and found.target == target


@pytest.mark.parametrize(
    "text",
    [
        "Do you ever forget things?",  # a question about forgetting
        "I forgot my keys.",  # a story
        "Don't forget to call mum.",  # a reminder
        "Forget it, let's talk about dinner.",  # a dismissal
        "Never mind.",
        "Delete the reminder about the dentist.",  # a skill's thing, not a memory
        "I wish I could forget Catherine.",
        "wipe the floor",  # verbs that also act on the world, with a thing of the world
        "drop me a line",
        "clear the air with Jan",
        "delete my calendar entry for Friday",
        "you'll forget about this eventually",  # a prediction, not a request
        "you must forget a lot of things",
        "she took back what she said about Jan",
        "get rid of the spider in the bath",
        "I don't have to remember my password anymore",
        "would you mind reminding me at 5",
        "just drop it",  # "it" with a verb of the world: let it go
        "Let me go of course",
        "I need to let go of the past.",  # the user's own letting go
        "Don't let go of what I told you about Amy",
        "I'd like the trash removed.",  # a wish about the world
        "I want the reminder deleted.",  # a skill's thing
        "She wants her posts deleted.",  # someone else's wish
        "I don't want anything about Tom deleted.",
        "I want Sarah removed from the group chat.",  # the world, not memory
        "I want Jake dropped off at school by 8.",
        "I want Priya removed from the lease.",
        "I want Oliver wiped off the leaderboard.",
        "Let go of the past.",
        "Let go of the rope!",
    ],
)
def test_talk_about_forgetting_is_not_a_request(text: str) -> None:
    assert forget_request(text) is None


def test_the_phrasing_set_dev_half_meets_the_targets() -> None:
    import sys

    sys.path.insert(0, str(BENCH))
    try:
        import understanding
    finally:
        sys.path.remove(str(BENCH))
    dev = understanding.score("forget")["dev"]
    assert dev.tp + dev.fn >= 40 and dev.fp + dev.tn >= 30
    assert dev.recall >= 0.90, dev.errors
    assert dev.precision >= 0.98, dev.errors


def test_the_analyzer_is_a_swappable_seam() -> None:
    """A scripted analysis stands in for spaCy: the recogniser reads only the analysis."""
    words = [
        ("Forget", "forget", "VERB", "VB", "ROOT", 0),
        ("Zed", "zed", "PROPN", "NNP", "dobj", 0),
    ]
    scripted = Analysis(
        "Forget Zed",
        tuple(Token(i, *w, space=" ") for i, w in enumerate(words)),  # type: ignore[arg-type]
    )
    fake = FakeAnalyzer({"Forget Zed": scripted})
    with use_analyzer(fake):
        found = forget_request("Forget Zed")
        assert forget_request("Forget Ada") is None  # unscripted: a flat parse, no request
    assert found is not None and found.target == "Zed"
    assert fake.calls == ["Forget Zed", "Forget Ada"]


async def test_forgetting_someone_reaches_every_copy_down_to_the_bytes(
    home: Path, store: SQLiteStore, memory: LongTermMemory
) -> None:
    answers = {"current_life": "Looking after my sister Catherine", "social": "Long walks"}
    store.set_profile(ANSWERS, answers)
    companion = companion_with(store, memory, "How is Catherine doing?")
    await say(companion, "My sister Catherine broke her hip.")
    await say(companion, "I love hiking in the hills.")
    await say(companion, "Catherine is coming to stay on Friday.")
    memory.consolidate()
    due = When(datetime.now(UTC) + timedelta(days=1))
    book.add(store, "ring Catherine about the hospital", due, "UTC")
    book.add(store, "water the plants", due, "UTC")
    conv = store.list_conversations()[0].id
    store.add_tool_call(
        ToolCallRecord("call-1", conv, "send_mail", {"to": "catherine@example.org"}, True,
                       "model", "Mail Catherine", "pending", datetime.now(UTC).isoformat())
    )  # fmt: skip
    assert copies_on_disk(home, b"catherin")["os1.db-wal"] > 0

    done = await say(companion, "Forget what I said about Catherine.")

    assert done.text.startswith("Done. I've forgotten everything about them: 2 memories,")
    for counted in ("5 conversation turns", "1 onboarding answer", "1 action"):
        assert counted in done.text
    # The one booked here, and any follow-up the companion set itself ("How did it go with…").
    assert re.search(r"\b\d+ reminders?\b", done.text)
    assert "Catherine" not in done.text  # the reply is stored: it must not remember her again
    identity = Identity.load(store)
    assert identity.answers == {"social": "Long walks"}
    prompt = system_prompt(identity, datetime.now(UTC).date())
    exported = json.dumps(memory.store.export())
    assert "catherin" not in (prompt + exported).lower()
    assert [r.text for r in book.listed(store)] == ["water the plants"]
    assert any("hiking" in m.text for m in memory.store.list())
    left = copies_on_disk(home, b"catherin")  # the database, its WAL and index, lock files
    assert {"os1.db", "os1.db-wal", "os1.db-shm"} <= set(left) and not any(left.values())


async def test_forget_that_takes_the_previous_turn_and_the_reply_in_numbers(
    home: Path, store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory, "Whiskers is a lovely name.")
    await say(companion, "My password hint is the name of my cat, Whiskers.")
    done = await say(companion, "Scratch that.")
    assert done.text == "Okay. I've forgotten that: 2 conversation turns."
    assert set(copies_on_disk(home, b"whiskers").values()) == {0}


async def test_an_unclear_target_is_asked_about_and_nothing_is_forgotten(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory, "ok")
    await say(companion, "My sister Anna lives in Porto.")
    memory.consolidate()
    before = len(memory.store.list())
    asked = await say(companion, "Forget everything about her.")
    assert asked.text.startswith("Which memories do you mean?")
    vague = await say(companion, "Delete that stuff.")
    assert vague.text.startswith("Which memories do you mean?") and "Anna" in vague.text
    near = await say(companion, "Forget what I said about my sister Catherine.")
    assert near.text.startswith("I have nothing that says exactly that. Did you mean")
    assert "Anna" in near.text
    nothing = await say(companion, "Please forget about Zanzibar.")
    assert nothing.text == "I don't have anything about that to forget."
    assert any("Anna" in m.text for m in memory.store.list())
    assert len(memory.store.list()) >= before


async def test_forgetting_everything_is_not_done_from_chat(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory, "ok")
    await say(companion, "I love hiking.")
    done = await say(companion, "Forget everything.")
    assert "won't do it from a chat message" in done.text
    assert any("hiking" in m.text for m in memory.store.list())


def test_forgetting_in_chat_leaves_no_trace_in_the_persona_export_or_files(home: Path) -> None:
    from tests.helpers import os1

    os1(home, "persona", "set", "current_life", "Caring for my sister Catherine after her fall")
    os1(home, "say", "My sister Catherine broke her hip.")
    os1(home, "say", "I love hiking in the hills.")
    os1(home, "remind", "ring Catherine tomorrow at 9am")
    os1(home, "remind", "water the plants tomorrow at 9am")
    os1(home, "self", "edit", "--add", "interest", "--text", "How Catherine's hip heals")
    said = os1(home, "say", "I'd rather you didn't keep what I told you about Catherine.")
    assert "I've forgotten everything about them" in said.stdout
    assert "1 onboarding answer" in said.stdout and "1 reminder" in said.stdout
    assert "water the plants" in os1(home, "reminders", "list").stdout
    assert (
        "Catherine" not in os1(home, "self", "show").stdout + os1(home, "reminders", "list").stdout
    )
    assert "Catherine" not in os1(home, "persona", "show").stdout
    exported = os1(home, "memory", "export").stdout
    assert "hiking" in exported and "catherin" not in exported.lower()
    assert set(copies_on_disk(home, b"catherin").values()) == {0}
    # Nor any other file of the home (logs, journal, caches), not only the database.
    kept = [f for f in home.rglob("*") if f.is_file() and b"catherin" in f.read_bytes().lower()]
    assert kept == []
