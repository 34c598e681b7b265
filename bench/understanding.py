"""How well OS1 understands the user's own words: each kind of request (forget; questions about
what the user told) scored on a fixed phrasing set, split into a dev half (to develop on) and a
held-out half (to report), by a stable hash of the text.

Future dates (`--kind dates`, tests/data/dates.jsonl) are scored as accuracy: each phrase,
read as a reminder or a plan against a fixed now and zone, must resolve to the expected moment
(or to nothing).

Run: .venv/bin/python bench/understanding.py [--kind forget] [--show-errors dev]
Targets (issue "OS1 understands the user's own words"): held-out recall >= 0.90, precision
>= 0.98 for each kind.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from os1.language import Analysis, analyze
from os1.memory.answers import read_memory_question
from os1.memory.forget_request import read_forget_request
from os1.skills.base import ToolError
from os1.time.future import parse_reminder, parse_span

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def split_of(text: str) -> str:
    """dev or heldout, fixed forever by the text itself."""
    return "dev" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "heldout"


def _forget(analysis: Analysis) -> tuple[str, str | None]:
    found = read_forget_request(analysis)
    return ("forget", found.target) if found is not None else ("none", None)


def _memory_question(analysis: Analysis) -> tuple[str, str | None]:
    """Target "attribute:subject", e.g. "birthday:sister", "lives_in:user"."""
    found = read_memory_question(analysis)
    if found is None:
        return ("none", None)
    return ("memory_question", f"{found.attribute}:{found.subject}")


@dataclass(frozen=True)
class Kind:
    data: str  # JSONL of {"text", "expected": {"kind", "target"}}
    read: Callable[[Analysis], tuple[str, str | None]]


# Other kinds (facts, corrections, reminders) are added here with their own phrasing set.
KINDS: dict[str, Kind] = {
    "forget": Kind("forget_phrasings.jsonl", _forget),
    "memory_question": Kind("memory_questions.jsonl", _memory_question),
}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    target_right: int = 0
    errors: list[str] | None = None

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _same_target(got: str | None, want: str | None) -> bool:
    def norm(t: str | None) -> str | None:
        return None if t is None else t.lower().removeprefix("the ").strip()

    return norm(got) == norm(want)


def score(kind: str) -> dict[str, Score]:
    spec = KINDS[kind]
    scores = {"dev": Score(errors=[]), "heldout": Score(errors=[])}
    for line in (DATA / spec.data).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text, want = row["text"], row["expected"]
        got_kind, got_target = spec.read(analyze(text))
        s = scores[split_of(text)]
        assert s.errors is not None
        positive, expected = got_kind == kind, want["kind"] == kind
        if positive and expected:
            s.tp += 1
            if _same_target(got_target, want["target"]):
                s.target_right += 1
            else:
                s.errors.append(f"target {got_target!r} != {want['target']!r}: {text}")
        elif positive:
            s.fp += 1
            s.errors.append(f"false {kind}: {text}")
        elif expected:
            s.fn += 1
            s.errors.append(f"missed: {text}")
        else:
            s.tn += 1
    return scores


# The moment every phrase of tests/data/dates.jsonl is said: Monday 30 November 2026, 10:00.
DATES_ZONE = ZoneInfo("Europe/Berlin")
DATES_NOW = datetime(2026, 11, 30, 10, 0, tzinfo=DATES_ZONE)


def resolve_date(text: str, reader: str) -> dict[str, str] | None:
    """What os1.time makes of a phrase: a reminder's due time, or a plan's start and end."""
    stamp = "%Y-%m-%dT%H:%M"
    if reader == "reminder":
        try:
            due = parse_reminder(text, DATES_NOW, DATES_ZONE).when.due
        except ToolError:
            return None
        return {"start": f"{due.astimezone(DATES_ZONE):{stamp}}"}
    span = parse_span(text, DATES_NOW)
    if span is None:
        return None
    return {"start": f"{span.start:{stamp}}", "end": f"{span.end:{stamp}}"}


def score_dates() -> dict[str, tuple[int, list[str]]]:
    """Per half: how many phrases resolved as expected, and the ones that did not."""
    rows = [json.loads(line) for line in (DATA / "dates.jsonl").read_text("utf-8").splitlines()]
    scores: dict[str, tuple[int, list[str]]] = {"dev": (0, []), "heldout": (0, [])}
    for row in rows:
        half = split_of(row["text"])
        right, errors = scores[half]
        got = resolve_date(row["text"], row["reader"])
        if got == row["expected"]:
            scores[half] = (right + 1, errors)
        else:
            errors.append(f"{row['text']!r}: got {got}, want {row['expected']}")
    return scores


# --- facts: typed claims read from a message (tests/data/fact_phrasings.jsonl) -------------
# Each row: text, optional previous turn, kind (self, third, change, correction, chat), a fixed
# `split`, and the claims it must cause ("none" for chat): subject, attribute, value (null when
# the slot ends, "I don't live in LA anymore"). Scored per claim; a value matches when one
# normalised value contains the other ("Glasgow" in "a flat in Glasgow").


@dataclass
class FactScore:
    rows: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _fact_value(value: str | None) -> str | None:
    if value is None:
        return None
    words = value.lower().replace("'s", "").replace(",", " ").split()
    return " ".join(w for w in words if w not in ("a", "an", "the"))


def _same_claim(got: tuple[str, str, str | None], want: dict[str, str | None]) -> bool:
    if (got[0], got[1]) != (want["subject"], want["attribute"]):
        return False
    g, w = _fact_value(got[2]), _fact_value(want["value"])
    if g is None or w is None:
        return g is w
    return bool(g and w) and (g == w or w in g or g in w)


def score_facts() -> dict[str, dict[str, tuple[FactScore, list[str]]]]:
    """Per half, per kind of row (and "all"): claim precision and recall, with the errors."""
    from os1.memory.extract import extract

    text = (DATA / "fact_phrasings.jsonl").read_text(encoding="utf-8")
    out: dict[str, dict[str, tuple[FactScore, list[str]]]] = {"dev": {}, "heldout": {}}
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        wanted = [] if row["expected"] == "none" else list(row["expected"])
        found = extract(row["text"], "the user", row.get("previous"), endings=True)
        # Events ("I went to the gym") are the patterns' kind and not labelled in this set.
        got = [
            (e.subject, e.attribute, None if e.ends else e.value)
            for e in found
            if e.kind != "event"
        ]
        for kind in (row["kind"], "all"):
            s, errors = out[row["split"]].setdefault(kind, (FactScore(), []))
            s.rows += 1
            unmatched = list(wanted)
            for claim in got:
                hit = next((w for w in unmatched if _same_claim(claim, w)), None)
                if hit is not None:
                    unmatched.remove(hit)
                    s.tp += 1
                else:
                    s.fp += 1
                    if kind != "all":
                        errors.append(f"false {claim}: {row['text']}")
            s.fn += len(unmatched)
            if kind != "all":
                errors.extend(f"missed {w}: {row['text']}" for w in unmatched)
    return out


def print_facts(show_errors: str | None) -> None:
    for half, kinds in score_facts().items():
        for kind in ("self", "third", "change", "correction", "chat", "all"):
            if kind not in kinds:
                continue
            s, errors = kinds[kind]
            print(
                f"facts/{kind:10} {half:8} rows={s.rows:3}  claims={s.tp + s.fn:3}"
                f"  precision={s.precision:.3f}  recall={s.recall:.3f}  false={s.fp}"
            )
            if half == show_errors:
                for error in errors:
                    print("   ", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted([*KINDS, "dates", "facts"]), action="append")
    parser.add_argument("--show-errors", choices=["dev", "heldout"])
    args = parser.parse_args()
    for kind in args.kind or sorted([*KINDS, "dates", "facts"]):
        if kind == "facts":
            print_facts(args.show_errors)
            continue
        if kind == "dates":
            for half, (right, errors) in score_dates().items():
                n = right + len(errors)
                print(f"{kind:15} {half:8} n={n:3}  accuracy={right / n:.3f}")
                if half == args.show_errors:
                    for error in errors:
                        print("   ", error)
            continue
        for half, s in score(kind).items():
            n = s.tp + s.fp + s.fn + s.tn
            print(
                f"{kind:15} {half:8} n={n:3}  precision={s.precision:.3f}  recall={s.recall:.3f}"
                f"  target={s.target_right}/{s.tp}"
            )
            if half == args.show_errors:
                for error in s.errors or []:
                    print("   ", error)


if __name__ == "__main__":
    main()
