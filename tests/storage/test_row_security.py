"""Row-level security on PostgreSQL: the second lock behind every query's `WHERE user_id = ?`.

These tests write SQL that forgets its user filter on purpose and show that the database
itself keeps each user's rows apart, for the core tables and for tables a component migrates
later, while the system paths that must read across users (the reminder scheduler's index,
removing a user) still work.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from os1.errors import StorageError
from os1.mind.outbox import Notifier
from os1.skills.reminders import book
from os1.skills.reminders.scheduler import INDEX_USER, ReminderScheduler
from os1.storage.base import Store, now
from os1.storage.postgres import PostgresStore, bypasses_row_security, pool_for
from os1.time.future import Due


def two_users(url: str) -> tuple[PostgresStore, PostgresStore]:
    tag = uuid.uuid4().hex[:8]
    return PostgresStore(url, f"alice-{tag}"), PostgresStore(url, f"bob-{tag}")


def fill(store: Store) -> None:
    """A conversation, a profile entry and a memory with its source and embedding."""
    conv = store.create_conversation()
    store.add_message(conv.id, "user", f"I am {store.user_id}")
    store.set_profile("user_name", store.user_id)
    with store.transaction() as db:
        made = db.execute(
            "INSERT INTO memories (user_id, kind, text, created_at) "
            "VALUES (?, 'fact', ?, ?) RETURNING id",
            (store.user_id, f"{store.user_id} likes tea", now()),
        ).fetchone()
        assert made is not None
        db.execute(
            "INSERT INTO memory_sources (memory_id, source) VALUES (?, ?)", (made[0], "msg:1")
        )
        db.execute(
            "INSERT INTO memory_embeddings (memory_id, model, vector, search_vector) "
            "VALUES (?, 'm', ?, ?)",
            (made[0], b"\x01" * 8, b"\x02" * 8),
        )


def test_a_query_that_forgets_its_user_filter_sees_only_its_own_rows(postgres_url: str) -> None:
    alice, bob = two_users(postgres_url)
    fill(alice)
    fill(bob)
    for table in ("conversations", "messages", "profile", "memories"):
        seen = {r[0] for r in alice.query(f"SELECT user_id FROM {table}")}
        assert seen == {alice.user_id}, table
    # Tables without a user_id column follow their memory.
    [(sources,)] = [tuple(r) for r in alice.query("SELECT COUNT(*) FROM memory_sources")]
    [(vectors,)] = [tuple(r) for r in alice.query("SELECT COUNT(*) FROM memory_embeddings")]
    assert (sources, vectors) == (1, 1)
    # A careless UPDATE or DELETE touches only this user's rows too.
    with alice.transaction() as db:
        db.execute("UPDATE profile SET value = ?", ('"overwritten"',))
        db.execute("DELETE FROM memories")
    assert bob.profile() == {"user_name": bob.user_id}
    assert [r[0] for r in bob.query("SELECT text FROM memories")] == [f"{bob.user_id} likes tea"]
    assert alice.profile() == {"user_name": "overwritten"}


def test_a_store_cannot_write_rows_for_another_user(postgres_url: str) -> None:
    alice, bob = two_users(postgres_url)
    with pytest.raises(StorageError, match="row-level security"), alice.transaction() as db:
        db.execute(
            "INSERT INTO profile (user_id, key, value, updated_at) VALUES (?, 'x', '1', ?)",
            (bob.user_id, now()),
        )
    assert bob.profile() == {}


def test_a_pooled_connection_carries_no_user_into_the_next_work(postgres_url: str) -> None:
    alice, _ = two_users(postgres_url)
    fill(alice)
    alice.query("SELECT 1")
    # Outside a store's transaction no user is named, so nothing is visible at all.
    for user, visible, _ in pooled_connections_as_lent(postgres_url):
        assert (user, visible) == ("", 0)


def pooled_connections_as_lent(url: str) -> list[tuple[str, int, str]]:
    """What two of the pool's connections carry: (the user named, the memories visible,
    pgvector's search width)."""
    seen = []
    pool = pool_for(url)
    with pool.connection() as first, pool.connection() as second:
        for conn in (first, second):
            row = conn.execute(
                "SELECT COALESCE(current_setting('os1.user_id', true), ''), "
                "(SELECT COUNT(*) FROM memories), "
                "COALESCE(current_setting('hnsw.ef_search', true), '')"
            ).fetchone()
            assert row is not None
            seen.append((str(row[0]), int(row[1]), str(row[2])))
    return seen


def test_reads_that_fail_or_set_search_settings_carry_no_user_either(postgres_url: str) -> None:
    # A read names its user and runs in one pipelined round trip; the name must end with it
    # whether the read succeeds, fails, or sets pgvector's settings as well.
    alice, _ = two_users(postgres_url)
    fill(alice)
    with pytest.raises(StorageError):
        alice.query("SELECT 1 / (COUNT(*) - COUNT(*)) FROM memories")
    for _ in range(2):  # the first call learns which settings the server takes
        rows = alice.query_with({"hnsw.ef_search": "57"}, "SELECT COUNT(*) FROM memories")
        assert rows[0][0] == 1
    for user, visible, width in pooled_connections_as_lent(postgres_url):
        assert (user, visible) == ("", 0)
        assert width != "57"  # pgvector's default is 40


def test_tables_a_component_migrates_later_are_locked_too(postgres_url: str) -> None:
    alice, bob = two_users(postgres_url)
    table = f"later_{uuid.uuid4().hex[:8]}"
    alice.migrate_component(
        table, [f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL)"]
    )
    for store in (alice, bob):
        with store.transaction() as db:
            db.execute(f"INSERT INTO {table} (user_id) VALUES (?)", (store.user_id,))
    assert [r[0] for r in bob.query(f"SELECT user_id FROM {table}")] == [bob.user_id]
    locked = alice.query(
        "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = ?", (table,)
    )
    assert locked[0][0] is True


def test_a_skills_own_tables_keep_users_apart(postgres_url: str) -> None:
    alice, bob = two_users(postgres_url)
    due = Due(datetime.now(UTC) + timedelta(days=1))
    for store in (alice, bob):
        book.add(book.prepare(store), f"call {store.user_id}", due, "UTC")
    assert {r[0] for r in alice.query("SELECT user_id FROM reminders")} == {alice.user_id}


def test_the_scheduler_reads_every_users_reminders_through_its_system_store(
    postgres_url: str,
) -> None:
    alice, bob = two_users(postgres_url)
    moment = datetime.now(UTC)
    for store in (alice, bob):
        book.add(book.prepare(store), f"water the plants, {store.user_id}", Due(moment), "UTC")
    system = PostgresStore(postgres_url, INDEX_USER)
    assert {alice.user_id, bob.user_id} <= {
        r[0] for r in system.query("SELECT user_id FROM reminders")
    }

    scheduler = ReminderScheduler(
        lambda uid: PostgresStore(postgres_url, uid), clock=lambda: moment, notify=Notifier()
    )
    report = scheduler.tick(moment + timedelta(seconds=1))
    assert {alice.user_id, bob.user_id} <= report.users
    for store in (alice, bob):
        [reminder] = book.listed(store, include_all=True)
        assert reminder.fired_count == 1


def test_removing_a_user_removes_only_that_users_rows(postgres_url: str) -> None:
    alice, bob = two_users(postgres_url)
    fill(alice)
    fill(bob)
    removed = alice.purge_user()
    assert removed["conversations"] == 1 and removed["memories"] == 1
    assert alice.list_conversations() == []
    assert len(bob.list_conversations()) == 1 and bob.profile() == {"user_name": bob.user_id}


def test_the_ordinary_role_is_bound_and_a_superuser_would_not_be(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        assert not bypasses_row_security(conn)
    superuser = postgres_url.replace("://os1_app@", "://postgres@", 1)
    with psycopg.connect(superuser) as conn:
        assert bypasses_row_security(conn)


def test_a_later_migration_step_backfills_every_users_rows(postgres_url: str) -> None:
    """A migration is a system task: a step that updates or seeds rows reaches every user's,
    not none of them (row-level security would otherwise hide them all from it)."""
    alice, bob = two_users(postgres_url)
    table = f"grown_{uuid.uuid4().hex[:8]}"
    first = f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, label TEXT)"
    alice.migrate_component(table, [first])
    for store in (alice, bob):
        with store.transaction() as db:
            db.execute(f"INSERT INTO {table} (user_id, label) VALUES (?, 'old')", (store.user_id,))
    second = (
        f"ALTER TABLE {table} ADD COLUMN n INTEGER; UPDATE {table} SET label = 'new', n = 1; "
        f"INSERT INTO {table} (user_id, label, n) VALUES ('{bob.user_id}', 'seeded', 2)"
    )
    alice.migrate_component(table, [first, second])
    assert sorted(tuple(r) for r in bob.query(f"SELECT label, n FROM {table}")) == [
        ("new", 1),
        ("seeded", 2),
    ]
    assert [tuple(r) for r in alice.query(f"SELECT label, n FROM {table}")] == [("new", 1)]


def test_a_table_whose_lock_was_turned_off_is_locked_again_at_start(postgres_url: str) -> None:
    from os1.storage.postgres import migrate_core

    alice, _ = two_users(postgres_url)
    fill(alice)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE profile NO FORCE ROW LEVEL SECURITY")
        conn.execute("ALTER TABLE profile DISABLE ROW LEVEL SECURITY")
        migrate_core(conn)  # what the next process to start does
        locked = conn.execute(
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'profile'"
        ).fetchone()
    assert locked is not None and locked[0] is True


def test_a_database_migrated_by_a_newer_os1_is_refused(postgres_url: str) -> None:
    """An older worker would not name its users as the newer schema expects and would see
    no rows: it refuses to start instead (stop every worker, upgrade all, start them)."""
    from os1.storage.pg_migrations import MIGRATIONS
    from os1.storage.postgres import migrate_core

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS) + 1,))
        try:
            with pytest.raises(StorageError, match="newer than this OS1"):
                migrate_core(conn)
        finally:
            conn.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS),))


def test_passwords_are_masked_wherever_the_url_holds_them() -> None:
    from os1.storage.postgres import redact

    assert redact("postgresql://os1:s3cr/et:x@db:5432/os1") == "postgresql://os1:****@db:5432/os1"
    masked = redact("postgresql://db/os1?user=os1&password=hunter2&sslmode=require")
    assert "hunter2" not in masked and masked.endswith("password=****&sslmode=require")
