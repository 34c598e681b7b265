"""The store contract: what every backend promises, run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from os1.errors import NotFound, StorageError
from os1.storage import SQLiteStore, Store, open_store
from os1.storage.base import ToolCallRecord
from os1.storage.sqlite import now

OpenAs = Callable[[str], Store]


@pytest.fixture(params=["sqlite", "postgresql"])
def open_as(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenAs]:
    """Opens stores of one database for any user. Each test's users are its own (PostgreSQL's
    database lives for the whole session), which the scoping under test keeps apart."""
    opened: list[Store] = []
    prefix = uuid.uuid4().hex[:8] + "-"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")

        def make(user: str) -> Store:
            s = open_store(tmp_path, prefix + user, database_url=url)
            opened.append(s)
            return s
    else:

        def make(user: str) -> Store:
            s = SQLiteStore(tmp_path / "os1.db", prefix + user)
            opened.append(s)
            return s

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def store(open_as: OpenAs) -> Store:
    return open_as("alice")


def unique(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:8]}"


def call(conv: int, call_id: str | None = None) -> ToolCallRecord:
    return ToolCallRecord(
        id=call_id or unique("call"),
        conversation_id=conv,
        name="send_mail",
        arguments={"to": "bob@example.org"},
        side_effect=True,
        origin="intent",
        summary="Send a mail to Bob",
        status="pending",
        created_at=now(),
    )


def run_together(*jobs: Callable[[], object]) -> list[object]:
    """Runs the jobs in threads released at the same moment; their results in order."""
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# -- conversations and messages ------------------------------------------------------------


def test_first_user_message_titles_the_conversation(store: Store) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "  Planning   the trip to Lisbon  ")
    store.add_message(conv.id, "user", "something else")
    got = store.get_conversation(conv.id)
    assert got.title == "Planning the trip to Lisbon"
    assert got.message_count == 2


def test_latest_conversation_is_the_most_recently_active(store: Store) -> None:
    a = store.create_conversation()
    b = store.create_conversation()
    store.add_message(a.id, "user", "back to a")
    latest = store.latest_conversation()
    assert latest is not None and latest.id == a.id
    assert [c.id for c in store.list_conversations()] == [a.id, b.id]
    assert [c.id for c in store.list_conversations(limit=1)] == [a.id]
    assert store.latest_conversation_id() == a.id


def test_a_new_user_has_no_latest_conversation(store: Store) -> None:
    assert store.latest_conversation() is None and store.latest_conversation_id() is None


def test_a_conversation_is_owned_only_by_its_user(open_as: OpenAs) -> None:
    ann, bob = open_as("ann"), open_as("bob")
    conv = ann.create_conversation()
    assert ann.own_conversation(conv.id) == conv.id
    with pytest.raises(NotFound):
        bob.own_conversation(conv.id)
    with pytest.raises(NotFound):
        ann.own_conversation(987_654_321)


def test_messages_last_n_returns_the_most_recent_in_order(store: Store) -> None:
    conv = store.create_conversation()
    for i in range(5):
        store.add_message(conv.id, "user", f"m{i}")
    assert [m.content for m in store.messages(conv.id, last=2)] == ["m3", "m4"]
    assert [m.content for m in store.messages(conv.id)] == [f"m{i}" for i in range(5)]


def test_message_meta_and_status_round_trip(store: Store) -> None:
    conv = store.create_conversation()
    sent = store.add_message(conv.id, "assistant", "cut", "cancelled", {"untrusted": True})
    [got] = store.messages(conv.id)
    assert got == sent
    assert got.meta == {"untrusted": True} and got.status == "cancelled"


def test_a_reply_cut_off_while_spoken_keeps_only_what_was_heard(open_as: OpenAs) -> None:
    alice, bob = open_as("alice"), open_as("bob")
    conv = alice.create_conversation().id
    question = alice.add_message(conv, "user", "Tell me about Lisbon.")
    reply = alice.add_message(
        conv, "assistant", "Lisbon is hilly. The trams are yellow.", meta={"model": "m"}
    )

    cut = alice.truncate_message(reply.id, "Lisbon is hilly.", "interrupted")

    assert (cut.id, cut.content, cut.status, cut.meta) == (
        reply.id, "Lisbon is hilly.", "interrupted", {"model": "m"},
    )  # fmt: skip
    assert cut.created_at == reply.created_at and cut.conversation_id == conv
    assert alice.messages(conv) == [question, cut]
    assert [m.content for m in alice.dialogue(conv, 5)][-1] == "Lisbon is hilly."
    # Only this user's replies: not another user's, not the user's own words.
    with pytest.raises(NotFound):
        bob.truncate_message(reply.id, "", "interrupted")
    with pytest.raises(NotFound):
        alice.truncate_message(question.id, "Tell me", "interrupted")
    with pytest.raises(NotFound):
        alice.truncate_message(987_654_321, "", "interrupted")
    assert alice.messages(conv) == [question, cut]


def test_renaming_and_deleting_a_conversation(store: Store) -> None:
    conv = store.create_conversation("old")
    store.add_message(conv.id, "user", "hello")
    pending = call(conv.id)
    store.add_tool_call(pending)
    assert store.rename_conversation(conv.id, "new").title == "new"
    store.delete_conversation(conv.id)
    with pytest.raises(NotFound):
        store.get_conversation(conv.id)
    with pytest.raises(NotFound):
        store.get_tool_call(pending.id)  # tool calls go with their conversation
    with pytest.raises(NotFound):
        store.delete_conversation(conv.id)


def test_unknown_conversations_and_tool_calls_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get_conversation(987_654_321)
    with pytest.raises(NotFound):
        store.messages(987_654_321)
    with pytest.raises(NotFound):
        store.add_message(987_654_321, "user", "into the void")
    with pytest.raises(NotFound):
        store.dialogue(987_654_321, 5)
    with pytest.raises(NotFound):
        store.get_tool_call("no-such-call")
    with pytest.raises(NotFound):
        store.add_tool_call(call(987_654_321))


def test_dialogue_is_the_recent_non_empty_exchange_oldest_first(store: Store) -> None:
    conv = store.create_conversation().id
    assert store.dialogue(conv, 5) == []
    store.add_message(conv, "user", "one")
    store.add_message(conv, "assistant", "", status="cancelled")
    store.add_message(conv, "tool", "tool output")
    store.add_message(conv, "assistant", "two", meta={"untrusted": True})
    store.add_message(conv, "user", "three")
    lines = store.dialogue(conv, 2)
    assert [(m.role, m.content, m.untrusted) for m in lines] == [
        ("assistant", "two", True),
        ("user", "three", False),
    ]


def test_concurrent_writers_lose_nothing(open_as: OpenAs) -> None:
    conv = open_as("alice").create_conversation()
    writers = [open_as("alice") for _ in range(4)]

    def write(s: Store, n: int) -> None:
        for i in range(25):
            s.add_message(conv.id, "user", f"{n}-{i}")

    run_together(*(lambda s=s, n=n: write(s, n) for n, s in enumerate(writers)))
    assert len(writers[0].messages(conv.id)) == 100


# -- users ----------------------------------------------------------------------------------


def test_stores_are_scoped_to_their_user(open_as: OpenAs) -> None:
    alice, bob = open_as("alice"), open_as("bob")
    conv = alice.create_conversation()
    alice.add_message(conv.id, "user", "alice's secret")
    alice.set_profile("user_name", "Alice")
    pending = call(conv.id)
    alice.add_tool_call(pending)
    for reach in (
        lambda: bob.messages(conv.id),
        lambda: bob.add_message(conv.id, "user", "sneaking in"),
        lambda: bob.get_conversation(conv.id),
        lambda: bob.rename_conversation(conv.id, "mine now"),
        lambda: bob.delete_conversation(conv.id),
        lambda: bob.dialogue(conv.id, 10),
        lambda: bob.get_tool_call(pending.id),
        lambda: bob.add_tool_call(call(conv.id)),
    ):
        with pytest.raises(NotFound):
            reach()
    assert bob.claim_tool_call(pending.id, "pending", "running") is False
    bob.finish_tool_call(pending.id, "done", "bob's output")
    bob.delete_profile("user_name")
    assert bob.list_conversations() == []
    assert bob.latest_conversation() is None
    assert bob.profile() == {}
    assert bob.tool_calls() == []
    assert [m.content for m in alice.messages(conv.id)] == ["alice's secret"]
    assert alice.get_conversation(conv.id).title == "alice's secret"
    assert alice.profile() == {"user_name": "Alice"}
    assert alice.get_tool_call(pending.id) == pending


def test_profile_values_round_trip_as_json(store: Store) -> None:
    store.set_profile("answers", {"hopes": "less chaos"})
    store.set_profile("onboarded", True)
    store.set_profile("onboarded", False)
    assert store.profile() == {"answers": {"hopes": "less chaos"}, "onboarded": False}
    store.delete_profile("answers")
    assert "answers" not in store.profile()


def test_one_profile_value_is_read_as_the_whole_profile_holds_it(open_as: OpenAs) -> None:
    alice, bob = open_as("alice"), open_as("bob")
    alice.set_profiles({"moods": {"day": {"ids": [1]}}, "timezone": "Europe/Lisbon"})
    bob.set_profile("timezone", "Asia/Tokyo")
    assert alice.profile_value("timezone") == "Europe/Lisbon"
    assert bob.profile_value("moods") is None  # another user's key is not theirs
    mine = alice.profile_value("moods")
    mine["day"]["ids"].append(2)  # the caller's copy, not the store's
    assert alice.profile_value("moods") == {"day": {"ids": [1]}} == alice.profile()["moods"]
    bob.set_profile("moods", {"day": {"ids": [9]}})  # a write by another connection shows
    assert open_as("bob").profile_value("moods") == {"day": {"ids": [9]}}
    alice.delete_profile("timezone")
    assert alice.profile_value("timezone") is None


def test_a_steady_stretch_reads_the_profile_as_of_its_first_read_and_its_own_writes_always(
    open_as: OpenAs,
) -> None:
    here = open_as("alice")
    there = open_as("alice")  # another connection, or another worker, of the same user
    here.set_profile("mood", "calm")
    assert here.profile_value("mood") == "calm"
    there.set_profile("mood", "busy")  # before the stretch
    with here.steady():
        assert here.profile_value("mood") == "busy"  # the first read looks
        there.set_profile("mood", "tired")  # during the stretch
        assert here.profile_values("mood") == {"mood": "busy"}  # as of its first read
        here.set_profile("name", "Sam")  # its own writes always count
        assert here.profile() == {"mood": "tired", "name": "Sam"}
        with here.transaction() as db:
            db.execute(
                "UPDATE profile SET value = ? WHERE user_id = ? AND key = ?",
                ('"Samantha"', here.user_id, "name"),
            )
            assert here.profile_value("name") == "Samantha"  # inside, uncommitted
        mine = here.profile_value("name")
        assert mine == "Samantha"
        with here.steady():  # nested: the same stretch
            there.set_profile("mood", "sleepy")
            assert here.profile_value("mood") == "tired"
    assert here.profile_value("mood") == "sleepy"  # after the stretch, as it is now


def test_two_writers_ensuring_one_conversation_get_the_same_one(open_as: OpenAs) -> None:
    stores = [open_as("alice") for _ in range(4)]
    got = run_together(*(lambda s=s: s.ensure_conversation("outbox", "Hi") for s in stores))
    assert len(set(got)) == 1
    assert [c.id for c in stores[0].list_conversations()] == got[:1]
    assert stores[0].ensure_conversation("outbox", "Hi") == got[0]
    # Another user gets a conversation of their own.
    assert open_as("someone-else").ensure_conversation("outbox", "Hi") != got[0]


# -- tool calls -----------------------------------------------------------------------------


def test_tool_calls_round_trip_and_filter(store: Store) -> None:
    a, b = store.create_conversation().id, store.create_conversation().id
    first, second = call(a), call(b)
    store.add_tool_call(first)
    store.add_tool_call(second)
    assert store.get_tool_call(first.id) == first
    assert [c.id for c in store.tool_calls(conversation_id=b)] == [second.id]
    store.finish_tool_call(first.id, "done", "sent")
    done = store.get_tool_call(first.id)
    assert (done.status, done.output) == ("done", "sent")
    assert [c.id for c in store.tool_calls(status="pending")] == [second.id]


def test_a_confirmation_is_claimed_exactly_once_by_two_threads(open_as: OpenAs) -> None:
    owner = open_as("alice")
    pending = call(owner.create_conversation().id)
    owner.add_tool_call(pending)
    stores = [open_as("alice"), open_as("alice")]
    for _ in range(10):  # a race, so more than one try
        won = run_together(*(lambda s=s: s.claim_tool_call(pending.id, "pending", "running")
                             for s in stores))  # fmt: skip
        assert sorted(won) == [False, True]
        assert owner.claim_tool_call(pending.id, "running", "pending")
    assert owner.get_tool_call(pending.id).decided_at is not None


# -- the query layer ------------------------------------------------------------------------

ITEMS = {
    "sqlite": [
        "CREATE TABLE {t} (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, "
        "label TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0)"
    ],
    "postgresql": [
        "CREATE TABLE {t} (id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, "
        "label TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0)"
    ],
}


def items_table(store: Store) -> str:
    table = unique("items")
    store.migrate_component(table, {k: [s.format(t=table) for s in v] for k, v in ITEMS.items()})
    return table


def test_component_migrations_run_each_dialects_own_steps(store: Store) -> None:
    table = items_table(store)
    with store.transaction() as db:
        row = db.execute(
            f"INSERT INTO {table} (user_id, label) VALUES (?, ?) RETURNING id",
            (store.user_id, "x"),
        ).fetchone()
    assert row is not None and isinstance(row[0], int)
    # A later step is applied once, on top of the first.
    steps = {k: [s.format(t=table) for s in v] for k, v in ITEMS.items()}
    for dialect in steps:
        steps[dialect].append(f"ALTER TABLE {table} ADD COLUMN note TEXT")
    store.migrate_component(table, steps)
    store.migrate_component(table, steps)
    assert store.query(f"SELECT label, note FROM {table}")[0]["note"] is None
    [(version,)] = [tuple(r) for r in store.query(
        "SELECT version FROM schema_components WHERE name = ?", (table,))]  # fmt: skip
    assert version == 2


def test_two_stores_migrating_a_component_at_once_apply_it_once(open_as: OpenAs) -> None:
    table = unique("shared")
    steps = [
        # No user_id column: a table of no user's, which every store reads (row-level
        # security on PostgreSQL would hide a seeded user's row from the others).
        f"CREATE TABLE {table} (label TEXT NOT NULL)",
        f"INSERT INTO {table} (label) VALUES ('once')",
    ]
    stores = [open_as("a"), open_as("b"), open_as("c")]
    run_together(*(lambda s=s: s.migrate_component(table, steps) for s in stores))
    assert [tuple(r) for r in stores[0].query(f"SELECT label FROM {table}")] == [("once",)]


def test_rows_by_position_and_name_and_placeholders_beside_literal_marks(store: Store) -> None:
    table = items_table(store)
    with store.transaction() as db:
        db.execute(
            f"INSERT INTO {table} (user_id, label, n) VALUES (?, '100% sure? yes', ?)",
            (store.user_id, 7),
        )
    rows = store.query(
        f"SELECT label, n, 'it''s ?' AS q FROM {table} "
        "WHERE user_id = ? AND label LIKE '100%' AND n > ?",
        (store.user_id, 1),
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row[0], row["n"], row["q"]) == ("100% sure? yes", 7, "it's ?")
    assert list(row.keys()) == ["label", "n", "q"]


def test_a_failed_transaction_keeps_nothing_and_rowcounts_count(store: Store) -> None:
    table = items_table(store)
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute(f"INSERT INTO {table} (user_id, label) VALUES (?, ?)", (store.user_id, "lost"))
        raise RuntimeError("changed my mind")
    assert store.query(f"SELECT COUNT(*) FROM {table}")[0][0] == 0
    with store.transaction() as db:
        many = db.executemany(
            f"INSERT INTO {table} (user_id, label) VALUES (?, ?)",
            [(store.user_id, "a"), (store.user_id, "b")],
        )
        changed = db.execute(f"UPDATE {table} SET n = n + 1 WHERE user_id = ?", (store.user_id,))
        nothing = db.execute(f"UPDATE {table} SET n = 0 WHERE user_id = ?", ("nobody",))
    assert (many.rowcount, changed.rowcount, nothing.rowcount) == (2, 2, 0)
    assert nothing.fetchall() == [] and nothing.fetchone() is None


def test_bad_sql_is_a_storage_error(store: Store) -> None:
    with pytest.raises(StorageError):
        store.query("SELECT no_such_column FROM conversations")
    with pytest.raises(StorageError), store.transaction() as db:
        db.execute("INSERT INTO no_such_table VALUES (?)", (1,))
    assert store.list_conversations() == []  # and the store still works


def test_a_read_inside_a_transaction_sees_its_own_writes(store: Store) -> None:
    table = items_table(store)
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute(f"INSERT INTO {table} (user_id, label) VALUES (?, ?)", (store.user_id, "draft"))
        assert [tuple(r) for r in store.query(f"SELECT label FROM {table}")] == [("draft",)]
        raise RuntimeError("and then it is rolled back")
    assert store.query(f"SELECT label FROM {table}") == []
