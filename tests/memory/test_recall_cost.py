"""What recall and consolidation ask of the database: the same answers with fewer queries
(issue 17: server CPU per turn)."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.memory import LongTermMemory, Recall
from os1.memory.embedders import HashingEmbedder
from os1.memory.store import NewMemory
from os1.storage import SQLiteStore


def _statements(store: SQLiteStore) -> list[str]:
    seen: list[str] = []
    store._db.set_trace_callback(lambda sql: seen.append(sql) if not sql.startswith("--") else None)
    return seen


def _coffee_and_zeppelin(memory: LongTermMemory, coffees: int) -> None:
    memory.store.add_many(
        [NewMemory("episode", f"coffee number {i}", (f"import:c{i}",)) for i in range(coffees)]
        + [NewMemory("episode", "a rare zeppelin ride", ("import:z",))]
    )


@pytest.mark.parametrize("cap", [0, 5, 29, 30, 31, 100])
def test_common_words_are_the_same_counted_one_by_one_or_in_one_query(
    memory: LongTermMemory, cap: int
) -> None:
    _coffee_and_zeppelin(memory, 30)
    expected = {
        term for term, n in [("coffee", 30), ("zeppelin", 1), ("ride", 1), ("tea", 0)] if n > cap
    }
    assert memory.store.common_terms(["coffee", "zeppelin", "ride", "tea"], cap) == expected


def test_words_of_a_user_sharing_the_file_are_counted_in_their_memories_only(home: Path) -> None:
    ada = LongTermMemory(SQLiteStore(home / "os1.db", user_id="ada"), HashingEmbedder())
    bea = LongTermMemory(SQLiteStore(home / "os1.db", user_id="bea"), HashingEmbedder())
    _coffee_and_zeppelin(ada, 10)
    _coffee_and_zeppelin(bea, 3)
    assert ada.store.common_terms(["coffee", "zeppelin"], cap=5) == {"coffee"}
    assert bea.store.common_terms(["coffee", "zeppelin"], cap=5) == set()
    assert bea.store.common_terms(["coffee", "zeppelin"], cap=2) == {"coffee"}
    ada.store.db.close()
    bea.store.db.close()


def test_a_small_store_answers_common_words_without_a_query_per_word(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    _coffee_and_zeppelin(memory, 3)
    seen = _statements(store)
    assert memory.store.common_terms(["coffee", "zeppelin", "ride", "rare"], cap=500) == set()
    assert not any("memory_fts MATCH" in sql for sql in seen)
    seen.clear()
    assert memory.store.common_terms(["coffee", "zeppelin", "ride", "rare"], cap=2) == {"coffee"}
    assert sum("memory_fts MATCH" in sql for sql in seen) == 1  # one statement for four words


def test_consolidation_stops_without_asking_again_when_nothing_can_be_left(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    memory.store.add_many(
        [NewMemory("episode", "the weather was grey", ("import:w",), speaker="assistant")]
    )
    seen = _statements(store)
    assert memory.consolidate() == 1
    # Asked for a batch once (the batch's own look at whether it is still pending is not
    # a poll): a batch short of full, and nothing derived from it.
    pending = [sql for sql in seen if "consolidated = 0 ORDER BY id" in sql]
    assert len(pending) == 1
    assert memory.store.pending() == []


def test_facts_derived_by_a_short_batch_are_embedded_in_the_same_run(
    memory: LongTermMemory,
) -> None:
    memory.store.add_many(
        [NewMemory("episode", "Ada: I live in Lisbon", ("import:l",), speaker="Ada")]
    )
    done = memory.consolidate()
    derived = [m for m in memory.store.list() if m.kind != "episode"]
    assert [m.value for m in derived] == ["Lisbon"]
    assert done == 2  # the episode, then (in the same run) the fact derived from it
    assert memory.store.pending() == []


def test_a_small_user_sharing_the_file_is_answered_with_one_count(home: Path) -> None:
    ada = LongTermMemory(SQLiteStore(home / "os1.db", user_id="ada"), HashingEmbedder())
    bea = LongTermMemory(SQLiteStore(home / "os1.db", user_id="bea"), HashingEmbedder())
    _coffee_and_zeppelin(ada, 3)
    _coffee_and_zeppelin(bea, 40)
    seen = _statements(ada.store.db)
    assert ada.store.common_terms(["coffee", "zeppelin", "ride"], cap=10) == set()
    assert sum("memory_fts MATCH" in sql for sql in seen) == 1  # the owner's, not each word's
    ada.store.db.close()
    bea.store.db.close()


def test_words_are_counted_as_before_when_an_owner_name_is_part_of_anothers(home: Path) -> None:
    # The owner column is matched as words: "ada" is also in "ada-smith". Counting stays what
    # it was (the shortcut only answers when even that wider scope is small).
    ada = LongTermMemory(SQLiteStore(home / "os1.db", user_id="ada"), HashingEmbedder())
    smith = LongTermMemory(SQLiteStore(home / "os1.db", user_id="ada-smith"), HashingEmbedder())
    _coffee_and_zeppelin(ada, 2)
    _coffee_and_zeppelin(smith, 10)
    assert ada.store.common_terms(["coffee", "zeppelin"], cap=5) == {"coffee"}
    ada.store.db.close()
    smith.store.db.close()


def _word_counts(seen: list[str]) -> int:
    return sum("SELECT count(*) FROM (SELECT 1 FROM memory_fts" in sql for sql in seen)


def test_a_word_counted_once_is_not_counted_again_while_the_answer_cannot_have_changed(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    _coffee_and_zeppelin(memory, 10)
    assert memory.store.common_terms(["coffee", "zeppelin"], cap=5) == {"coffee"}
    seen = _statements(store)

    assert memory.store.common_terms(["coffee", "zeppelin"], cap=5) == {"coffee"}
    # Two more memories cannot lift "zeppelin" (1) over 5, nor take "coffee" (10) under it.
    memory.store.add_many(
        [NewMemory("episode", f"zeppelin over the bay {i}", (f"import:b{i}",)) for i in range(2)]
    )
    assert memory.store.common_terms(["coffee", "zeppelin"], cap=5) == {"coffee"}
    assert _word_counts(seen) == 0


def test_a_word_becomes_common_as_memories_holding_it_are_added(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    _coffee_and_zeppelin(memory, 10)
    assert memory.store.common_terms(["zeppelin"], cap=5) == set()

    memory.store.add_many(
        [NewMemory("episode", f"zeppelin over the bay {i}", (f"import:b{i}",)) for i in range(5)]
    )

    assert memory.store.common_terms(["zeppelin"], cap=5) == {"zeppelin"}


def test_forgetting_memories_makes_a_common_word_rare_again(memory: LongTermMemory) -> None:
    _coffee_and_zeppelin(memory, 10)
    assert memory.store.common_terms(["coffee"], cap=5) == {"coffee"}
    coffees = [m.id for m in memory.store.list() if "coffee" in m.text]

    memory.store.forget(coffees[:6])

    assert memory.store.common_terms(["coffee"], cap=5) == set()


def test_a_word_counted_at_one_cap_is_counted_again_at_a_higher_one(
    memory: LongTermMemory,
) -> None:
    _coffee_and_zeppelin(memory, 10)
    assert memory.store.common_terms(["coffee"], cap=5) == {"coffee"}  # "at least 6"
    assert memory.store.common_terms(["coffee"], cap=9) == {"coffee"}
    assert memory.store.common_terms(["coffee"], cap=10) == set()


def _episodes(memory: LongTermMemory, session: str, texts: list[str]) -> list[int]:
    ids = memory.store.add_many(
        [
            NewMemory("episode", text, (f"import:{session}-{i}-{text}",), session=session)
            for i, text in enumerate(texts)
        ]
    )
    memory.consolidate()  # embeds them
    return ids


def _vector_reads(seen: list[str]) -> list[str]:
    return [sql for sql in seen if "SELECT memory_id, vector FROM memory_embeddings" in sql]


def test_sessions_are_read_once_for_all_searches_and_again_only_when_they_grow(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    _episodes(memory, "monday", ["we baked bread", "the oven was too hot", "bread again"])
    _episodes(memory, "friday", ["a walk by the river", "herons on the river bank"])
    recall = Recall(memory.store, memory.embedder, feedback=0)
    seen = _statements(store)

    first = recall.search("baking bread", k=3)
    recall.search("herons by the river", k=3)

    # One pass over every session's vectors, none per search.
    assert sum("length(e.vector)" in sql for sql in seen) == 1
    assert _vector_reads(seen) == []
    assert recall.search("baking bread", k=3) == first

    (new,) = _episodes(memory, "friday", ["the river was high"])
    seen.clear()
    recall.search("herons by the river", k=3)

    # The conversation went on: only its new turn's vector is read, not the whole session's.
    assert _vector_reads(seen) == [
        f"SELECT memory_id, vector FROM memory_embeddings WHERE memory_id IN ({new})"
    ]
    fresh = Recall(memory.store, memory.embedder, feedback=0)
    fresh.search("herons by the river", k=3)
    assert recall._sessions["friday"].ids == fresh._sessions["friday"].ids
    assert recall._sessions["friday"].mean == pytest.approx(fresh._sessions["friday"].mean)


def test_a_forgotten_episode_no_longer_weighs_on_its_session(memory: LongTermMemory) -> None:
    _episodes(memory, "monday", ["we baked bread", "the oven was too hot"])
    friday = _episodes(memory, "friday", ["a walk by the river", "herons on the river bank"])
    recall = Recall(memory.store, memory.embedder, feedback=0)
    recall.search("herons by the river", k=3)

    memory.store.forget([friday[1]])
    recall.search("herons by the river", k=3)

    assert recall._sessions["friday"].ids == (friday[0],)


def test_a_long_conversation_costs_a_search_the_same_read_per_turn(
    store: SQLiteStore, memory: LongTermMemory
) -> None:
    _episodes(memory, "chat", [f"talk about the river, part {i}" for i in range(200)])
    recall = Recall(memory.store, memory.embedder, feedback=0)
    recall.search("the river", k=3)
    seen = _statements(store)

    for turn in range(3):
        _episodes(memory, "chat", [f"one more word on the river {turn}"])
        seen.clear()
        recall.search("the river", k=3)
        # One session check, the new episode's id and its vector: not the session's 200.
        assert sum("SELECT session, count(*), max(id)" in sql for sql in seen) == 1
        assert sum("ORDER BY session, id" in sql for sql in seen) == 0  # all of its ids
        assert len(_vector_reads(seen)) == 1
