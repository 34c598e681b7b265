import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlean as sqlite3  # the same SQLite library as the app: two in one process corrupt WAL locks

from os1.errors import NotFound, StorageError, StorageFull
from os1.storage import SQLiteStore
from os1.storage.migrations import MIGRATIONS


def test_database_uses_wal_and_the_latest_migration(store: SQLiteStore) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == len(MIGRATIONS)


def test_reopening_keeps_data_and_does_not_rerun_migrations(home: Path) -> None:
    first = SQLiteStore(home / "os1.db")
    conv = first.create_conversation()
    first.add_message(conv.id, "user", "hello")
    first.close()
    again = SQLiteStore(home / "os1.db")
    assert [m.content for m in again.messages(conv.id)] == ["hello"]
    assert again.schema_version == len(MIGRATIONS)


def test_first_user_message_titles_the_conversation(store: SQLiteStore) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "  Planning   the trip to Lisbon  ")
    store.add_message(conv.id, "user", "something else")
    assert store.get_conversation(conv.id).title == "Planning the trip to Lisbon"


def test_latest_conversation_is_the_most_recently_active(store: SQLiteStore) -> None:
    a = store.create_conversation()
    b = store.create_conversation()
    store.add_message(a.id, "user", "back to a")
    latest = store.latest_conversation()
    assert latest is not None and latest.id == a.id
    assert [c.id for c in store.list_conversations()] == [a.id, b.id]


def test_messages_last_n_returns_the_most_recent_in_order(store: SQLiteStore) -> None:
    conv = store.create_conversation()
    for i in range(5):
        store.add_message(conv.id, "user", f"m{i}")
    assert [m.content for m in store.messages(conv.id, last=2)] == ["m3", "m4"]


def test_stores_are_scoped_to_their_user(home: Path) -> None:
    alice = SQLiteStore(home / "os1.db", user_id="alice")
    bob = SQLiteStore(home / "os1.db", user_id="bob")
    conv = alice.create_conversation()
    alice.add_message(conv.id, "user", "alice's secret")
    alice.set_profile("user_name", "Alice")
    with pytest.raises(NotFound):
        bob.messages(conv.id)
    with pytest.raises(NotFound):
        bob.add_message(conv.id, "user", "sneaking in")
    assert bob.list_conversations() == []
    assert bob.latest_conversation() is None
    assert bob.profile() == {}
    assert [m.content for m in alice.messages(conv.id)] == ["alice's secret"]


def test_profile_values_round_trip_as_json(store: SQLiteStore) -> None:
    store.set_profile("answers", {"hopes": "less chaos"})
    store.set_profile("onboarded", True)
    store.set_profile("onboarded", False)
    assert store.profile() == {"answers": {"hopes": "less chaos"}, "onboarded": False}
    store.delete_profile("answers")
    assert "answers" not in store.profile()


def test_a_full_disk_is_a_clear_storage_error_and_keeps_earlier_data(home: Path) -> None:
    store = SQLiteStore(home / "os1.db", max_pages=40)
    conv = store.create_conversation()
    kept = store.add_message(conv.id, "user", "short and safe")
    with pytest.raises(StorageFull) as caught:
        store.add_message(conv.id, "user", "x" * 1_000_000)
    assert "disk is full" in caught.value.message
    assert [m.id for m in store.messages(conv.id)] == [kept.id]


def test_a_damaged_database_file_is_a_clear_error(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "os1.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError) as caught:
        SQLiteStore(home / "os1.db")
    assert "damaged" in caught.value.message


def test_a_profile_read_again_sees_every_write_and_can_be_changed_freely(home: Path) -> None:
    # The profile's rows are kept between reads: a write by this store, by another store on
    # the same file, or a rolled-back one must each show on the next read.
    mine = SQLiteStore(home / "os1.db")
    other = SQLiteStore(home / "os1.db")
    mine.set_profile("moods", {"day": {"ids": [1]}})
    first = mine.profile()
    first["moods"]["day"]["ids"].append(2)  # a caller's copy, not the store's
    assert mine.profile() == {"moods": {"day": {"ids": [1]}}}
    other.set_profile("user_name", "Ada")
    assert mine.profile()["user_name"] == "Ada"
    with mine.transaction() as db:  # a raw write to the table, as migrations or imports do
        db.execute("UPDATE profile SET value = '\"Bea\"' WHERE key = 'user_name'")
    assert mine.profile()["user_name"] == "Bea"
    with pytest.raises(RuntimeError), mine.transaction() as db:
        db.execute("UPDATE profile SET value = '\"Cy\"' WHERE key = 'user_name'")
        assert mine.profile()["user_name"] == "Cy"  # read inside, then rolled back
        raise RuntimeError("abandon")
    assert mine.profile()["user_name"] == "Bea"
    mine.close()
    other.close()


def test_concurrent_writers_lose_nothing(home: Path) -> None:
    conv = SQLiteStore(home / "os1.db").create_conversation()

    def write(n: int) -> None:
        s = SQLiteStore(home / "os1.db")
        for i in range(50):
            s.add_message(conv.id, "user", f"{n}-{i}")
        s.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(SQLiteStore(home / "os1.db").messages(conv.id)) == 200


def test_dialogue_is_the_recent_non_empty_exchange_oldest_first(store: SQLiteStore) -> None:
    conv = store.create_conversation().id
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
    other = SQLiteStore(store.path, "someone-else")
    try:
        with pytest.raises(NotFound):
            other.dialogue(conv, 10)
    finally:
        other.close()


def test_two_writers_ensuring_one_conversation_get_the_same_one(home: Path) -> None:
    stores = [SQLiteStore(home / "os1.db") for _ in range(4)]
    got: list[int] = []
    try:
        threads = [
            threading.Thread(target=lambda s=s: got.append(s.ensure_conversation("outbox", "Hi")))
            for s in stores
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(got)) == 1 and len(got) == 4
        assert [c.id for c in stores[0].list_conversations()] == got[:1]
        # Another user gets a conversation of their own.
        other = SQLiteStore(home / "os1.db", "someone-else")
        try:
            assert other.ensure_conversation("outbox", "Hi") != got[0]
        finally:
            other.close()
    finally:
        for s in stores:
            s.close()


def test_a_store_lent_to_another_user_is_scoped_to_them_and_its_close_keeps_the_connection(
    home: Path,
) -> None:
    owner = SQLiteStore(home / "os1.db", user_id="alice")
    conv = owner.create_conversation()
    owner.add_message(conv.id, "user", "alice's secret")
    bob = owner.sharing_connection("bob")
    with pytest.raises(NotFound):
        bob.messages(conv.id)
    assert bob.list_conversations() == []
    bob.set_profile("user_name", "Bob")
    assert bob.profile() == {"user_name": "Bob"}
    assert owner.profile() == {}
    bob.close()  # borrowed: the connection stays open for its owner
    assert [m.content for m in owner.messages(conv.id)] == ["alice's secret"]
    owner.close()
    with pytest.raises(StorageError):
        bob.profile()  # closed with its owner


def test_a_profile_read_inside_a_rolled_back_transaction_of_a_lent_store_is_not_kept(
    home: Path,
) -> None:
    # Stores on one connection see each other's uncommitted writes: a rollback by one must
    # drop what the other read meanwhile.
    owner = SQLiteStore(home / "os1.db", user_id="alice")
    owner.set_profile("user_name", "Alice")
    assert owner.profile()["user_name"] == "Alice"
    bob = owner.sharing_connection("bob")
    with pytest.raises(RuntimeError), bob.transaction() as db:
        db.execute("UPDATE profile SET value = '\"Al\"' WHERE user_id = 'alice'")
        assert owner.profile()["user_name"] == "Al"
        raise RuntimeError("abandon")
    assert owner.profile()["user_name"] == "Alice"
    owner.close()


def test_a_steady_stretch_sees_others_profile_changes_at_its_first_read_and_its_own_always(
    home: Path,
) -> None:
    here, there = SQLiteStore(home / "os1.db"), SQLiteStore(home / "os1.db")
    try:
        here.set_profile("mood", "calm")
        assert here.profile()["mood"] == "calm"  # cached
        there.set_profile("mood", "busy")  # another connection, before the stretch
        statements: list[str] = []
        here._db.set_trace_callback(statements.append)
        with here.steady():
            assert here.profile()["mood"] == "busy"  # the first read looks
            there.set_profile("mood", "tired")  # another connection, during the stretch
            assert here.profile()["mood"] == "busy"  # a stretch reads as of its first read
            here.set_profile("name", "Sam")  # its own writes always count
            assert here.profile() == {"mood": "tired", "name": "Sam"}
            assert here.profile()["name"] == "Sam"
        here._db.set_trace_callback(None)
        # Five reads, one look at data_version.
        assert sum(s == "PRAGMA data_version" for s in statements) == 1
        assert here.profile()["mood"] == "tired"
    finally:
        here.close()
        there.close()


def test_stores_sharing_a_connection_read_their_profile_again_only_after_their_users_writes(
    home: Path,
) -> None:
    # A server's users share one connection: another user's writes must not cost this
    # user's cached profile, this user's own (through any of their stores) must.
    host = SQLiteStore(home / "os1.db", "server")
    try:
        amy, bo = host.sharing_connection("amy"), host.sharing_connection("bo")
        amy.set_profile("mood", "calm")
        assert amy.profile()["mood"] == "calm"
        statements: list[str] = []
        host._db.set_trace_callback(statements.append)
        bo.set_profile("mood", "busy")
        bo.query("UPDATE profile SET value = '\"tired\"' WHERE user_id = 'bo'")
        assert amy.profile()["mood"] == "calm"
        assert not any("FROM profile" in s for s in statements)
        amy_elsewhere = host.sharing_connection("amy")
        amy_elsewhere.set_profile("mood", "glad")
        assert amy.profile()["mood"] == "glad"
        amy_elsewhere.query("UPDATE profile SET value = '\"proud\"' WHERE user_id = 'amy'")
        assert amy.profile()["mood"] == "proud"  # a write outside a transaction counts too
        host._db.set_trace_callback(None)
        assert bo.profile()["mood"] == "tired"
    finally:
        host.close()


def test_an_exclusive_stretch_keeps_another_process_of_the_same_user_waiting(home: Path) -> None:
    # `os1 memory search` beside `os1 serve`: two processes on one file.
    holder = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from os1.storage import SQLiteStore\n"
        "store = SQLiteStore(Path(sys.argv[1]), 'ada')\n"
        "with store.exclusive():\n"
        "    Path(sys.argv[2]).touch()\n"
        "    time.sleep(1.0)\n"
        "    Path(sys.argv[3]).touch()\n"
    )
    held, done = home / "held", home / "done"
    child = subprocess.Popen(
        [sys.executable, "-c", holder, str(home / "os1.db"), str(held), str(done)]
    )
    try:
        deadline = time.monotonic() + 30
        while not held.exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        ada, bob = SQLiteStore(home / "os1.db", "ada"), SQLiteStore(home / "os1.db", "bob")
        started = time.monotonic()
        with bob.exclusive():  # another user does not wait
            assert time.monotonic() - started < 0.5
        with ada.exclusive():
            assert done.exists()  # in only once the other process's stretch ended
        ada.close()
        bob.close()
    finally:
        child.wait(timeout=30)


def test_exclusive_stretches_leave_no_file_open(tmp_path: Path) -> None:
    # A process that visits many homes (the tests, `os1 migrate`) must not keep a lock file
    # open for each.
    before = len(os.listdir("/proc/self/fd"))
    for i in range(50):
        store = SQLiteStore(tmp_path / f"home{i}" / "os1.db", "ada")
        with store.exclusive():
            pass
        store.close()
    assert len(os.listdir("/proc/self/fd")) <= before
