"""The dev half of the future-date phrasing set (tests/data/dates.jsonl) resolves as expected;
the held-out half is only reported, by `bench/understanding.py --kind dates`."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "dates.jsonl"


def test_the_set_is_large_and_split_both_ways() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 60
    # The same fixed split as bench/understanding.py: the first byte of the text's sha256.
    dev = [r for r in rows if hashlib.sha256(r["text"].encode()).digest()[0] % 2 == 0]
    assert 25 <= len(dev) <= len(rows) - 25
    assert {r["reader"] for r in dev} == {"reminder", "plan"}


def test_the_dev_half_resolves_to_the_expected_moments() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import understanding
    finally:
        sys.path.remove(str(ROOT / "bench"))
    right, errors = understanding.score_dates()["dev"]
    assert right >= 0.95 * (right + len(errors)), errors
