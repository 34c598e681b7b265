"""Recall's reranker (issue 15): a cross-encoder rereads the best hits with the question, and
their order follows its reading and recall's own score together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import numpy as np
import pytest

from os1.config import Settings
from os1.errors import ConfigError, ModelNotFound
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.memory.importers import ImportedMessage
from os1.memory.recall import Recall
from os1.memory.rerankers import MsMarcoReranker, Reranker, get_reranker, register_reranker
from os1.mind.assembly import open_memory
from os1.storage import SQLiteStore


def turns(*texts: str) -> list[ImportedMessage]:
    return [
        ImportedMessage(
            f"t{i}",
            "Maya",
            text,
            datetime.fromisoformat(f"2026-05-{i + 1:02d}T10:00"),
            f"s{i}",
            None,
        )
        for i, text in enumerate(texts)
    ]


class Liking(Reranker):
    """Scores a text by whether it holds the word the test likes."""

    name = "liking"

    def __init__(self, liked: str = "", fail: bool = False) -> None:
        self.liked = liked
        self.fail = fail
        self.calls: list[int] = []

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        if self.fail:
            raise ModelNotFound("the reranking model is not installed")
        self.calls.append(len(texts))
        return np.array([10.0 if self.liked in t else 0.0 for t in texts], dtype=np.float32)


def test_the_bundled_cross_encoder_scores_the_answer_above_a_text_sharing_its_words() -> None:
    reranker = get_reranker("ms-marco")
    assert isinstance(reranker, MsMarcoReranker)
    answer, echo, unrelated = reranker.score(
        "What instrument does Maya play?",
        [
            "Maya: I have practised the cello every morning since I was nine.",
            "Maya: We played a board game and I won, what a game to play.",
            "Maya: My sister moved to Lisbon last spring.",
        ],
    )
    assert answer > echo > unrelated


def test_searches_at_once_share_the_model_and_get_the_scores_they_would_alone() -> None:
    reranker = get_reranker("ms-marco")
    assert reranker is not None
    texts = [CELLO, "Maya: We played a board game.", "Maya: My sister moved to Lisbon."]
    questions = ["What instrument does Maya play?", "Where did Maya's sister move?"] * 4
    alone = [reranker.score(q, texts).tolist() for q in questions]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda q: reranker.score(q, texts).tolist(), questions))
    assert together == alone


CELLO = "Maya: I have practised the cello every morning since I was nine."


def test_the_reranker_lifts_the_turn_that_answers_above_turns_that_share_the_words(
    store: SQLiteStore, minilm
) -> None:  # type: ignore[no-untyped-def]
    plain = LongTermMemory(store, minilm)
    plain.import_messages(
        turns(
            "We played a board game and I won, what a game to play.",
            "Play, play, play: the kids played at the playground all day.",
            "The play at the theatre was long.",
            "I like to play tennis on Sundays with Ben.",
            CELLO.removeprefix("Maya: "),
        )
    )
    plain.consolidate()
    question = "What instrument does Maya play?"
    before = [h.memory.text for h in plain.recall.search(question, k=10)]
    reread = LongTermMemory(store, minilm, reranker="ms-marco")
    after = [h.memory.text for h in reread.recall.search(question, k=10)]
    # Recall's own score counts as much as the reranker's: the answer rises, past turns
    # that only share "play", without the reranker alone deciding.
    assert before.index(CELLO) >= 4
    assert after.index(CELLO) <= before.index(CELLO) - 2


def test_only_the_best_hits_are_reread_and_scores_still_fall_down_the_list(
    memory: LongTermMemory,
) -> None:
    memory.import_messages(turns(*(f"the garden note number {i} about tulips" for i in range(12))))
    memory.import_messages([ImportedMessage("x", "Maya", "the garden tulips", None, "s99", None)])
    memory.consolidate()
    plain = memory.recall.search("garden tulips", k=12)
    liking = Liking("number 7 ")
    reread = Recall(memory.store, memory.embedder, reranker=liking, rerank_top=5)
    hits = reread.search("garden tulips", k=12)
    assert liking.calls == [5]
    head = [h.memory.id for h in hits[:5]]
    assert sorted(head) == sorted(h.memory.id for h in plain[:5])  # the same five, reordered
    assert [h.memory.id for h in hits[5:]] == [h.memory.id for h in plain[5:]]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert sorted(scores[:5]) == sorted(h.score for h in plain[:5])


def test_a_text_the_reranker_prefers_moves_up_but_recalls_own_score_still_counts(
    memory: LongTermMemory,
) -> None:
    memory.import_messages(
        turns(
            "tulips tulips tulips in the garden",
            "tulips in the garden",
            "the garden by the house",
            "a tulip festival in the garden",
        )
    )
    memory.consolidate()
    plain = [h.memory.text for h in memory.recall.search("tulips garden", k=4)]
    liked = plain[2]
    reread = Recall(memory.store, memory.embedder, reranker=Liking(liked.split(": ", 1)[1]))
    again = [h.memory.text for h in reread.search("tulips garden", k=4)]
    assert again.index(liked) < 2


def test_a_reranker_that_fails_costs_the_rereading_not_the_search(
    memory: LongTermMemory, caplog: pytest.LogCaptureFixture
) -> None:
    memory.import_messages(turns("tulips in the garden", "the garden by the house"))
    memory.consolidate()
    plain = [h.memory.id for h in memory.recall.search("tulips garden")]
    broken = Recall(memory.store, memory.embedder, reranker=Liking(fail=True))
    with caplog.at_level(logging.WARNING, logger="os1.memory.recall"):
        assert [h.memory.id for h in broken.search("tulips garden")] == plain
        assert [h.memory.id for h in broken.search("tulips garden")] == plain
    said = [r for r in caplog.records if "without its reranker" in r.getMessage()]
    assert len(said) == 1  # once per outage, not once per search


def test_the_setting_chooses_the_reranker_and_none_switches_it_off(store: SQLiteStore) -> None:
    assert isinstance(open_memory(store, Settings(), HashingEmbedder()).reranker, MsMarcoReranker)
    assert open_memory(store, Settings(reranker="none"), HashingEmbedder()).reranker is None
    register_reranker(Liking)
    assert isinstance(
        open_memory(store, Settings(reranker="liking"), HashingEmbedder()).reranker, Liking
    )


def test_an_unknown_reranker_is_a_configuration_error_naming_the_installed_ones(
    store: SQLiteStore,
) -> None:
    with pytest.raises(ConfigError) as raised:
        open_memory(store, Settings(reranker="nope"), HashingEmbedder())
    assert "ms-marco" in raised.value.hint and "none" in raised.value.hint
