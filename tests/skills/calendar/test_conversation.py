"""Calendar requests in conversation: reads answer at once; adding, moving and cancelling
wait for the user's confirmation of that exact call."""

from __future__ import annotations

from datetime import timedelta

from os1.events import ConfirmationRequired, ToolResult, TurnDone
from os1.skills import SkillContext
from os1.skills.calendar import upcoming_events
from os1.skills.calendar.service import import_ics
from os1.skills.calendar.tools import calendar_add
from tests.conftest import collect
from tests.skills.calendar.conftest import NOW, make_companion


def shown(ctx: SkillContext, days: int = 14) -> list[tuple[str, str]]:
    return [
        (e.summary, f"{e.start:%a %Y-%m-%d %H:%M}-{e.end:%H:%M}")
        for e in upcoming_events(ctx, NOW, NOW + timedelta(days=days))
    ]


async def test_whats_on_tomorrow_is_answered_at_once(ctx: SkillContext) -> None:
    calendar_add.func(ctx, summary="Standup", start="2026-12-01 09:00", minutes=15)
    events = await collect(make_companion(ctx).turn("What's on tomorrow?"))
    assert not [e for e in events if isinstance(e, ConfirmationRequired)]
    done = events[-1]
    assert isinstance(done, TurnDone)
    assert done.text == "Tomorrow (Tuesday 1 December):\n- 09:00–09:15 Standup"


async def test_am_i_free_thursday_evening(ctx: SkillContext) -> None:
    events = await collect(make_companion(ctx).turn("am I free Thursday evening?"))
    assert events[-1].text.startswith("Yes, you're free Thursday evening")  # type: ignore[union-attr]


async def test_adding_an_event_waits_for_confirmation(ctx: SkillContext) -> None:
    companion = make_companion(ctx)
    events = await collect(companion.turn("add lunch with Amy on Friday at 1pm"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert ask.summary == "add “Lunch with Amy” on 2026-12-04 13:00 to your calendar"
    assert "Please confirm" in events[-1].text  # type: ignore[union-attr]
    assert shown(ctx) == []  # nothing yet

    decided = await collect(companion.decide(ask.call_id, True))
    assert isinstance(decided[0], ToolResult) and decided[0].status == "done"
    assert shown(ctx) == [("Lunch with Amy", "Fri 2026-12-04 13:00-14:00")]


async def test_the_words_of_a_request_become_the_event(ctx: SkillContext) -> None:
    companion = make_companion(ctx)
    events = await collect(
        companion.turn("can you add a meeting with the bank tomorrow from 2 to 3:30pm?")
    )
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert ask.arguments == {
        "summary": "Meeting with the bank", "start": "2026-12-01 14:00", "minutes": 90,
        "location": None, "calendar": None,
    }  # fmt: skip
    events = await collect(companion.turn("book a table at Luigi's on Saturday at 8pm"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert (ask.arguments["summary"], ask.arguments["location"]) == ("Table at Luigi's", "Luigi's")


async def test_a_declined_change_changes_nothing(ctx: SkillContext) -> None:
    companion = make_companion(ctx)
    events = await collect(companion.turn("put dentist on Wednesday at 9:30 in my calendar"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    declined = await collect(companion.decide(ask.call_id, False))
    assert isinstance(declined[0], ToolResult) and declined[0].status == "declined"
    assert shown(ctx) == []


async def test_moving_lunch_to_friday_keeps_its_time_once_confirmed(ctx: SkillContext) -> None:
    calendar_add.func(ctx, summary="Lunch with Amy", start="2026-12-01 12:30", minutes=90)
    companion = make_companion(ctx)
    events = await collect(companion.turn("move lunch with Amy to Friday"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert ask.summary == "move “lunch with Amy” to 2026-12-04"
    assert shown(ctx) == [("Lunch with Amy", "Tue 2026-12-01 12:30-14:00")]  # unchanged

    decided = await collect(companion.decide(ask.call_id, True))
    assert decided[0].output == "Moved “Lunch with Amy” to Friday 4 December at 12:30."  # type: ignore[union-attr]
    assert shown(ctx) == [("Lunch with Amy", "Fri 2026-12-04 12:30-14:00")]


async def test_moving_to_a_time_keeps_the_day(ctx: SkillContext) -> None:
    calendar_add.func(ctx, summary="Call with Sam", start="2026-12-02 10:00", minutes=30)
    companion = make_companion(ctx)
    events = await collect(companion.turn("move the call with Sam to 3pm"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    await collect(companion.decide(ask.call_id, True))
    assert shown(ctx) == [("Call with Sam", "Wed 2026-12-02 15:00-15:30")]


async def test_cancelling_deletes_only_after_confirmation(ctx: SkillContext) -> None:
    calendar_add.func(ctx, summary="Lunch with Amy", start="2026-12-04 13:00")
    calendar_add.func(ctx, summary="Gym", start="2026-12-04 18:00")
    companion = make_companion(ctx)
    events = await collect(companion.turn("cancel lunch with Amy on Friday"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert ask.summary == "cancel “lunch with Amy” (2026-12-04)"
    assert len(shown(ctx)) == 2
    await collect(companion.decide(ask.call_id, True))
    assert shown(ctx) == [("Gym", "Fri 2026-12-04 18:00-19:00")]


async def test_cancelling_one_occurrence_of_a_repeating_event_keeps_the_rest(
    ctx: SkillContext,
) -> None:
    import_ics(
        ctx,
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:yoga@t\n"
        "SUMMARY:Yoga\nDTSTART;TZID=Europe/Berlin:20261102T183000\n"
        "DTEND;TZID=Europe/Berlin:20261102T193000\nRRULE:FREQ=WEEKLY;BYDAY=MO\n"
        "END:VEVENT\nEND:VCALENDAR\n",
        "yoga.ics",
    )
    companion = make_companion(ctx)
    events = await collect(companion.turn("cancel yoga on 7 December"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    result = await collect(companion.decide(ask.call_id, True))
    assert "Cancelled that occurrence of “Yoga”" in result[0].output  # type: ignore[union-attr]
    assert [when for _, when in shown(ctx, days=15)] == [
        "Mon 2026-11-30 18:30-19:30",
        "Mon 2026-12-14 18:30-19:30",
    ]


async def test_moving_one_occurrence_of_a_repeating_event_moves_only_it(
    ctx: SkillContext,
) -> None:
    import_ics(
        ctx,
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:yoga@t\n"
        "SUMMARY:Yoga\nDTSTART;TZID=Europe/Berlin:20261102T183000\n"
        "DTEND;TZID=Europe/Berlin:20261102T193000\nRRULE:FREQ=WEEKLY;BYDAY=MO\n"
        "END:VEVENT\nEND:VCALENDAR\n",
        "yoga.ics",
    )
    companion = make_companion(ctx)
    events = await collect(companion.turn("move yoga to Tuesday at 7pm"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    await collect(companion.decide(ask.call_id, True))
    assert [when for _, when in shown(ctx, days=8)] == [
        "Tue 2026-12-01 19:00-20:00",
        "Mon 2026-12-07 18:30-19:30",
    ]


async def test_a_change_to_an_event_that_is_not_there_says_so(ctx: SkillContext) -> None:
    companion = make_companion(ctx)
    events = await collect(companion.turn("cancel lunch with Zed"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    result = await collect(companion.decide(ask.call_id, True))
    assert isinstance(result[0], ToolResult) and result[0].status == "failed"
    assert "can't find an event matching “lunch with Zed”" in result[0].output


async def test_other_requests_are_left_to_other_skills(ctx: SkillContext) -> None:
    companion = make_companion(ctx)
    for text in ("cancel the reminder to call mum", "what's on your mind today?"):
        events = await collect(companion.turn(text))
        assert not [e for e in events if isinstance(e, ConfirmationRequired | ToolResult)]


def test_every_calendar_tool_has_a_schema_for_capable_models() -> None:
    from os1.skills import Skills
    from os1.skills.calendar import toolkit

    schemas = {s["function"]["name"]: s["function"] for s in Skills([toolkit]).schemas()}  # type: ignore[index]
    assert set(schemas) == {
        "calendar_events", "calendar_free", "calendar_add", "calendar_move", "calendar_cancel"
    }  # fmt: skip
    add = schemas["calendar_add"]["parameters"]  # type: ignore[index]
    assert add["required"] == ["summary", "start"]
    assert "all-day" in add["properties"]["start"]["description"]
