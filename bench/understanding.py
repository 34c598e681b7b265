"""How well OS1 understands the user's own words: each kind of request (forget; questions about
what the user told) scored on a fixed phrasing set, split into a dev half (to develop on) and a
held-out half (to report), by a stable hash of the text.

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
from pathlib import Path

from os1.language import Analysis, analyze
from os1.memory.answers import read_memory_question
from os1.memory.forget_request import read_forget_request

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(KINDS), action="append")
    parser.add_argument("--show-errors", choices=["dev", "heldout"])
    args = parser.parse_args()
    for kind in args.kind or sorted(KINDS):
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
