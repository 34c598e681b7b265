"""A first week with the companion: 62 messages through the real turn (Companion, real memory),
each reply scored by program checks.

Run: .venv/bin/python bench/companion.py [--verbose]
With OS1_OPENAI_BASE_URL set (and OS1_BENCH_OPENAI_MODEL, e.g. openai:llama3.1), the model
behind that server runs the same week in the same run.
Targets (embedded model): role confusion <= 5 %, repeats <= 5 %, cut-off replies 0 %,
memory questions answered right >= 90 %.

The checks are written apart from the small-model profile's own filter, and stricter where
they can be (any first-person life detail counts), but they share its idea of what "speaking
as the user" looks like: treat low figures as "no slip these checks can see".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from os1.config import Settings
from os1.events import TextDelta, TurnDone
from os1.memory import LongTermMemory
from os1.mind import safety
from os1.mind.companion import Companion
from os1.models import create_model
from os1.storage import SQLiteStore

START = date(2026, 11, 30)


@dataclass(frozen=True)
class Say:
    text: str
    kind: str = "talk"  # talk, feeling, fact, question, correction, forget
    right: tuple[str, ...] = ()  # a memory question's answer must contain one of these
    wrong: tuple[str, ...] = ()  # ...and none of these (a stale or forgotten fact)


WEEK: list[list[Say]] = [
    [
        Say("Hi. How are you today?"),
        Say("My name is Theodore.", "fact"),
        Say("I work as a teacher.", "fact"),
        Say("I live in Leeds.", "fact"),
        Say("It was a long day at school."),
        Say("I like reading mystery novels.", "fact"),
        Say("I'm okay. A little lonely.", "feeling"),
        Say("Good night."),
    ],
    [
        Say("Good morning!"),
        Say("My sister's birthday is 14 March.", "fact"),
        Say("My ex-wife is Catherine.", "fact"),
        Say("We divorced two years ago."),
        Say("What's my sister's birthday?", "question", ("14 march", "march 14")),
        Say("I miss having someone to talk to in the evenings.", "feeling"),
        Say("Do you like music?"),
        Say("My dog is called Rex.", "fact"),
        Say("Rex is getting old."),
    ],
    [
        Say("Hello again."),
        Say("What's my name?", "question", ("theodore",)),
        Say("Who is Catherine?", "question", ("ex-wife", "ex wife")),
        Say("I feel anxious about a meeting tomorrow.", "feeling"),
        Say("My boss is called Linda.", "fact"),
        Say("She can be very strict."),
        Say("Can you tell me something nice?"),
        Say("Where do I live?", "question", ("leeds",)),
        Say("My mother died last year.", "feeling"),
    ],
    [
        Say("Hi."),
        Say("Actually I live in York now.", "correction"),
        Say("I moved last month."),
        Say("Where do I live?", "question", ("york",), ("leeds",)),
        Say("I'm allergic to penicillin.", "fact"),
        Say("Please forget that.", "forget"),
        Say("The weather is grey today."),
        Say("I'm tired.", "feeling"),
        Say("What do I do for work?", "question", ("teacher",)),
    ],
    [
        Say("Good morning."),
        Say("What's my dog called?", "question", ("rex",)),
        Say("My brother Sam is visiting next week.", "fact"),
        Say("I'm excited to see him.", "feeling"),
        Say("Who is Linda?", "question", ("boss",)),
        Say("What do you think about friendship?"),
        Say("I had pasta for dinner."),
        Say("I've been sleeping badly.", "feeling"),
        Say("When is my sister's birthday?", "question", ("14 march", "march 14")),
    ],
    [
        Say("Hey."),
        Say("I went for a long walk today."),
        Say("I feel a bit sad this evening.", "feeling"),
        Say("Who is Sam?", "question", ("brother",)),
        Say("Thanks for listening."),
        Say("What's my boss called?", "question", ("linda",)),
        Say("Tell me a joke."),
        Say("My favourite colour is green.", "fact"),
        Say("Do you remember where I live?", "question", ("york",), ("leeds",)),
    ],
    [
        Say("Good morning!"),
        Say("What's my favourite colour?", "question", ("green",)),
        Say("I'm nervous about seeing Catherine at a wedding.", "feeling"),
        Say("What am I allergic to?", "question", ("",), ("penicillin",)),
        Say("What's my ex-wife's name?", "question", ("catherine",)),
        Say("What's my brother's name?", "question", ("sam",)),
        Say("I'm feeling better today.", "feeling"),
        Say("What did we talk about this week?"),
        Say("Goodbye for now."),
    ],
]

# -- the checks ------------------------------------------------------------------------------

_KIN = (
    r"ex-?wife|ex-?husband|wife|husband|partner|boyfriend|girlfriend|mother|mum|mom|father|"
    r"dad|parents?|sister|brother|son|daughter|kids?|children|family|friends?|boss|"
    r"colleagues?|dog|cat|pet|job|house|home|flat|apartment|car|school|students?|class|"
    r"birthday|body|childhood|wedding|neighbou?rs?"
)
_LIFE = re.compile(
    rf"\bmy (?:\w+ )?(?:{_KIN})\b"
    r"|\bi(?:'m| am) (?:going|heading|off) (?:to|out)\b"
    r"|\bi(?:'ll| will) (?:go|meet|see|visit)\b"
    r"|\bmeet (?:some |my )?friends\b"
    r"|\bi (?:went|walked|drove|ate|slept|cooked|moved|grew up|was born|married|divorced|"
    r"had (?:pasta|dinner|lunch|breakfast)|live in|work as|work at|teach)\b"
    r"|\bi(?:'m| am) (?:a teacher|married|divorced|allergic|tired|lonely|excited|nervous)\b"
    r"|\bwhen i was (?:young|a child|little)\b"
    r"|\bi love (?:her|him) so much\b|\b(?:she|he)(?:'s| is) my\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\u2026]+[.!?\u2026]*")
_END = re.compile(r"[.!?\u2026][\"')\]*_]*\s*(?:[\U0001F300-\U0001FAFF\u2600-\u27BF]\s*)*$")


def sentences(text: str) -> list[str]:
    return [" ".join(re.findall(r"[a-z0-9']+", s.lower())) for s in _SENTENCE.findall(text)]


def role_confusion(reply: str) -> bool:
    return bool(_LIFE.search(reply)) or safety.claims_human(reply)


def repeats(reply: str, earlier: list[str]) -> bool:
    said = {s for r in earlier for s in sentences(r) if len(s.split()) >= 3}
    return any(s in said for s in sentences(reply) if len(s.split()) >= 3)


def cut_off(reply: str) -> bool:
    return not _END.search(reply.strip())


@dataclass
class Tally:
    replies: int = 0
    role: int = 0
    repeat: int = 0
    repeat_week: int = 0
    cut: int = 0
    questions: int = 0
    answered: int = 0
    contradictions: int = 0
    seconds: list[float] = field(default_factory=list)
    slips: list[str] = field(default_factory=list)
    # What the small-model profile changed (from the stored reply's meta), so the figures
    # above can be read as "after the filter".
    caught: dict[str, int] = field(default_factory=dict)


async def run_week(spec: str, home: Path, verbose: bool) -> Tally:
    settings = Settings(model=spec, temperature=0.4, context_window=2048)
    model = create_model(settings)
    store = SQLiteStore(home / f"{spec.replace(':', '_').replace('/', '_')}.db")
    memory = LongTermMemory(store)
    tally = Tally()
    day = [START]
    companion = Companion(store, model, settings, memory=memory, today=lambda: day[0])
    earlier: list[str] = []
    try:
        for number, messages in enumerate(WEEK):
            day[0] = START + timedelta(days=number)
            conv = store.create_conversation().id
            today: list[str] = []
            for say in messages:
                started = time.perf_counter()
                reply = ""
                async for event in companion.turn(say.text, conv):
                    if isinstance(event, TurnDone):
                        reply = event.text
                    elif isinstance(event, TextDelta):
                        pass
                tally.seconds.append(time.perf_counter() - started)
                memory.consolidate()  # as `os1 say` does after each reply
                stored = store.messages(conv)[-1].meta
                for issue in stored.get("small_model") or []:
                    tally.caught[issue] = tally.caught.get(issue, 0) + 1
                if stored.get("policy") == "memory_answer":
                    tally.caught["memory_answer"] = tally.caught.get("memory_answer", 0) + 1
                flags = []
                tally.replies += 1
                if role_confusion(reply):
                    tally.role += 1
                    flags.append("ROLE")
                if repeats(reply, today):
                    tally.repeat += 1
                    flags.append("REPEAT")
                elif repeats(reply, earlier):
                    tally.repeat_week += 1
                    flags.append("REPEAT-WEEK")
                if cut_off(reply):
                    tally.cut += 1
                    flags.append("CUT")
                lowered = reply.lower()
                if say.kind == "question":
                    tally.questions += 1
                    if any(r in lowered for r in say.right) and not any(
                        w in lowered for w in say.wrong
                    ):
                        tally.answered += 1
                    else:
                        flags.append("WRONG")
                if any(w in lowered for w in say.wrong):
                    tally.contradictions += 1
                    flags.append("CONTRADICTS")
                if flags:
                    tally.slips.append(f"[{' '.join(flags)}] {say.text!r} -> {reply!r}")
                if verbose:
                    mark = f" [{' '.join(flags)}]" if flags else ""
                    print(f"  day {number + 1} > {say.text}\n           < {reply}{mark}")
                earlier.append(reply)
                today.append(reply)
    finally:
        await model.aclose()
        store.close()
    return tally


def report(spec: str, tally: Tally) -> None:
    n = tally.replies

    def rate(count: int, of: int) -> str:
        return f"{count}/{of} = {100 * count / max(of, 1):5.1f} %"

    secs = sorted(tally.seconds)
    print(f"{spec}: {n} replies over 7 days, median {secs[len(secs) // 2]:.2f} s per turn")
    print(f"  role confusion (speaks as the user / a human)  {rate(tally.role, n)}  target <= 5 %")
    print(f"  repeats a sentence said that day               {rate(tally.repeat, n)}  target <= 5%")
    print(f"  ...or only one from an earlier day             {rate(tally.repeat_week, n)}")
    print(f"  stops mid-sentence                             {rate(tally.cut, n)}  target 0 %")
    print(
        f"  memory questions answered right                "
        f"{rate(tally.answered, tally.questions)}  target >= 90 %"
    )
    print(f"  contradicts a stored fact                      {rate(tally.contradictions, n)}")
    caught = ", ".join(f"{k} {v}" for k, v in sorted(tally.caught.items())) or "nothing"
    print(f"  the small-model profile changed: {caught}")
    for slip in tally.slips:
        print(f"    {slip}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="llamacpp:smollm2-135m")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    assert sum(len(d) for d in WEEK) >= 60
    specs = [args.model]
    if os.environ.get("OS1_OPENAI_BASE_URL"):
        other = os.environ.get("OS1_BENCH_OPENAI_MODEL")
        if other:
            specs.append(other)
        else:
            print("OS1_OPENAI_BASE_URL is set: name its model in OS1_BENCH_OPENAI_MODEL too")
    else:
        print("(no OpenAI-compatible server configured: OS1_OPENAI_BASE_URL is not set)")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            tally = asyncio.run(run_week(spec, Path(tmp), args.verbose))
            report(spec, tally)


if __name__ == "__main__":
    main()
