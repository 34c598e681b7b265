"""Long-term memory behaves the same on SQLite and on PostgreSQL: adding, lexical and semantic
search, forgetting down to the index and the embeddings, supersession, export, purging a user.

Each test runs on both backends; on PostgreSQL every test is a user of its own in the
session's throw-away database (`postgres_url`, from tests/pg.py).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from os1.memory import LongTermMemory
from os1.memory.embedders import Embedder, HashingEmbedder
from os1.memory.importers import ImportedMessage
from os1.memory.store import Memory, MemoryStore, NewMemory
from os1.server.users import purge_user_data
from os1.storage import Store, open_store
from os1.storage.postgres import PostgresStore

OpenStore = Callable[[str], Store]
_users = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def open_as(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens a user's store on the backend under test (users of one test share a database)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    run = next(_users)
    opened: list[Store] = []

    def make(user: str) -> Store:
        store = open_store(tmp_path, f"{user}-{run}" if url else user, url)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def memory_of(store: Store, embedder: Embedder | None = None) -> LongTermMemory:
    return LongTermMemory(store, embedder or HashingEmbedder())  # type: ignore[arg-type]


def episode(text: str, source: str, **kw: object) -> NewMemory:
    return NewMemory("episode", text, (source,), **kw)  # type: ignore[arg-type]


def test_added_memories_are_found_by_their_words_rarer_words_first(open_as: OpenStore) -> None:
    memory = memory_of(open_as("amy"))
    ids = memory.store.add_many(
        [episode(f"coffee with the team, day {i}", f"import:c{i}") for i in range(8)]
        + [episode("coffee on the zeppelin over the lake", "import:z")]
    )
    zeppelin = ids[-1]

    hits = memory.store.lexical('"coffee" OR "zeppelin"', 5)

    assert hits[0][0] == zeppelin  # the rare word outweighs the common one
    assert len(hits) == 5 and all(score > 0 for _, score in hits)
    assert [h.memory.id for h in memory.recall.search("zeppelin", k=3)][:1] == [zeppelin]
    assert memory.store.common_terms(["coffee", "zeppelin"], cap=4) == {"coffee"}


def test_words_are_matched_by_their_stem(open_as: OpenStore) -> None:
    memory = memory_of(open_as("amy"))
    [walked] = memory.store.add_many([episode("Amy walked her dogs by the river", "import:w")])

    assert [i for i, _ in memory.store.lexical('"walking" OR "dog"', 5)] == [walked]


def test_semantic_search_finds_a_memory_with_no_word_in_common(
    open_as: OpenStore, minilm: Embedder
) -> None:
    memory = memory_of(open_as("amy"), minilm)
    memory.store.add_many(
        [
            episode("Amy: I adopted a puppy called Biscuit", "import:p"),
            episode("Amy: the stock market fell again today", "import:s"),
            episode("Amy: my cousin is getting married in June", "import:m"),
        ]
    )
    memory.consolidate()  # embeds them

    nearest = memory.store.nearest(minilm.embed_one("my new dog"), 3)
    hits = memory.recall.search("my new dog", k=3)

    assert "Biscuit" in memory.store.get(nearest[0][0]).text
    assert nearest[0][1] > nearest[1][1] > 0
    assert "Biscuit" in hits[0].memory.text


def test_vector_candidates_are_exactly_reranked(open_as: OpenStore) -> None:
    store = open_as("amy")
    memories = MemoryStore(store)
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = memories.add_many([episode(f"note {i}", f"import:n{i}") for i in range(300)])
    memories.set_embeddings("test", list(zip(ids, vectors, vectors, strict=True)))
    query = vectors[17] + 0.05 * vectors[200]
    query /= np.linalg.norm(query)

    found = memories.nearest(query, 5)

    exact = np.argsort(-(vectors @ query))[:5]
    assert [i for i, _ in found] == [ids[int(j)] for j in exact]
    assert found[0][1] == pytest.approx(float(vectors[17] @ query), abs=1e-5)


def test_forgetting_reaches_the_word_index_and_the_vectors(open_as: OpenStore) -> None:
    store = open_as("amy")
    memory = memory_of(store)
    conv = store.create_conversation()
    msg = store.add_message(conv.id, "user", "I moved to Reykjavik last month.")
    memory.remember_turn(msg, "user")
    memory.consolidate()
    remembered = memory.store.all_ids()
    vector = HashingEmbedder().embed_one("user: I moved to Reykjavik last month.")
    assert remembered and memory.store.lexical('"reykjavik"', 10)

    removed = memory.store.forget(remembered)

    assert sorted(removed) == sorted(remembered)
    assert memory.store.lexical('"reykjavik"', 10) == []
    assert memory.store.nearest(vector, 10) == []
    for index in (store.memory_index(), store.memory_index(in_memory=False)):
        assert not set(index.vector_candidates(vector, 50)) & set(removed)
        assert index.matching('"reykjavik"') == []
    orphans = store.query(
        "SELECT count(*) FROM memory_embeddings e LEFT JOIN memories m ON m.id = e.memory_id "
        "WHERE m.id IS NULL"
    )
    assert orphans[0][0] == 0
    assert store.messages(conv.id) == []  # the turn went with its episode
    store.scrub()  # whatever the backend can do about the bytes, it does without error


def test_forget_about_a_name_finds_it_through_the_index(open_as: OpenStore) -> None:
    memory = memory_of(open_as("amy"))
    memory.store.add_many(
        [episode("lunch with Catherine Bell", "import:a"), episode("tea alone", "import:b")]
    )

    removed = memory.store.forget_about("Catherine Bell")

    assert len(removed) == 1
    assert [m.text for m in memory.store.list()] == ["tea alone"]


def test_a_superseded_memory_leaves_recall_but_stays_as_history(open_as: OpenStore) -> None:
    memory = memory_of(open_as("amy"))
    old, new = memory.store.add_many(
        [
            NewMemory("fact", "Amy's sister is called Anne", ("note:a.md",), subject="sister"),
            NewMemory("fact", "Amy's sister is called Anna", ("note:a.md",), subject="sister"),
        ]
    )

    memory.store.supersede(old, new)

    assert [i for i, _ in memory.store.lexical('"sister"', 10)] == [new]
    assert {m.id for m in memory.store.lexical_from('"sister"', "note:", 10)} == {old, new}
    assert memory.store.lexical_from('"sister"', "mail:", 10) == []
    assert [m.id for m in memory.store.list()] == [new]
    history = memory.store.list(include_superseded=True)
    assert [(m.id, m.superseded_by) for m in history] == [(old, new), (new, None)]


def test_sources_and_session_neighbours_read_alike(open_as: OpenStore) -> None:
    memory = memory_of(open_as("amy"))
    first, second, third = memory.store.add_many(
        [
            episode("a", "import:x[1]*"),
            episode("b", "import:x?2"),
            episode("c", "msg:7"),
        ]
    )
    memory.store.add_sources(first, ["import:x[1]*", "mem:9"])  # a repeat is ignored

    assert memory.store.sources_with_prefix("import:x[") == {"import:x[1]*"}
    assert memory.store.sources_with_prefix("import:") == {"import:x[1]*", "import:x?2"}
    assert memory.store.get(first).sources == ("import:x[1]*", "mem:9")
    # Episodes without a session are neighbours of each other.
    assert memory.store.session_neighbours([second]) == {second: (first, third)}
    # Episodes the caller holds are not looked up again, and answer the same.
    held = memory.store.get(third)
    assert memory.store.session_neighbours([second], episodes=[held]) == {
        third: (second, None),
        second: (first, third),
    }
    # Episodes of several sessions are looked up together, each within its own.
    one, two = memory.store.add_many(
        [episode("d", "import:d", session="s1"), episode("e", "import:e", session="s1")]
    )
    assert memory.store.session_neighbours([two, third, one]) == {
        two: (one, None),
        third: (second, None),
        one: (None, two),
    }
    # Many at once: more than a compound SELECT of SQLite's may hold.
    many = memory.store.add_many(
        [episode(f"m{i}", f"import:m{i}", session="s2") for i in range(520)]
    )
    around = memory.store.session_neighbours(many)
    assert around[many[0]] == (None, many[1]) and around[many[-1]] == (many[-2], None)
    assert all(around[b] == (a, c) for a, b, c in zip(many, many[1:], many[2:], strict=False))
    # Any text survives as a source, separators and digits included.
    odd = ("import:12:3\x1f4", "import:café ☕", "mail:<a:b@c>")
    (weird,) = memory.store.add_many([NewMemory("episode", "odd", odd)])
    assert memory.store.get(weird).sources == tuple(sorted(odd))
    assert memory.store.get_many([weird, first])[1].sources == ("import:x[1]*", "mem:9")


def test_the_episodes_before_one_are_read_latest_first_within_its_session(
    open_as: OpenStore,
) -> None:
    memory = memory_of(open_as("amy"))
    ids = memory.store.add_many(
        [
            episode("one", "import:1", session="s1"),
            episode("elsewhere", "import:2", session="s2"),
            episode("two", "import:3", session="s1"),
            episode("three", "import:4", session="s1"),
            episode("four", "import:5", session="s1"),
        ]
    )
    four = memory.store.get(ids[-1])
    assert [m.text for m in memory.store.earlier_in_session(four, 2)] == ["three", "two"]
    assert [m.text for m in memory.store.earlier_in_session(four, 9)] == ["three", "two", "one"]
    assert memory.store.earlier_in_session(memory.store.get(ids[1]), 9) == []
    # Episodes without a session are one session of their own.
    loose = memory.store.add_many([episode("a", "import:6"), episode("b", "import:7")])
    assert [m.text for m in memory.store.earlier_in_session(memory.store.get(loose[1]), 9)] == ["a"]


def test_export_holds_memories_with_sources_and_conversations(open_as: OpenStore) -> None:
    store = open_as("amy")
    memory = memory_of(store)
    conv = store.create_conversation()
    msg = store.add_message(conv.id, "user", "My favourite tree is the rowan.")
    memory.remember_turn(msg, "user")

    data = memory.store.export()

    assert data["user"] == store.user_id
    assert [m["sources"] for m in data["memories"]] == [[f"msg:{msg.id}"]]
    assert data["conversations"][0]["messages"][0]["content"] == msg.content


def test_users_never_see_each_others_memories(open_as: OpenStore) -> None:
    alice, bob = memory_of(open_as("alice")), memory_of(open_as("bob"))
    alice.store.add(NewMemory("fact", "Alice's secret island is Skye", ("user:edit",)))
    alice.consolidate()

    assert bob.recall.search("secret island Skye", k=10) == []
    assert bob.store.lexical('"skye"', 10) == []
    assert bob.store.nearest(HashingEmbedder().embed_one("secret island Skye"), 10) == []
    assert bob.store.forget_about("Skye") == [] and bob.store.common_terms(["skye"], 0) == set()
    assert len(alice.store.list()) == 1


def test_purging_a_user_removes_their_rows_and_no_one_elses(open_as: OpenStore) -> None:
    gone, kept = open_as("gone"), open_as("kept")
    for store in (gone, kept):
        memory = memory_of(store)
        conv = store.create_conversation()
        memory.remember_turn(store.add_message(conv.id, "user", "I grow tomatoes."), "user")
        memory.consolidate()
        store.set_profile("user_name", store.user_id)

    removed = purge_user_data(gone)

    assert removed["memories"] >= 1 and removed["conversations"] == 1
    assert gone.list_conversations() == [] and gone.profile() == {}
    assert MemoryStore(gone).count() == 0
    assert len(kept.list_conversations()) == 1 and MemoryStore(kept).count() >= 1
    assert kept.profile() == {"user_name": kept.user_id}


def test_a_skill_table_is_known_to_exist_only_once_made(open_as: OpenStore) -> None:
    store = open_as("amy")
    assert store.table_exists("memories")
    assert not store.table_exists("no_such_table")


def test_memories_copied_in_without_index_entries_are_found(postgres_url: str) -> None:
    # PostgreSQL only: SQLite's in-memory index is loaded from the stored vectors anyway.
    store = PostgresStore(postgres_url, f"amy-{next(_users)}")
    try:
        _copied_in_memories_are_found(store)
    finally:
        store.close()


def _copied_in_memories_are_found(store: Store) -> None:
    memories = MemoryStore(store)
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((20, 48)).astype(np.float32)
    ids = memories.add_many([episode(f"copied {i}", f"import:k{i}") for i in range(20)])
    memories.set_embeddings("test", list(zip(ids, vectors, vectors, strict=True)))
    # As `os1 migrate` leaves them: memories and embeddings, no pgvector rows.
    with store.transaction() as db:
        db.execute("DELETE FROM memory_vec_48 WHERE user_id = ?", (store.user_id,))
    from os1.storage import pg_memory

    pg_memory._backfilled.clear()  # a fresh process

    assert MemoryStore(store).nearest(vectors[7], 1)[0][0] == ids[7]


class _Reversed(HashingEmbedder):
    """Another model: the hashing embedder's vectors reversed (same size, other meaning)."""

    name = "hashing-reversed"

    def embed(self, texts):  # type: ignore[no-untyped-def]
        return super().embed(texts)[:, ::-1].copy()


def test_memories_embedded_by_another_model_are_embedded_again_once(open_as: OpenStore) -> None:
    store = open_as("amy")
    before = memory_of(store)
    ids = before.store.add_many(
        [
            episode("We hiked up the ridge at dawn", "chat:1", session="s1"),
            episode("The fog lifted over the valley", "chat:2", session="s1"),
            episode("My sister Ruth flew in from Lima", "chat:3", session="s1"),
        ]
    )
    before.consolidate()
    assert before.store.embedded_by_other(HashingEmbedder.name) == []

    other = _Reversed()
    after = memory_of(store, other)
    stale = {m.id for m in after.store.embedded_by_other(other.name)}
    assert set(ids) <= stale  # every memory, facts derived from the turns included
    forgettings = after.store.forgettings()

    after.consolidate()

    assert after.store.embedded_by_other(other.name) == []
    assert after.store.forgettings() > forgettings  # recall's session means start over
    own = after.store.own_vectors(ids, other.name)
    for memory in after.store.get_many(ids):
        assert np.allclose(own[memory.id], other.embed_one(memory.text), atol=1e-6)
    # The middle turn is searched with its neighbours' new vectors, not the old model's.
    search = own[ids[1]] + 0.5 * (own[ids[0]] + own[ids[2]])
    found = after.store.nearest(search / np.linalg.norm(search), 1)
    assert found[0][0] == ids[1] and found[0][1] > 0.999


def test_two_processes_consolidating_one_user_at_once_store_each_fact_once(
    open_as: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two stores of one user, as two workers (or `os1 memory search` beside the server)
    # hold them, consolidate the same pending turns at once.
    first, second = memory_of(open_as("cleo")), memory_of(open_as("cleo"))
    said = ["My sister's name is Ana.", "I live in Lisbon.", "I work as a nurse."]
    first.import_messages(
        [ImportedMessage(str(i), "user", text, None, "s1", None) for i, text in enumerate(said)]
    )
    # Where nothing keeps the runs apart, both look at a fact's slot before either stores
    # it. (Kept apart, the first waits out the meeting once, then goes on alone.)
    meet = threading.Barrier(2, timeout=0.5)
    look = MemoryStore.active_in_slot

    def looked_at_together(self: MemoryStore, subject: str, attribute: str) -> list[Memory]:
        found = look(self, subject, attribute)
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()
        return found

    monkeypatch.setattr(MemoryStore, "active_in_slot", looked_at_together)
    runs = [threading.Thread(target=m.consolidate) for m in (first, second)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=30)
    facts = [(m.subject, m.attribute, m.value) for m in first.store.list() if m.kind != "episode"]
    assert len(facts) >= len(said)
    assert sorted(facts) == sorted(set(facts))
