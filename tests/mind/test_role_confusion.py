"""The small-model gate on labelled reply sentences: speaking as the user or as a human with a
life is caught, the companion's own warm talk is let through (tests/data/role_confusion.jsonl;
the dev half, fixed by a hash of the reply, is what the detector was tuned on)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from os1.mind.small_model import check_reply, speaks_as_user_or_human

DATA = Path(__file__).resolve().parents[1] / "data" / "role_confusion.jsonl"


def dev_rows() -> list[dict[str, object]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if hashlib.sha256(str(r["reply"]).encode()).digest()[0] % 2 == 0]


def test_the_dev_half_is_caught_without_replacing_good_replies() -> None:
    rows = dev_rows()
    assert len(rows) >= 60
    said = [
        (speaks_as_user_or_human(str(r["reply"]), str(r["user"])), bool(r["confused"]))
        for r in rows
    ]
    tp = sum(s and c for s, c in said)
    fp = sum(s and not c for s, c in said)
    fn = sum(c and not s for s, c in said)
    assert tp / (tp + fn) >= 0.90, "recall"
    assert tp / (tp + fp) >= 0.95, "precision"


def test_a_person_the_user_named_spoken_of_as_the_models_own_is_caught() -> None:
    user = "My friend Priya moved away."
    assert speaks_as_user_or_human("Priya and I used to share a flat.", user)
    assert speaks_as_user_or_human("I really miss Priya.", user)
    assert not speaks_as_user_or_human("Do you still talk to Priya?", user)
    assert speaks_as_user_or_human("I miss Priya.", "", user_names=["Priya"])


def test_the_companions_own_first_person_talk_passes() -> None:
    for reply in (
        "I remember you told me that.",
        "I think it was brave of you.",
        "I'm here, and I'd love to hear more.",
        "My guess is that she meant well.",
        "I'm an AI, so I don't sleep, but I'm glad you rested.",
    ):
        assert not speaks_as_user_or_human(reply, "My sister is visiting."), reply


def test_the_gate_stops_at_the_first_sentence_of_a_borrowed_life() -> None:
    checked = check_reply(
        "That sounds like a lovely plan. Tomorrow I'll drive up to see my nan.",
        user_text="I'm visiting my nan.",
    )
    assert checked.text == "That sounds like a lovely plan."
    assert checked.issues == ["role_confusion"]
