"""Recall with the real bundled embedding model: meaning, not just shared words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from os1.memory import LongTermMemory
from os1.memory.importers import ImportedMessage
from os1.memory.recall import fts_query
from os1.memory.store import NewMemory


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


def test_a_history_searched_long_after_keeps_its_own_recent_end(
    real_memory: LongTermMemory,
) -> None:
    """An imported chat, or one left for years: what was said last in it is its recent part,
    whenever it is searched, not equally old with everything else."""
    real_memory.import_messages(
        [
            ImportedMessage(f"t{i}", "Maya", "I went swimming in the lake.", when, f"s{i}", None)
            for i, when in enumerate(
                [datetime(2023, 1, 10, tzinfo=UTC), datetime(2023, 6, 20, tzinfo=UTC)]
            )
        ]
    )
    real_memory.consolidate()
    scores = {}
    for searched in (datetime(2023, 6, 21, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC)):
        hits = real_memory.recall.search("swimming", k=4, reference=searched)
        episodes = {h.sources[0]: h.score for h in hits if h.memory.kind == "episode"}
        assert episodes["t1"] > episodes["t0"] * 1.03
        scores[searched.year] = episodes
    assert scores[2023] == scores[2026]


def test_the_lexical_index_is_per_user_for_hits_and_for_how_common_a_word_is(
    tmp_path: Path,
) -> None:
    from os1.memory.store import MemoryStore, NewMemory
    from os1.storage import SQLiteStore

    mine, theirs = SQLiteStore(tmp_path / "os1.db", "sam"), SQLiteStore(tmp_path / "os1.db", "kim")
    try:
        me, them = MemoryStore(mine), MemoryStore(theirs)
        me.add(NewMemory("episode", "I played the violin at the local fair", ("msg:1",)))
        them.add_many(
            [
                NewMemory("episode", f"violin lesson number {i}", (f"msg:{i + 10}",))
                for i in range(30)
            ]
        )
        # A word another user says all the time is still a rare, telling word for me.
        assert me.common_terms(["violin"], cap=10) == set()
        assert them.common_terms(["violin"], cap=10) == {"violin"}
        hits = me.lexical('"violin" OR "lesson"', 50)
        assert [h[0] for h in hits] == [me.lexical('"violin"', 1)[0][0]]
        # My user id is not a word in my memories ("sam" matches nothing of theirs or mine).
        assert them.lexical('"kim"', 50) == [] and me.lexical('"local"', 5) != []
    finally:
        mine.close()
        theirs.close()


def test_a_database_from_before_the_per_user_index_is_upgraded_and_still_found(
    tmp_path: Path,
) -> None:
    from os1.memory.store import MemoryStore, NewMemory
    from os1.storage import SQLiteStore
    from os1.storage.migrations import MIGRATIONS

    store = SQLiteStore(tmp_path / "os1.db")
    MemoryStore(store).add(NewMemory("episode", "we walked along the harbour", ("msg:1",)))
    with store.transaction() as db:  # put the version-3 lexical index back
        for old in ("insert", "delete", "update"):
            db.execute(f"DROP TRIGGER memories_fts_{old}")
        db.execute("DROP TABLE memory_fts")
        db.execute(
            "CREATE VIRTUAL TABLE memory_fts USING fts5(text, content='memories', "
            "content_rowid='id', tokenize='porter unicode61')"
        )
        db.execute("INSERT INTO memory_fts(memory_fts) VALUES ('rebuild')")
        db.execute("ALTER TABLE memories DROP COLUMN untrusted")  # added by migration 5
    store.query("PRAGMA user_version = 3")
    store.close()

    upgraded = SQLiteStore(tmp_path / "os1.db")
    try:
        assert upgraded.schema_version == len(MIGRATIONS)
        assert [h[0] for h in MemoryStore(upgraded).lexical('"harbour"', 5)] == [1]
    finally:
        upgraded.close()


def test_a_turn_and_a_fact_derived_from_it_take_one_place_among_the_hits(
    real_memory: LongTermMemory,
) -> None:
    real_memory.import_messages(CONVERSATION)
    real_memory.consolidate()
    derived = [m for m in real_memory.store.list() if m.kind != "episode"]
    assert derived  # consolidation derived facts from the turns
    for query in ("does she have a pet dog?", "hiking trip", "baking bread", "grandmother"):
        hits = real_memory.recall.search(query, k=5)
        assert len(hits) == min(5, real_memory.store.count())
        turns = [h.memory for h in hits if h.memory.kind == "episode"]
        facts = [h.memory for h in hits if h.memory.kind != "episode"]
        for turn in turns:
            for fact in facts:
                assert not set(turn.sources) <= set(fact.sources), (query, turn.text, fact.text)


def test_facts_from_one_source_each_keep_their_place(real_memory: LongTermMemory) -> None:
    real_memory.store.add_many(
        [
            NewMemory(kind="fact", text="Maya's dentist is Dr Okafor.", sources=("mail:7",)),
            NewMemory(kind="event", text="Maya's dentist appointment moved.", sources=("mail:7",)),
        ]
    )
    real_memory.consolidate()
    hits = real_memory.recall.search("Maya's dentist", k=5)
    assert len(hits) == 2
