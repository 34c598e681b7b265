"""Single-user mode lasts only while there are no accounts: the first account turns login on,
whether it is added before `os1 serve` starts or while it runs; `os1 serve` says which."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from os1.config import load_settings
from os1.server.users import Users
from os1.storage.sqlite import DB_FILE, SQLiteStore
from tests.helpers import os1
from tests.server.conftest import add_account, local_client, make_app


def test_an_account_turns_login_on_even_on_loopback(home: Path) -> None:
    app = make_app(home)
    add_account(app, "alice")
    with local_client(app) as c:
        assert c.get("/api/me").status_code == 401
        assert c.post("/api/chat", json={"text": "hi"}).status_code == 401
        assert c.get("/healthz").json()["single_user"] is False


def test_an_account_added_by_another_process_while_serving_turns_login_on(
    home: Path, client: TestClient
) -> None:
    assert client.get("/api/me").json()["id"] == "local"
    # `os1 users add` in another terminal: its own connection to the same database.
    other = Users(SQLiteStore(home / DB_FILE, "server"))
    try:
        other.add("alice", "alice-correct-horse")
        assert client.get("/api/me").status_code == 401
        assert client.post("/api/chat", json={"text": "hi"}).status_code == 401
        other.remove("alice")
        assert client.get("/api/me").json()["id"] == "local"  # no accounts: no login again
    finally:
        other.store.close()


def test_an_account_added_through_the_server_turns_login_on_at_once(client: TestClient) -> None:
    assert client.get("/api/me").status_code == 200
    add_account(client.app, "alice")  # type: ignore[arg-type]
    assert client.get("/api/me").status_code == 401


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """`os1 serve` without a real server: records what GET /api/me answers instead."""
    answers: list[int] = []

    def run(app: Any, **options: Any) -> None:
        with TestClient(app, base_url="http://127.0.0.1") as c:
            answers.append(c.get("/api/me").status_code)

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr("os1.interfaces.cli_server._raise_file_limit", lambda: None)
    return answers


def test_serve_says_single_user_mode_only_while_there_are_no_accounts(
    home: Path, served: list[int]
) -> None:
    alone = os1(home, "serve", OS1_EMBEDDER="hashing")
    assert alone.returncode == 0, alone.stderr
    assert "single-user mode: no login" in alone.stderr
    added = os1(home, "users", "add", "alice", "--password-stdin", input="alice-secret-pw\n")
    assert added.returncode == 0, added.stderr
    shared = os1(home, "serve", OS1_EMBEDDER="hashing")
    assert shared.returncode == 0, shared.stderr
    assert "single-user mode: no login" not in shared.stderr
    assert "login required; 1 user(s)" in shared.stderr
    assert served == [200, 401]


def test_config_set_reaches_server_settings_by_a_dotted_name(home: Path) -> None:
    changed = os1(home, "config", "set", "server.single_user", "false")
    assert changed.returncode == 0, changed.stderr
    assert "server.single_user = False" in changed.stdout
    assert os1(home, "config", "set", "server.cache_users", "12").returncode == 0
    stored = tomllib.loads((home / "config.toml").read_text(encoding="utf-8"))
    assert stored["server"] == {"single_user": False, "cache_users": 12}  # typed, not strings
    assert os1(home, "config", "get", "server.single_user").stdout.strip() == "False"
    assert os1(home, "config", "get", "server.max_message_chars").stdout.strip().isdigit()
    unknown = os1(home, "config", "get", "server.no_such_thing")
    assert unknown.returncode == 3 and "unknown setting" in unknown.stderr
    with local_client(make_app(home, **load_settings(home).server)) as c:
        assert c.get("/api/me").status_code == 401
    assert os1(home, "config", "unset", "server.single_user").returncode == 0
    assert os1(home, "config", "unset", "server.cache_users").returncode == 0
    assert "server" not in tomllib.loads((home / "config.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("server.colour", "blue", "unknown setting 'server.colour'"),
        ("mail.host", "x", "unknown setting 'mail.host'"),
        ("server.cache_users", "0", "bad setting 'server.cache_users'"),
        ("server.single_user", "maybe", "bad setting 'server.single_user'"),
    ],
)
def test_config_set_refuses_a_bad_server_setting(
    home: Path, key: str, value: str, error: str
) -> None:
    refused = os1(home, "config", "set", key, value)
    assert refused.returncode != 0
    assert error in refused.stderr
    assert not (home / "config.toml").exists()
