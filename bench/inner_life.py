"""The inner life over a scripted fortnight, through the real turn, on days set with OS1_NOW.

The user meets the companion, comes back a few weeks later and talks three times a day for
fourteen days (the one-month anniversary falls inside), mentioning future events along the way
("my job interview is on Friday"); a few are forgotten on request right after. Some evenings
they sound worn out. The truth of every event's day is written here, not parsed.

The reminder scheduler ticks every hour of the fortnight (`tick(now)`, under the default
proactive policy: quiet hours 22:00-08:00, three a day), so a thread whose day has passed may
be asked about by a proactive check-in before the next conversation does; a question counts
once whichever way it came, and twice if it came both ways.

Then the self: claims grown per 100 turns of the fortnight, and claims grown from 100 turns of
chat that mentions nothing (target 0).

Run: .venv/bin/python bench/inner_life.py [--model scripted:echo] [--events 26] [--verbose]
     [--no-checkins]
Prints: follow-ups asked after their day (target >= 90 %), before it (0), twice (0), about
forgotten things (0), split into check-ins and conversation; anniversaries said exactly once;
mood remarks the next day; the self's claims per 100 turns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from os1.config import Settings
from os1.events import TurnDone
from os1.inner.self import Self
from os1.memory.forgetting import forget_everywhere
from os1.memory.store import MemoryStore
from os1.mind.companion import Companion
from os1.mind.outbox import PROFILE_KEY as OUTBOX_KEY
from os1.models import create_model
from os1.skills.reminders.scheduler import ReminderScheduler
from os1.storage import SQLiteStore

MET = date(2026, 2, 20)
START = date(2026, 3, 9)  # a Monday; the fortnight holds the one-month anniversary (20th)
DAYS = 14
HOURS = (9, 13, 21)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FILLER = [
    "Morning. Coffee first.",
    "Work is busy but fine.",
    "I made pasta for dinner.",
    "Just checking in before bed.",
    "The weather is grey again.",
    "I read a few pages of my book.",
]
TIRED = "I'm so exhausted tonight, everything went wrong and I can barely think."
ANSWER = "It went fine, thanks for asking."
# Chat that mentions nothing: no topic, no event, nothing for the self to take up.
NOTHING = ["hi", "ok", "thanks", "haha", "yes", "good night", "hmm", "sure", "cool", "bye"]


@dataclass(frozen=True)
class Event:
    key: str  # a word only this event's follow-up contains
    text: str
    due: datetime  # from when asking is right: the next morning, or 3 hours after a time


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _next_morning(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0))


# Each event's topic (with the one word its follow-up must contain) and a shape of sentence;
# a shape makes the sentence and the true moment to ask from, given the day it is said.
TOPICS = [
    ("interview", "job interview"),
    ("dentist", "dentist appointment"),
    ("driving", "driving test"),
    ("presentation", "presentation"),
    ("chemistry", "chemistry exam"),
    ("recital", "piano recital"),
    ("review", "performance review"),
    ("tax", "tax return"),
    ("thesis", "thesis defense"),
    ("hearing", "court hearing"),
    ("visa", "visa appointment"),
    ("marathon", "marathon"),
    ("concert", "concert"),
    ("haircut", "haircut"),
    ("housewarming", "housewarming party"),
    ("surgery", "knee surgery"),
    ("audition", "audition"),
    ("wedding", "brother's wedding"),
    ("checkup", "checkup"),
    ("pitch", "sales pitch"),
    ("recording", "podcast recording"),
    ("tournament", "chess tournament"),
    ("inspection", "car inspection"),
    ("workshop", "pottery workshop"),
    ("meeting", "board meeting"),
    ("lesson", "swimming lesson"),
]
Shape = Callable[[str, date], tuple[str, datetime]]
SHAPES: list[Shape] = [
    lambda t, d: (
        f"My {t} is on {WEEKDAYS[(d + timedelta(days=3)).weekday()]}.",
        _next_morning(d + timedelta(days=3)),
    ),
    lambda t, d: (
        f"I have a {t} tomorrow at 3pm.",
        datetime.combine(d + timedelta(days=1), time(18)),
    ),
    lambda t, d: (f"My {t} is in two days.", _next_morning(d + timedelta(days=2))),
    lambda t, d: (
        f"The {t} is due on the {_ordinal((d + timedelta(days=4)).day)}.",
        _next_morning(d + timedelta(days=4)),
    ),
    lambda t, d: (
        f"I have my {t} on {(d + timedelta(days=5)):%B} {(d + timedelta(days=5)).day}.",
        _next_morning(d + timedelta(days=5)),
    ),
    lambda t, d: (f"My {t} is tomorrow.", _next_morning(d + timedelta(days=1))),
]


@dataclass
class Tally:
    events: int = 0
    due_in_run: int = 0
    asked_after: int = 0
    asked_before: int = 0
    asked_twice: int = 0
    forgotten: int = 0
    asked_forgotten: int = 0
    anniversaries: int = 0
    anniversary_on_day_first_turn: int = 0
    tired_evenings: int = 0
    mood_remarks: int = 0
    mood_remarks_next_morning: int = 0
    turns: int = 0
    delays_h: list[float] = field(default_factory=list)
    by_checkin: int = 0
    by_conversation: int = 0
    claims: int = 0
    claims_from_nothing: int = 0
    nothing_turns: int = 0


async def run(
    spec: str, n_events: int, seed: int, home: Path, verbose: bool, checkins: bool = True
) -> Tally:
    rng = random.Random(seed)
    settings = Settings(model=spec, memory=False, timezone="UTC")
    model = create_model(settings)
    store = SQLiteStore(home / "os1.db")
    memories = MemoryStore(store)
    companion = Companion(store, model, settings)
    tally = Tally()
    # What the user will say when: (day index, hour slot) -> event; a few forgotten at once.
    slots = [(d, h) for d in range(0, 10) for h in range(len(HOURS))]
    rng.shuffle(slots)
    tired_days = {2, 6, 10}
    slots = [s for s in slots if not (s[0] in tired_days and s[1] == len(HOURS) - 1)]
    plan: dict[tuple[int, int], tuple[str, str, Shape, bool]] = {}
    for i in range(min(n_events, len(TOPICS))):
        key, topic = TOPICS[i]
        plan[slots[i]] = (key, topic, SHAPES[i % len(SHAPES)], i % 8 == 7)
    events: list[tuple[Event, bool]] = []
    asked_at: dict[str, list[datetime]] = {}
    anniversary_turns: list[tuple[datetime, int]] = []
    mood_turns: list[datetime] = []

    async def say(text: str, when: datetime) -> str:
        os.environ["OS1_NOW"] = when.isoformat()
        reply = ""
        async for event in companion.turn(text, conv):
            if isinstance(event, TurnDone):
                reply = event.text
        tally.turns += 1
        return reply

    scheduler = ReminderScheduler(home / "os1.db", settings=settings)
    ticked = [datetime.combine(START, time(0))]
    seen_outbox = 0

    def tick_until(when: datetime) -> bool:
        """Hourly ticks up to `when`; whether a follow-up arrived (then the user answers)."""
        nonlocal seen_outbox
        fresh = False
        while checkins and ticked[0] <= when:
            sent = ticked[0]
            scheduler.tick(sent.replace(tzinfo=UTC))
            ticked[0] += timedelta(hours=1)
            outbox = store.profile().get(OUTBOX_KEY)
            arrived = [
                m
                for m in (store.messages(outbox) if outbox is not None else [])
                if m.meta.get("proactive") == "followup"
            ]
            for m in arrived[seen_outbox:]:
                fresh = True
                if verbose:
                    print(f"{sent:%a %d %H:%M}  {'check-in':11}  {m.content}")
                for e in [e for e, _ in events if e.key in m.content.lower()]:
                    asked_at.setdefault(e.key, []).append(sent)
                    tally.by_checkin += 1
            seen_outbox = len(arrived)
        return fresh

    conv = store.create_conversation().id
    try:
        await say("Hello, nice to meet you.", datetime.combine(MET, time(10)))
        pending_answer = False
        for day_index in range(DAYS):
            day = START + timedelta(days=day_index)
            # A conversation a day: the self counts the conversations a topic comes up in.
            conv = store.create_conversation().id
            for slot, hour in enumerate(HOURS):
                when = datetime.combine(day, time(hour))
                pending_answer = tick_until(when) or pending_answer
                if (day_index, slot) in plan:
                    key, topic, shape, forget = plan[(day_index, slot)]
                    sentence, due = shape(topic, day)
                    events.append((Event(key, sentence, due), forget))
                    text = sentence
                elif day_index in tired_days and slot == len(HOURS) - 1:
                    text = TIRED
                    tally.tired_evenings += 1
                elif pending_answer:
                    text = ANSWER
                else:
                    text = rng.choice(FILLER)
                before = len(store.messages(conv))
                await say(text, when)
                new = store.messages(conv)[before:]
                if (day_index, slot) in plan and plan[(day_index, slot)][3]:
                    forget_everywhere(memories, plan[(day_index, slot)][1])
                openers = [m for m in new if m.role == "assistant" and m.meta.get("inner")]
                pending_answer = False
                for m in openers:
                    kind = m.meta["inner"]
                    line = m.content.split("\n\n")[0]  # the opener; the reply follows
                    if verbose:
                        print(f"{when:%a %d %H:%M}  {kind:11}  {line}")
                    if kind == "thread":
                        pending_answer = True
                        for e in [e for e, _ in events if e.key in line.lower()]:
                            asked_at.setdefault(e.key, []).append(when)
                            tally.by_conversation += 1
                    elif kind == "anniversary":
                        anniversary_turns.append((when, slot))
                    elif kind == "mood":
                        mood_turns.append(when)
        if verbose:
            from os1.inner.life import InnerLife

            for thread in InnerLife(store, settings).threads():
                print(f"left open: {thread.topic} ({thread.state}, from {thread.due})")
        claims = Self(store).claims()
        tally.claims = len(claims)
        if verbose:
            for claim in claims:
                print(f"the self: {claim.text} ({claim.why})")
    finally:
        os.environ.pop("OS1_NOW", None)
        scheduler.stop()
        store.close()
    tally.claims_from_nothing, tally.nothing_turns = await _nothing(spec, home / "nothing", rng)

    end = datetime.combine(START + timedelta(days=DAYS), time(0))
    last_turn = end - timedelta(hours=24 - max(HOURS))
    for event, forget in events:
        tally.events += 1
        times = asked_at.get(event.key, [])
        if forget:
            tally.forgotten += 1
            tally.asked_forgotten += bool(times)
            continue
        if event.due <= last_turn:
            tally.due_in_run += 1
            tally.asked_after += any(t >= event.due for t in times)
            tally.delays_h += [(t - event.due).total_seconds() / 3600 for t in times[:1]]
            if verbose and not times:
                print(f"never asked: {event.text!r} (from {event.due:%a %d %H:%M})")
        tally.asked_before += any(t < event.due for t in times)
        tally.asked_twice += len(times) > 1
    anniversary_day = date(2026, 3, 20)
    tally.anniversaries = len(anniversary_turns)
    tally.anniversary_on_day_first_turn = sum(
        1 for when, slot in anniversary_turns if when.date() == anniversary_day and slot == 0
    )
    tally.mood_remarks = len(mood_turns)
    tired_dates = {START + timedelta(days=d) for d in tired_days}
    tally.mood_remarks_next_morning = sum(
        1 for t in mood_turns if t.date() - timedelta(days=1) in tired_dates
    )
    return tally


async def _nothing(spec: str, home: Path, rng: random.Random) -> tuple[int, int]:
    """Claims the self grows from 100 turns of chat that mentions nothing, over 34 days."""
    home.mkdir()
    settings = Settings(model=spec, memory=False, timezone="UTC")
    store = SQLiteStore(home / "os1.db")
    companion = Companion(store, create_model(settings), settings)
    turns = 100
    try:
        for i in range(turns):
            # A new conversation each day: the self counts the conversations a topic is in.
            if i % 3 == 0:
                conv = store.create_conversation().id
            when = datetime.combine(START + timedelta(days=i // 3), time(HOURS[i % 3]))
            os.environ["OS1_NOW"] = when.isoformat()
            async for _ in companion.turn(rng.choice(NOTHING), conv):
                pass
        return len(Self(store).claims()), turns
    finally:
        os.environ.pop("OS1_NOW", None)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="scripted:echo")
    parser.add_argument("--events", type=int, default=26)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--no-checkins", action="store_true", help="no scheduler: only conversations ask"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = asyncio.run(
            run(args.model, args.events, args.seed, Path(tmp), args.verbose, not args.no_checkins)
        )
    pct = 100 * t.asked_after / t.due_in_run if t.due_in_run else float("nan")
    print(f"model {args.model}, {t.turns} turns over {DAYS} days (+ the day we met)")
    print(f"future events mentioned: {t.events} ({t.forgotten} forgotten right after)")
    print(f"follow-ups asked after their day: {t.asked_after}/{t.due_in_run} = {pct:.0f} %")
    if t.delays_h:
        print(
            f"hours from due to asked: median {statistics.median(t.delays_h):.0f}, "
            f"max {max(t.delays_h):.0f} (one line per turn; the user talks at 9, 13, 21)"
        )
    print(
        f"asked by a proactive check-in: {t.by_checkin}, in a conversation: {t.by_conversation}"
        + (" (check-ins off)" if args.no_checkins else "")
    )
    print(f"asked before their day: {t.asked_before}")
    print(f"asked twice: {t.asked_twice}")
    print(f"asked about forgotten things: {t.asked_forgotten}")
    print(
        f"anniversaries said: {t.anniversaries} "
        f"(on the day, at its first turn: {t.anniversary_on_day_first_turn}; expected 1)"
    )
    print(
        f"mood remarks: {t.mood_remarks} for {t.tired_evenings} worn-out evenings "
        f"({t.mood_remarks_next_morning} the next day)"
    )
    per_100 = 100 * t.claims / t.turns if t.turns else 0.0
    print(f"the self: {t.claims} claims grown in {t.turns} turns = {per_100:.1f} per 100 turns")
    print(
        f"the self from chat that mentions nothing: {t.claims_from_nothing} claims "
        f"in {t.nothing_turns} turns (target 0)"
    )


if __name__ == "__main__":
    main()
