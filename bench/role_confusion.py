"""Role confusion on labelled reply sentences: how well the small-model gate tells a reply that
speaks as the user or as a human with a life ("Catherine. She's my ex-wife.", "I went to the
park with my mother.") from the companion's own warm talk ("I remember you said that.", "I'd
love to hear about it.").

Run: .venv/bin/python bench/role_confusion.py [--data tests/data/role_confusion.jsonl]
The set is split for good into dev and held-out by a hash of the reply; tune on dev only.
Targets (dev): recall >= 90 %, precision >= 95 % (a false positive replaces a good reply).
Also the cost per reply sentence of the check, with the parser loaded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

from os1.mind.small_model import speaks_as_user_or_human

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "role_confusion.jsonl"


def half(reply: str) -> str:
    """'dev' or 'held-out', fixed by the reply's text."""
    return "dev" if hashlib.sha256(reply.encode()).digest()[0] % 2 == 0 else "held-out"


def load(path: Path = DATA) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def score(rows: list[dict[str, object]]) -> tuple[float, float, list[dict[str, object]]]:
    """Precision, recall and the rows the gate got wrong."""
    tp = fp = fn = 0
    wrong = []
    for row in rows:
        said = speaks_as_user_or_human(str(row["reply"]), str(row["user"]))
        tp += said and bool(row["confused"])
        fp += said and not row["confused"]
        fn += not said and bool(row["confused"])
        if said != row["confused"]:
            wrong.append(row)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, wrong


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show", action="store_true", help="list the rows got wrong (dev only)")
    args = parser.parse_args()
    rows = load(args.data)
    for name in ("dev", "held-out"):
        part = [r for r in rows if half(str(r["reply"])) == name]
        confused = sum(bool(r["confused"]) for r in part)
        precision, recall, wrong = score(part)
        print(
            f"{name:9} n={len(part):3} (confused {confused:3})  "
            f"precision {precision:6.1%}  recall {recall:6.1%}"
        )
        if args.show and name == "dev":
            for r in wrong:
                print(f"    {'MISSED' if r['confused'] else 'FALSE '}  {r['reply']}")
    speaks_as_user_or_human("I went home.", "Hello.")  # load the parser outside the timing
    replies = [str(r["reply"]) for r in rows]
    times = []
    for _ in range(5):
        for reply in replies:
            start = time.perf_counter()
            speaks_as_user_or_human(reply, "My sister lives in Leeds.")
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        f"cost per reply: mean {statistics.fmean(times):.2f} ms, "
        f"p95 {times[int(len(times) * 0.95)]:.2f} ms"
    )


if __name__ == "__main__":
    main()
