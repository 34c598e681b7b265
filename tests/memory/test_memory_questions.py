"""Questions about what the user told OS1, read from the parse: the dev half of the phrasing
set (tests/data/memory_questions.jsonl; the held-out half is only reported, by
bench/understanding.py) is recognised with its attribute and subject."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from os1.language import analyze
from os1.memory import LongTermMemory
from os1.memory.answers import answer_question, read_memory_question
from os1.storage import SQLiteStore
from tests.memory.test_memory import companion_with, say

DATA = Path(__file__).resolve().parents[1] / "data" / "memory_questions.jsonl"


def _dev() -> list[dict[str, object]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    # The same fixed split as bench/understanding.py: the first byte of the text's sha256.
    return [r for r in rows if hashlib.sha256(r["text"].encode()).digest()[0] % 2 == 0]


def test_the_dev_half_is_recognised_with_its_attribute_and_subject() -> None:
    tp = fp = fn = 0
    wrong: list[str] = []
    for row in _dev():
        text, want = str(row["text"]), row["expected"]
        assert isinstance(want, dict)
        found = read_memory_question(analyze(text))
        expected = want["kind"] == "memory_question"
        if found is not None and expected:
            tp += 1
            if f"{found.attribute}:{found.subject}" != want["target"]:
                wrong.append(text)
        elif found is not None:
            fp += 1
        elif expected:
            fn += 1
    assert tp + fn >= 40
    assert tp / (tp + fn) >= 0.90
    assert tp / (tp + fp) >= 0.98
    assert len(wrong) <= 0.1 * tp, wrong


@pytest.mark.parametrize(
    "text",
    ["Where do you live?", "What do you like?", "Where is Paris?", "Remind me to call my sister."],
)
def test_questions_to_the_companion_general_knowledge_and_requests_are_not_memory_questions(
    text: str,
) -> None:
    assert read_memory_question(analyze(text)) is None


async def test_a_question_is_answered_from_the_fact_it_asks_for(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    companion = companion_with(store, memory)
    await say(companion, "My sister's birthday is 14 March.")
    await say(companion, "I live in Leeds.")
    answered = answer_question(memory, "Can you tell me when my sister was born?")
    assert answered is not None and answered.text.startswith("Your sister's birthday is 14 March")
    assert "(you told me" in answered.text
    where = answer_question(memory, "Which city am I living in")
    assert where is not None and where.text.startswith("You live in Leeds")
    assert answer_question(memory, "Where do you live?") is None
