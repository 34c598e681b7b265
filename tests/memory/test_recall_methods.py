"""Recall's methods from issue 15: pseudo-relevance feedback, session vectors and dates named
in turns (on by default), splitting a question about two people, preferring turns by the
person a question names and windows of turns (off by default, measured by
`bench/memory_recall.py --variants`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from os1.language import use_analyzer
from os1.language.fake import FakeAnalyzer
from os1.memory import LongTermMemory
from os1.memory.importers import ImportedMessage
from os1.memory.query_split import could_split, split_query
from os1.memory.recall import Recall


def conversation(*lines: tuple[str, str]) -> list[ImportedMessage]:
    """Turns a day apart, each its own session (no neighbours join the hits)."""
    return [
        ImportedMessage(
            f"t{i}",
            speaker,
            text,
            datetime.fromisoformat(f"2026-05-{i + 1:02d}T10:00"),
            f"s{i}",
            None,
        )
        for i, (speaker, text) in enumerate(lines)
    ]


def test_a_question_about_two_people_joined_by_and_becomes_one_question_each() -> None:
    parts = split_query("Which city have both Jon and Gina visited?")
    assert parts == ["Which city have Jon visited?", "Which city have Gina visited?"]


def test_a_question_about_what_one_person_told_another_is_not_split() -> None:
    # Its answer is one turn about both, not one turn about each.
    assert split_query("What did Jon tell Gina about the studio?") == []
    assert split_query("What activities does Melanie partake in?") == []


def test_questions_that_cannot_name_two_people_or_times_are_not_parsed() -> None:
    fake = FakeAnalyzer()
    with use_analyzer(fake):
        assert not could_split("what did she paint last summer?")
        assert split_query("what did she paint last summer?") == []
    assert fake.calls == []  # no parse cost on the common path


def test_feedback_finds_evidence_worded_like_the_best_match_rather_than_the_question(
    real_memory: LongTermMemory,
) -> None:
    real_memory.import_messages(
        conversation(
            ("Maya", "I relax by running along the river at dawn."),
            ("Maya", "Running along the river at dawn, nothing beats it."),
            ("Maya", "How do I fix a leaking sink?"),
            ("Maya", "My sister moved to Lisbon last spring."),
            ("Maya", "The bakery on the corner sells great croissants."),
            ("Maya", "I painted the kitchen a pale green."),
        )
    )
    real_memory.consolidate()

    def turns(recall: Recall) -> set[str]:
        return {s for h in recall.search("How do I relax?", k=4) for s in h.sources}

    assert real_memory.recall.feedback > 0  # on by default
    # The second turn shares no word or meaning with the question, only with the first turn.
    assert "t1" not in turns(Recall(real_memory.store, real_memory.embedder, feedback=0))
    assert {"t0", "t1"} <= turns(real_memory.recall)


def test_person_boost_prefers_the_named_speakers_turn_without_dropping_the_other(
    real_memory: LongTermMemory,
) -> None:
    real_memory.import_messages(
        conversation(
            ("Gina", "Hiking in the mountains is my favourite way to spend a weekend."),
            ("Jon", "Most Saturdays I walk up into the hills near town."),
        )
    )
    real_memory.consolidate()
    question = "Where does Jon go hiking on weekends?"

    def speakers(boost: float) -> list[str | None]:
        recall = Recall(
            real_memory.store,
            real_memory.embedder,
            person_boost=boost,
            feedback=0,
            session_weight=0,
        )
        hits = recall.search(question, k=6)
        return [h.memory.speaker for h in hits if h.memory.kind == "episode"]

    assert speakers(0.0)[0] == "Gina"  # the wording alone favours Gina's turn
    boosted = speakers(0.3)
    assert boosted[0] == "Jon" and "Gina" in boosted


def test_the_session_around_a_turn_decides_between_identical_turns(
    real_memory: LongTermMemory,
) -> None:
    def session(name: str, day: int, texts: list[str]) -> list[ImportedMessage]:
        when = datetime(2026, 5, day, 10)
        return [
            ImportedMessage(f"{name}{i}", "Maya", text, when, name, None)
            for i, text in enumerate(texts)
        ]

    # The same reply opens both sessions, next to the same filler: only the rest of its
    # session tells the two apart. The work session is more recent, so it wins on its own.
    real_memory.import_messages(
        session(
            "beach",
            2,
            [
                "Yes, twice last month.",
                "Okay.",
                "We drove to the beach and swam in the sea.",
                "The kids built sandcastles on the sand all afternoon.",
            ],
        )
        + session(
            "work",
            20,
            [
                "Yes, twice last month.",
                "Okay.",
                "My manager moved the deadline again.",
                "The quarterly spreadsheet is still broken.",
            ],
        )
    )
    real_memory.consolidate()
    now = datetime(2026, 5, 21, tzinfo=UTC)

    def order(weight: float) -> list[str]:
        recall = Recall(real_memory.store, real_memory.embedder, session_weight=weight)
        hits = recall.search("How often did Maya go to the beach?", k=20, reference=now)
        return [s for h in hits for s in h.sources if s in ("beach0", "work0")]

    assert order(0.0)[0] == "work0"
    assert order(1.0)[0] == "beach0"


def test_feedback_and_sessions_reorder_but_keep_the_questions_own_score_scale(
    real_memory: LongTermMemory,
) -> None:
    # Fed back, a lone unrelated memory would match itself; callers' relevance floors (the
    # notes search drops hits under 0.3) must still see it as the weak match it is.
    real_memory.import_messages(conversation(("Maya", "Call the plumber about the leak.")))
    real_memory.consolidate()
    plain = Recall(real_memory.store, real_memory.embedder, feedback=0, session_weight=0)
    question = "when do tulip bulbs go in the ground?"
    expected = plain.search(question, k=1)[0].score
    assert expected < 0.3
    assert real_memory.recall.search(question, k=1)[0].score == pytest.approx(expected)


def test_a_turn_naming_a_date_is_found_by_a_question_about_that_date(
    real_memory: LongTermMemory,
) -> None:
    # Said in July, "last month" is June; the same words said in August are not about June.
    real_memory.import_messages(
        [
            ImportedMessage(
                "july", "Maya", "We went camping by the lake last month.",
                datetime(2026, 7, 10, 10), "s1", None,
            ),
            ImportedMessage(
                "august", "Maya", "We went camping by the lake last week.",
                datetime(2026, 8, 20, 10), "s2", None,
            ),
        ]
    )  # fmt: skip
    real_memory.consolidate()
    # The turns alone: the fact derived from both would stand for them in the hits.
    real_memory.store.forget([m.id for m in real_memory.store.list() if m.kind != "episode"])
    now = datetime(2026, 8, 21, tzinfo=UTC)

    def first_turn(turn_dates: bool) -> str:
        recall = Recall(real_memory.store, real_memory.embedder, turn_dates=turn_dates)
        hits = recall.search("When did Maya go camping in June?", k=10, reference=now)
        return [h for h in hits if h.memory.kind == "episode"][0].sources[0]

    assert first_turn(False) == "august"  # the more recent turn, all else equal
    assert first_turn(True) == "july"


def import_pottery_chat(memory: LongTermMemory, when: datetime) -> None:
    """A session where a bare reply ("Honestly, the best afternoon of my year.", turn t1)
    answers what Maya thought of the pottery class, and turns elsewhere that match that
    question better than the reply does."""
    texts = [
        ("Ana", "Did you finally try the pottery class downtown?"),
        ("Maya", "Honestly, the best afternoon of my year."),
        ("Ana", "Nice, I want to make a bowl at the pottery class too."),
        ("Maya", "My manager moved the deadline again."),
        ("Ana", "The quarterly spreadsheet is still broken."),
        ("Maya", "I will ask IT about the printer tomorrow."),
        ("Ana", "The coffee machine at work is fixed at last."),
    ]
    others = [
        "I think the yoga class is too early.",
        "I saw some pottery at the museum once.",
        "What do you think of the new bakery?",
        "The art class starts in May.",
        "Maya thinks the cooking class is fun.",
        "My pottery teacher moved away.",
    ]
    memory.import_messages(
        [
            ImportedMessage(f"t{i}", who, text, when + timedelta(minutes=i), "s1", None)
            for i, (who, text) in enumerate(texts)
        ]
        + [
            ImportedMessage(f"o{i}", "Maya", text, when - timedelta(days=i + 1), f"o{i}", None)
            for i, text in enumerate(others)
        ]
    )
    memory.consolidate()


def test_a_reply_that_says_little_alone_joins_the_hits_through_its_window(
    real_memory: LongTermMemory,
) -> None:
    when = datetime(2026, 5, 2, 10)
    import_pottery_chat(real_memory, when)

    def turns(windows: bool) -> list[str]:
        # Few candidates, no feedback and no neighbours: neither search finds the reply.
        recall = Recall(
            real_memory.store,
            real_memory.embedder,
            candidates=3,
            feedback=0,
            expand_top=0,
            windows=windows,
        )
        hits = recall.search("What did Maya think of the pottery class?", k=10, reference=when)
        return [h.sources[0] for h in hits if h.memory.kind == "episode"]

    assert "t1" not in turns(False)
    joined = turns(True)
    assert "t1" in joined
    # The unrelated rest of the session does not come before it.
    assert all(joined.index("t1") < joined.index(t) for t in ("t3", "t4", "t5") if t in joined)


def test_a_search_for_more_hits_than_the_reranker_reads_fills_below_it_more_broadly(
    real_memory: LongTermMemory,
) -> None:
    when = datetime(2026, 5, 2, 10)
    import_pottery_chat(real_memory, when)
    question = "What did Maya think of the pottery class?"

    def search(k: int, deep: bool) -> list:
        # A head of two reread hits; few candidates, no feedback and no neighbours, so
        # that the close ranking misses the bare reply.
        recall = Recall(
            real_memory.store,
            real_memory.embedder,
            candidates=3,
            feedback=0,
            expand_top=0,
            rerank_top=2,
            deep=deep,
        )
        return recall.search(question, k=k, reference=when)

    def turns(hits: list) -> list[str]:
        return [h.sources[0] for h in hits]

    assert "t1" not in turns(search(10, deep=False))
    deep = search(10, deep=True)
    assert "t1" in turns(deep)
    # The head is what a short search returns, and scores still fall down the list.
    assert turns(deep[:2]) == turns(search(2, deep=True))
    scores = [h.score for h in deep]
    assert scores == sorted(scores, reverse=True)
    assert len({h.memory.id for h in deep}) == len(deep)
