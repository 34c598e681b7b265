"""What only the PostgreSQL store has: a shared pool, migrations under an advisory lock,
pgvector, its configuration, and `os1 migrate` copying a SQLite home into it."""

from __future__ import annotations

import importlib
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest

import os1 as os1_package
from os1.config import Settings, load_settings
from os1.errors import ConfigError, StorageError
from os1.storage import SQLiteStore, database_url_of, open_store
from os1.storage.base import ToolCallRecord
from os1.storage.pg_migrations import MIGRATIONS
from os1.storage.postgres import PostgresStore, migrate_core, pool_for, translate
from os1.storage.sqlite import now
from tests.helpers import os1
from tests.pg import free_port


@pytest.fixture
def fresh_url(postgres_url: str) -> Iterator[str]:
    """An empty database of its own on the session's server."""
    name = f"os1_{uuid.uuid4().hex[:10]}"
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + "/" + name


def test_placeholders_become_psycopgs_outside_quotes_and_comments() -> None:
    assert translate("SELECT ? WHERE a LIKE 'x%?' AND b = ?") == (
        "SELECT %s WHERE a LIKE 'x%%?' AND b = %s"
    )
    assert translate("SELECT \"odd?col\", 'it''s ?', 5 % 2 -- why?\n, ?") == (
        "SELECT \"odd?col\", 'it''s ?', 5 %% 2 -- why?\n, %s"
    )
    assert translate("/* ? */ SELECT ?") == "/* ? */ SELECT %s"


def test_workers_starting_together_migrate_the_core_schema_once(fresh_url: str) -> None:
    versions: list[int] = []
    start = threading.Barrier(4)

    def start_worker() -> None:
        with psycopg.connect(fresh_url, autocommit=True) as conn:
            start.wait()
            versions.append(migrate_core(conn))

    threads = [threading.Thread(target=start_worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert versions == [len(MIGRATIONS)] * 4
    store = PostgresStore(fresh_url)
    assert store.schema_version == len(MIGRATIONS)
    assert store.list_conversations() == []


def test_every_users_store_shares_the_process_pool(postgres_url: str, tmp_path: Path) -> None:
    stores = [open_store(tmp_path, f"user-{n}", database_url=postgres_url) for n in range(50)]
    assert all(isinstance(s, PostgresStore) for s in stores)
    assert {id(s._pool) for s in stores} == {id(pool_for(postgres_url))}  # type: ignore[attr-defined]
    for s in stores:
        s.create_conversation()
    assert all(len(s.list_conversations()) == 1 for s in stores)


def test_pgvector_vectors_read_back_as_arrays_where_it_is_installed(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    available = store.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
    if not available and not os.environ.get("OS1_REQUIRE_POSTGRES"):
        pytest.skip("pgvector is not installed on this PostgreSQL (scripts/system-packages test)")
    # Under `make test` pgvector is built by scripts/system-packages: missing is a failure.
    assert store.has_vector
    [row] = store.query("SELECT CAST(? AS vector) AS v", ("[1, 2.5, 3]",))
    assert row["v"].to_list() == [1.0, 2.5, 3.0]
    # numpy arrays go in as vectors too: the adapter is on every pooled connection.
    [(distance,)] = [tuple(r) for r in store.query(
        "SELECT CAST(? AS vector) <-> CAST('[0, 0, 0]' AS vector)", (np.array([3.0, 4.0, 0.0]),)
    )]  # fmt: skip
    assert distance == pytest.approx(5.0)


def test_a_component_without_postgresql_steps_is_a_clear_error(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    with pytest.raises(StorageError) as caught:
        store.migrate_component("skill:sqlite-only", {"sqlite": ["CREATE TABLE x (id INTEGER)"]})
    assert "no PostgreSQL migrations" in caught.value.message


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://os1:s3cret@127.0.0.1:{free_port()}/os1"
    with pytest.raises(StorageError) as caught:
        PostgresStore(url)
    assert "cannot reach PostgreSQL" in caught.value.message
    assert "s3cret" not in caught.value.message
    assert "database_url" in caught.value.hint


def test_the_database_url_setting_selects_the_store(
    home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().database_url is None
    assert database_url_of(load_settings(home)) is None
    assert isinstance(open_store(home, "local", database_url_of(load_settings(home))), SQLiteStore)
    monkeypatch.setenv("OS1_DATABASE_URL", postgres_url)
    settings = load_settings(home)
    assert database_url_of(settings) == postgres_url
    assert settings.public_dict()["database_url"] == "********"  # it carries a password
    assert isinstance(open_store(home, "local", database_url_of(settings)), PostgresStore)
    monkeypatch.setenv("OS1_DATABASE_URL", "mysql://nope")
    with pytest.raises(ConfigError, match="postgresql://"):
        load_settings(home)


# -- os1 migrate ----------------------------------------------------------------------------


def fill_home(home: Path) -> dict[str, int]:
    """A SQLite home with two users' conversations, profiles, tool calls and memories."""
    made: dict[str, int] = {}
    for user in ("alice", "bob"):
        s = SQLiteStore(home / "os1.db", user)
        conv = s.create_conversation()
        s.add_message(conv.id, "user", f"hello from {user} — 100% ünïcode")
        s.add_message(conv.id, "assistant", "hi", meta={"untrusted": True})
        s.set_profile("user_name", user.title())
        s.add_tool_call(
            ToolCallRecord(
                f"call-{user}",
                conv.id,
                "send_mail",
                {"to": "x"},
                True,
                "intent",
                "Send",
                "pending",
                now(),
            )  # fmt: skip
        )
        with s.transaction() as db:
            ids = [
                db.execute(
                    "INSERT INTO memories (user_id, kind, text, importance, created_at) "
                    "VALUES (?, 'fact', ?, ?, ?) RETURNING id",
                    (user, f"{user} likes tea {n}", 0.5 + n, now()),
                ).fetchone()[0]
                for n in range(2)
            ]
            # An older memory superseded by a newer one: a reference forward in the table.
            db.execute("UPDATE memories SET superseded_by = ? WHERE id = ?", (ids[1], ids[0]))
            db.execute(
                "INSERT INTO memory_sources (memory_id, source) VALUES (?, ?)",
                (ids[0], "msg:1"),
            )
            db.execute(
                "INSERT INTO memory_embeddings (memory_id, model, vector, search_vector) "
                "VALUES (?, 'minilm', ?, ?)",
                (ids[0], b"\x00\x01\xff" * 4, b"\x10" * 12),
            )
        made[user] = conv.id
        s.close()
    return made


def test_migrate_copies_every_users_home_and_verifies_it(home: Path, fresh_url: str) -> None:
    convs = fill_home(home)
    ran = os1(home, "migrate", "--to", fresh_url)
    assert ran.returncode == 0, ran.stderr
    assert "counts and checksums match" in ran.stdout
    assert "messages" in ran.stdout and "memory_embeddings" in ran.stdout

    sqlite = SQLiteStore(home / "os1.db", "alice")
    pg = PostgresStore(fresh_url, "alice")
    assert pg.messages(convs["alice"]) == sqlite.messages(convs["alice"])
    assert pg.profile() == {"user_name": "Alice"}
    assert pg.get_tool_call("call-alice") == sqlite.get_tool_call("call-alice")
    assert PostgresStore(fresh_url, "bob").list_conversations() == (
        SQLiteStore(home / "os1.db", "bob").list_conversations()
    )
    [(blob,)] = [tuple(r) for r in pg.query("SELECT vector FROM memory_embeddings")[:1]]
    assert bytes(blob) == b"\x00\x01\xff" * 4
    # New rows continue after the copied ids instead of colliding with them.
    assert pg.create_conversation().id > max(convs.values())


def test_migrating_again_changes_nothing_and_other_data_is_refused(
    home: Path, fresh_url: str
) -> None:
    convs = fill_home(home)
    assert os1(home, "migrate", "--to", fresh_url).returncode == 0
    again = os1(home, "migrate", "--to", fresh_url)
    assert again.returncode == 0, again.stderr
    assert "nothing copied" in again.stdout
    PostgresStore(fresh_url, "alice").add_message(convs["alice"], "user", "only in PostgreSQL")
    refused = os1(home, "migrate", "--to", fresh_url)
    assert refused.returncode == StorageError.exit_code
    assert "already holds other data" in refused.stderr and "messages (5 rows)" in refused.stderr


def test_migrate_wants_a_postgresql_url(home: Path) -> None:
    fill_home(home)
    ran = os1(home, "migrate", "--to", "sqlite:///elsewhere.db")
    assert ran.returncode == ConfigError.exit_code
    assert "not a PostgreSQL URL" in ran.stderr


def test_a_store_method_inside_the_users_transaction_joins_it(postgres_url: str) -> None:
    # Another connection would wait forever for the user's lock this transaction holds.
    store = PostgresStore(postgres_url, f"nested-{uuid.uuid4().hex[:8]}")
    with pytest.raises(RuntimeError), store.transaction():
        store.set_profile("draft", 1)
        assert PostgresStore(postgres_url, store.user_id).profile() == {"draft": 1}
        raise RuntimeError("undo all of it")
    assert store.profile() == {}


def components_with_postgresql_steps() -> list[str]:
    """Modules whose module-level MIGRATIONS give PostgreSQL steps (found by reading the
    source, so the suite imports only those)."""
    src = Path(os1_package.__file__).parent
    found = []
    for path in sorted(src.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "MIGRATIONS" in text and '"postgresql"' in text and "storage" not in path.parts:
            module = "os1." + ".".join(path.relative_to(src).with_suffix("").parts)
            steps = getattr(importlib.import_module(module), "MIGRATIONS", None)
            if isinstance(steps, Mapping):  # a module that only mentions them is not one
                found.append(module)
    return found


@pytest.mark.parametrize("module", components_with_postgresql_steps())
def test_each_components_postgresql_migrations_apply_on_a_fresh_database(
    module: str, fresh_url: str
) -> None:
    steps = importlib.import_module(module).MIGRATIONS
    store = PostgresStore(fresh_url)
    store.migrate_component(module, steps)
    store.migrate_component(module, steps)  # the second run finds nothing to do
    [(version,)] = [tuple(r) for r in store.query(
        "SELECT version FROM schema_components WHERE name = ?", (module,))]  # fmt: skip
    assert version == len(steps["postgresql"])


def fill_skills(home: Path) -> None:
    """Two users' rows in several skills' tables and an account, written through the skills."""
    from os1.server.users import Users
    from os1.skills.base import SkillContext
    from os1.skills.calendar.service import import_ics
    from os1.skills.letters.library import LetterLibrary
    from os1.skills.mail import state as mail_state
    from os1.skills.reminders import book
    from os1.time.future import Due

    moment = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for user in ("alice", "bob"):
        s = SQLiteStore(home / "os1.db", user)
        book.add(book.prepare(s), f"call {user}'s mum", Due(moment), "Europe/London")
        LetterLibrary(s).add(f"Dear {user},\n\nThank you.", now=moment, recipient="Anna")
        mail_state.record(s, f"friend-of-{user}@example.org", "replied", "Friend")
        mail_state.add_draft(s, "work", "anna@example.org", "Hi", f"from {user}")
        ctx = SkillContext(store=s, settings=Settings(), home=home, clock=lambda: moment)
        ics = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{user}-dentist\r\nDTSTAMP:20260301T090000Z\r\nDTSTART:20260302T100000Z\r\n"
            f"DTEND:20260302T110000Z\r\nSUMMARY:{user} at the dentist\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n"
        )
        assert import_ics(ctx, ics, "test") == 1
        # A sqlite-vec index with its shadow tables: derived, rebuilt in PostgreSQL instead.
        s.memory_index().prepare(3)
        s.close()
    accounts = SQLiteStore(home / "os1.db")
    Users(accounts).add("alice", "correct horse battery", user_id="alice")
    accounts.close()


def test_migrate_copies_every_skills_tables_and_the_accounts(home: Path, fresh_url: str) -> None:
    from os1.server.users import Users
    from os1.skills.letters.library import LetterLibrary
    from os1.skills.mail import state as mail_state
    from os1.skills.reminders import book

    fill_home(home)
    fill_skills(home)
    ran = os1(home, "migrate", "--to", fresh_url)
    assert ran.returncode == 0, ran.stderr
    for table in ("reminders", "letters", "letter_versions", "mail_senders", "mail_drafts",
                  "calendar_events", "server_users"):  # fmt: skip
        assert table in ran.stdout
    for user in ("alice", "bob"):
        sqlite, pg = SQLiteStore(home / "os1.db", user), PostgresStore(fresh_url, user)
        assert book.listed(pg) == book.listed(sqlite)
        assert LetterLibrary(pg).all() == LetterLibrary(sqlite).all()
        assert mail_state.latest_draft(pg) == mail_state.latest_draft(sqlite)
        assert mail_state.sender_stats(pg) == mail_state.sender_stats(sqlite)
        [(event,)] = [tuple(r) for r in pg.query("SELECT uid FROM calendar_events")]
        assert event == f"{user}-dentist"
        sqlite.close()
    assert Users(PostgresStore(fresh_url, "alice")).get("alice").id == "alice"
    # Run again: found as it was. A changed skill row makes it other data.
    assert "nothing copied" in os1(home, "migrate", "--to", fresh_url).stdout
    with PostgresStore(fresh_url, "bob").transaction() as db:
        db.execute("UPDATE reminders SET text = 'changed' WHERE user_id = ?", ("bob",))
    refused = os1(home, "migrate", "--to", fresh_url)
    assert refused.returncode == StorageError.exit_code
    assert "already holds other data" in refused.stderr


def test_migrate_refuses_a_home_with_tables_of_a_component_not_installed(
    home: Path, fresh_url: str
) -> None:
    fill_home(home)
    s = SQLiteStore(home / "os1.db")
    s.migrate_component("plugin:gone", ["CREATE TABLE gone_things (user_id TEXT, what TEXT)"])
    s.close()
    ran = os1(home, "migrate", "--to", fresh_url)
    assert ran.returncode == StorageError.exit_code
    assert "plugin:gone" in ran.stderr and "not installed" in ran.stderr
    assert PostgresStore(fresh_url).list_conversations() == []
