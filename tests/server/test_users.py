"""Accounts through the store's query layer: usernames match regardless of case on every
backend (no NOCASE), token ids come from RETURNING, and a database made before the
case-insensitive index upgrades in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from os1.server import users as accounts
from os1.server.users import UserError, Users
from os1.storage.sqlite import SQLiteStore

# Cheap hashing: these tests are about the rows, not argon2's cost.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "os1.db", "server")
    yield opened
    opened.close()


def test_a_username_is_found_and_taken_whatever_its_case(store: SQLiteStore) -> None:
    users = Users(store, FAST)
    amy = users.add("Amy", "correct horse")

    assert users.get("AMY") == amy
    assert users.verify("amy", "correct horse") == amy
    with pytest.raises(UserError, match="already a user 'Amy'"):
        users.add("aMY", "another password")


def test_users_are_listed_in_alphabetical_order_regardless_of_case(store: SQLiteStore) -> None:
    users = Users(store, FAST)
    for name in ("bob", "Carol", "alice"):
        users.add(name, "long enough")

    assert [u.username for u in users.list_users()] == ["alice", "bob", "Carol"]


def test_each_new_token_gets_its_own_id_and_revoking_one_keeps_the_other(
    store: SQLiteStore,
) -> None:
    users = Users(store, FAST)
    users.add("amy", "long enough")
    first, first_secret = users.create_token("amy", "phone")
    second, second_secret = users.create_token("amy", "laptop")

    assert second.id > first.id > 0
    users.revoke_token("amy", first.id)
    assert users.user_for_token(first_secret) is None
    found = users.user_for_token(second_secret)
    assert found is not None and found[0].username == "amy"


def test_an_account_added_by_another_process_is_seen_at_once(tmp_path: Path) -> None:
    server = SQLiteStore(tmp_path / "os1.db", "server")
    cli = SQLiteStore(tmp_path / "os1.db", "server")  # `os1 users add` elsewhere
    try:
        users = Users(server, FAST)
        assert not users.has_accounts()
        Users(cli, FAST).add("amy", "long enough")
        assert users.has_accounts()
    finally:
        server.close()
        cli.close()


def test_accounts_made_before_the_case_index_upgrade_in_place(store: SQLiteStore) -> None:
    # The server's schema as shipped before step 3 (the index on LOWER(username)).
    store.migrate_component(accounts.COMPONENT, accounts._SQLITE[:2])
    with store.transaction() as db:
        db.execute(
            "INSERT INTO server_users (user_id, username, password_hash, created_at) "
            "VALUES ('u_1', 'Amy', ?, '2026-01-01T00:00:00+00:00')",
            (FAST.hash("long enough"),),
        )

    users = Users(store, FAST)

    assert users.verify("AMY", "long enough") is not None
    indexes = store.query("SELECT name FROM sqlite_master WHERE type = 'index'")
    assert "server_users_username_lower" in {r[0] for r in indexes}
    with pytest.raises(UserError):
        users.add("amy", "long enough")
