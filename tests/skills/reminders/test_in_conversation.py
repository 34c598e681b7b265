"""A reminder set in a conversation is delivered in that conversation, not a separate outbox."""

from __future__ import annotations

from datetime import timedelta

from os1.config import Settings
from os1.events import TurnDone
from os1.mind.companion import Companion
from os1.models import create_model
from os1.skills import SkillContext, Skills
from os1.skills.reminders import book, toolkit
from os1.skills.reminders.tools import create
from tests.conftest import collect
from tests.skills.reminders.conftest import LONDON_SETTINGS, Clock, World
from tests.skills.reminders.test_scheduler import WED_10


def test_a_reminder_set_in_a_conversation_arrives_in_it(world: World) -> None:
    store = world.store()
    conv = store.create_conversation("Plans")
    ctx = SkillContext(
        store=store,
        settings=world.settings,
        home=world.home,
        clock=lambda: WED_10,
        conversation_id=conv.id,
    )
    create(ctx, "in 20 minutes to check the oven")
    clock = Clock(WED_10 + timedelta(minutes=20))
    with world.scheduler(clock) as scheduler:
        assert scheduler.tick().fired == 1
    said = [m for m in store.messages(conv.id) if m.role == "assistant"]
    assert [m.content for m in said] == ["Reminder: check the oven"]
    assert said[0].meta["proactive"] == "reminder"
    assert world.arrived() == []  # not in the outbox as well


def test_a_reminder_whose_conversation_was_deleted_goes_to_the_outbox(world: World) -> None:
    store = world.store()
    conv = store.create_conversation("Plans")
    ctx = SkillContext(
        store=store,
        settings=world.settings,
        home=world.home,
        clock=lambda: WED_10,
        conversation_id=conv.id,
    )
    create(ctx, "in 5 minutes to stretch")
    store.delete_conversation(conv.id)
    clock = Clock(WED_10 + timedelta(minutes=5))
    with world.scheduler(clock) as scheduler:
        assert scheduler.tick().fired == 1
    assert [m["text"] for m in world.arrived()] == ["Reminder: stretch"]


async def test_the_conversation_of_the_turn_reaches_the_reminder_tool(world: World) -> None:
    store = world.store()
    settings = Settings(**{**LONDON_SETTINGS, "model": "scripted:echo"})
    ctx = SkillContext(store=store, settings=settings, home=world.home, clock=lambda: WED_10)
    companion = Companion(
        store, create_model(settings), settings, skills=Skills([toolkit]), skill_context=ctx
    )
    events = await collect(companion.turn("Remind me to call mum on Sunday at 6"))
    done = events[-1]
    assert isinstance(done, TurnDone)
    [reminder] = book.listed(store)
    row = store.query("SELECT conversation_id FROM reminders WHERE id = ?", (reminder.id,))
    assert row[0]["conversation_id"] == done.conversation_id
