"""The storage seam stays real: only `os1.storage` knows which database it is.

Code outside it takes a `Store` and speaks the portable SQL subset through `query`,
`transaction` and `migrate_component`. These tests read the source (imports and SQL strings)
and run skills on a store that is not a `SQLiteStore`, so a cast down or a SQLite-only
statement added anywhere fails here, not on the first PostgreSQL deployment.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import os1
from os1.skills.base import SkillContext
from os1.storage.base import Store, scripts_for
from os1.storage.sqlite import SQLiteStore

SRC = Path(os1.__file__).parent

# What may still name SQLite outside os1.storage, and why. Shrink it; never grow it casually.
KNOWS_SQLITE = {
    # Callers still hand the scheduler a database path; given a factory it opens any store.
    "skills/reminders/scheduler.py": "a database path opens SQLite stores",
}

# Statements only SQLite runs, and who may still send them. (DDL may differ: a component's
# shipped SQLite migrations stay as they are, with PostgreSQL steps beside them.)
SQLITE_ONLY_SQL = re.compile(
    r"\bINSERT\s+OR\b|\bjson_extract\s*\(|\bsqlite_master\b|\bPRAGMA\b|\browid\b"
    r"|\bGLOB\b|\bdatetime\s*\(",
    re.IGNORECASE,
)
SPEAKS_SQLITE = {
    "server/hub.py": "per-connection cache size (server wiring)",
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith("storage/"):
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _sqlite_references(tree: ast.Module) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in ("sqlite3", "sqlean")]
            found += [a.name for a in node.names if a.name == "os1.storage.sqlite"]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in ("sqlite3", "sqlean") or module == "os1.storage.sqlite":
                found.append(module)
            found += [f"{module}.{a.name}" for a in node.names if a.name == "SQLiteStore"]
        elif isinstance(node, ast.Name) and node.id == "SQLiteStore":
            found.append("SQLiteStore")
        elif isinstance(node, ast.Attribute) and node.attr in ("SQLiteStore", "lastrowid"):
            found.append(node.attr)
    return found


def _sqlite_statements(tree: ast.Module) -> list[str]:
    strings = (
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )
    # A docstring may talk about SQLite; a statement is what counts: SQL keywords in it.
    sql = (s for s in strings if re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\b", s))
    return [m.group(0) for s in sql for m in SQLITE_ONLY_SQL.finditer(s)]


def test_only_storage_and_the_listed_modules_know_the_store_is_sqlite() -> None:
    offenders = {
        name: refs
        for name, tree in _modules()
        if (refs := _sqlite_references(tree)) and name not in KNOWS_SQLITE
    }
    assert offenders == {}, "take a Store; ask os1.storage for what differs"


def test_sql_outside_storage_is_the_portable_subset() -> None:
    offenders = {
        name: found
        for name, tree in _modules()
        if (found := _sqlite_statements(tree)) and name not in SPEAKS_SQLITE
    }
    assert offenders == {}, "use RETURNING id, ON CONFLICT, ISO text times (see storage.base)"


def test_the_allow_lists_name_only_modules_that_still_need_them() -> None:
    # A module that stopped needing its exception must leave the list, or the list rots.
    trees = dict(_modules())
    stale = [n for n in KNOWS_SQLITE if n not in trees or not _sqlite_references(trees[n])]
    stale += [n for n in SPEAKS_SQLITE if n not in trees or not _sqlite_statements(trees[n])]
    assert stale == []


def test_a_cast_down_or_sqlite_only_sql_is_caught() -> None:
    cast = ast.parse("from os1.storage import SQLiteStore\nisinstance(store, SQLiteStore)\n")
    upsert = ast.parse("q = 'INSERT OR IGNORE INTO t (a) VALUES (?)'\nx = cur.lastrowid\n")
    assert _sqlite_references(cast) == ["os1.storage.SQLiteStore", "SQLiteStore"]
    assert _sqlite_statements(upsert) == ["INSERT OR"]
    assert _sqlite_references(upsert) == ["lastrowid"]


def _component_migrations() -> dict[str, Any]:
    from os1.server import users
    from os1.skills.calendar import local
    from os1.skills.letters import library
    from os1.skills.mail import state
    from os1.skills.notes import index
    from os1.skills.reminders import book

    return {
        "server": users.MIGRATIONS,
        "skill:calendar": local.MIGRATIONS,
        "skill:letters": library.MIGRATIONS,
        "skill:mail": state.MIGRATIONS,
        "skill:notes": index.MIGRATIONS,
        "skill:reminders": book.MIGRATIONS,
    }


@pytest.mark.parametrize("component", sorted(_component_migrations()))
def test_each_component_has_the_same_numbered_steps_for_both_backends(component: str) -> None:
    migrations = _component_migrations()[component]
    sqlite, postgresql = scripts_for(migrations, "sqlite"), scripts_for(migrations, "postgresql")
    assert len(sqlite) == len(postgresql) > 0
    for script in postgresql:
        assert not re.search(r"AUTOINCREMENT|COLLATE\s+NOCASE|\bREAL\b", script, re.I), script


class ForwardingStore(Store):
    """A store that is not a SQLiteStore: it forwards the interface to one, nothing more.
    A skill that casts down, or reaches past the interface, fails on it."""

    def __init__(self, inner: SQLiteStore) -> None:
        self._inner = inner
        self.user_id = inner.user_id
        self.dialect = inner.dialect


def _forward(name: str) -> Any:
    def method(self: ForwardingStore, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._inner, name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in sorted(Store.__abstractmethods__):
    setattr(ForwardingStore, _name, _forward(_name))
ForwardingStore.__abstractmethods__ = frozenset()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ForwardingStore]:
    inner = SQLiteStore(tmp_path / "os1.db", "amy")
    yield ForwardingStore(inner)
    inner.close()


def test_mail_state_works_on_any_store(store: ForwardingStore) -> None:
    from os1.skills.mail import state

    state.record(store, "Bob@Example.org", "replied", "Bob")
    state.record(store, "bob@example.org", "read")
    draft = state.add_draft(store, "home", "bob@example.org", "Hi", "Hello Bob")
    second = state.add_draft(store, "home", "bob@example.org", "Again", "Hello again")

    assert state.sender_stats(store)["bob@example.org"].replied == 1
    assert state.sender_stats(store)["bob@example.org"].read == 1
    assert [c.name for c in state.contacts(store)] == ["Bob"]
    assert second.id > draft.id and state.latest_draft(store) == second
    assert state.mark_sent(store, draft.id) and not state.mark_sent(store, draft.id)


def test_letters_work_on_any_store(store: ForwardingStore) -> None:
    from os1.skills.letters.library import LetterLibrary

    letters = LetterLibrary(store)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    first = letters.add("Dear Amy,", now=now, recipient="Amy")
    letters.revise(first.id, "Dearest Amy,", change="warmer", now=now, author="user")

    assert letters.latest().body == "Dearest Amy,"
    assert [v.version for v in letters.versions(first.id)] == [1, 2]


def test_reminders_work_on_any_store(store: ForwardingStore) -> None:
    from os1.skills.reminders import book
    from os1.skills.reminders.parse import When

    due = datetime(2026, 3, 1, 18, tzinfo=UTC)
    added = book.add(store, "call mum", When(due=due), "UTC", dedupe_key="mum")
    again = book.add(store, "call mum", When(due=due), "UTC", dedupe_key="mum")

    assert added is not None and again is None  # the dedupe key holds: no id, no row
    assert [r.text for r in book.listed(store)] == ["call mum"]
    assert book.finish(store, added.id, "done").state == "done"


def test_local_calendar_works_on_any_store(store: ForwardingStore, tmp_path: Path) -> None:
    import icalendar

    from os1.config import Settings
    from os1.skills.calendar.local import MIGRATIONS, LocalCalendar

    store.migrate_component("skill:calendar", MIGRATIONS)
    ctx = SkillContext(store=store, settings=Settings.model_validate({}), home=tmp_path)
    calendar = LocalCalendar(ctx, "local", UTC)
    cal = icalendar.Calendar()
    event = icalendar.Event()
    event.add("uid", "tea-1")
    event.add("summary", "Tea with Amy")
    event.add("dtstart", datetime(2026, 3, 2, 15, tzinfo=UTC))
    event.add("dtend", datetime(2026, 3, 2, 16, tzinfo=UTC))
    cal.add_component(event)
    calendar.put("tea-1", cal)

    found = calendar.entries_between(
        datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    )
    assert [str(c.walk("VEVENT")[0]["summary"]) for c in found] == ["Tea with Amy"]


def test_memory_works_on_any_store(store: ForwardingStore) -> None:
    from os1.memory.store import MemoryStore, NewMemory

    memories = MemoryStore(store)
    kept, doomed = memories.add_many(
        [
            NewMemory("episode", "tea with Amy by the harbour", ("import:a",)),
            NewMemory("episode", "Amy's harbour walk", ("import:b",)),
        ]
    )

    assert {i for i, _ in memories.lexical('"harbour"', 10)} == {kept, doomed}
    assert memories.forget([doomed]) == [doomed]
    assert [i for i, _ in memories.lexical('"harbour"', 10)] == [kept]
    assert store.table_exists("memories") and not store.table_exists("nothing_here")
