"""Recall with the real bundled embedding model: meaning, not just shared words."""

from __future__ import annotations

from datetime import UTC, datetime

from os1.memory import LongTermMemory
from os1.memory.importers import ImportedMessage
from os1.memory.recall import fts_query


def imported(*lines: tuple[str, str, str]) -> list[ImportedMessage]:
    return [
        ImportedMessage(f"t{i}", speaker, text, datetime.fromisoformat(when), "s", None)
        for i, (speaker, text, when) in enumerate(lines)
    ]


CONVERSATION = imported(
    (
        "Maya",
        "I finally adopted a rescue greyhound, her name is Pixel.",
        "2026-05-03T10:00:00+00:00",
    ),
    (
        "Maya",
        "Work has been brutal, my manager keeps moving deadlines.",
        "2026-05-10T10:00:00+00:00",
    ),
    (
        "Maya",
        "We spent the weekend hiking in the Dolomites, the views were unreal.",
        "2026-11-21T09:00:00+00:00",
    ),
    ("Maya", "I'm learning to bake sourdough bread.", "2026-11-02T09:00:00+00:00"),
    ("Maya", "My grandmother turns ninety next month.", "2026-11-25T09:00:00+00:00"),
)


def test_recall_finds_meaning_without_shared_words(real_memory: LongTermMemory) -> None:
    real_memory.import_messages(CONVERSATION)
    real_memory.consolidate()
    hits = real_memory.recall.search("does she have a pet dog?", k=3)
    assert "t0" in hits[0].sources  # the turn, or a fact derived from it
    hits = real_memory.recall.search("mountain trip", k=3)
    assert "t2" in hits[0].sources


def test_dates_in_the_query_favour_memories_from_then(real_memory: LongTermMemory) -> None:
    real_memory.import_messages(CONVERSATION)
    real_memory.consolidate()
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    hits = real_memory.recall.search("what did Maya talk about in May?", k=2, reference=now)
    assert {h.sources[0] for h in hits} <= {"t0", "t1"}


def test_hits_are_best_first_with_scores_and_sources(real_memory: LongTermMemory) -> None:
    real_memory.import_messages(CONVERSATION)
    real_memory.consolidate()
    hits = real_memory.recall.search("baking bread", k=5)
    assert "t3" in hits[0].sources
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_lexical_query_ignores_stopwords_and_quotes_terms() -> None:
    assert fts_query("What did I do with the dog?") == '"dog"'
    assert fts_query('the "quoted" AND NEAR') == '"quoted" OR "near"'
    assert fts_query("what did you") is None


def test_between_equal_matches_the_more_recent_memory_comes_first(
    real_memory: LongTermMemory,
) -> None:
    real_memory.import_messages(
        imported(
            ("Maya", "I went swimming in the lake.", "2025-01-10T10:00:00+00:00"),
            ("Maya", "I went swimming in the lake.", "2026-11-20T10:00:00+00:00"),
        )
    )
    real_memory.consolidate()
    now = datetime(2026, 11, 29, tzinfo=UTC)
    hits = [
        h
        for h in real_memory.recall.search("swimming", k=4, reference=now)
        if h.memory.kind == "episode"
    ]
    assert hits[0].sources == ["t1"]
