"""`os1 serve` and `os1 users …` as a user runs them: real subprocesses, a real port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlean as sqlite3  # the same SQLite library as the app: two in one process corrupt WAL locks

from tests.helpers import Ran, free_port
from tests.helpers import os1 as run_os1


def os1(home: Path, *args: str, input: str = "") -> Ran:
    """The command group in this process; `os1 serve` itself runs as a real process below."""
    return run_os1(home, *args, input=input, OS1_EMBEDDER="hashing")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    env.update(OS1_MODEL="scripted:echo", OS1_EMBEDDER="hashing", COLUMNS="200")
    return env


def serve(home: Path, *extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "serve", "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"os1 serve did not start: {proc.communicate()[1]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=15)  # reads and closes the pipes as well
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.fixture
def config_login_required(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[server]\nsingle_user = false\n", encoding="utf-8")


def test_serve_answers_on_loopback_and_shares_the_cli_conversations(home: Path) -> None:
    said = os1(home, "say", "from the terminal")
    assert said.returncode == 0, said.stderr
    for url in serve(home):
        assert httpx.get(url + "/healthz").json()["single_user"] is True
        reply = httpx.post(url + "/api/chat", json={"text": "from the browser"}).json()
        assert reply["reply"] == "You said: from the browser"
        history = httpx.get(url + "/api/conversations").json()
        assert len(history) == 1 and history[0]["message_count"] == 4  # one conversation
    shown = os1(home, "history", "1")
    assert "from the browser" in shown.stdout


def test_users_add_list_token_and_login(home: Path, config_login_required: None) -> None:
    added = os1(home, "users", "add", "dana", "--password-stdin", input="dana-secret-pw\n")
    assert added.returncode == 0, added.stderr
    assert "dana-secret-pw" not in added.stdout + added.stderr
    listed = os1(home, "users", "list", "--json")
    assert '"username": "dana"' in listed.stdout
    made = os1(home, "users", "token", "dana", "--name", "laptop")
    token = made.stdout.strip()
    assert token.startswith("os1_") and "shown only now" in made.stderr
    tokens = os1(home, "users", "token", "dana", "--list")
    assert "laptop" in tokens.stdout and token not in tokens.stdout
    for url in serve(home):
        assert httpx.get(url + "/api/me").status_code == 401
        me = httpx.get(url + "/api/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["username"] == "dana"
        login = httpx.post(
            url + "/api/login", json={"username": "dana", "password": "dana-secret-pw"}
        )
        assert login.status_code == 200 and "os1_session" in login.cookies


def test_users_add_refuses_a_short_password_and_a_duplicate(home: Path) -> None:
    short = os1(home, "users", "add", "erin", "--password-stdin", input="short\n")
    assert short.returncode == 2 and "too short" in short.stderr
    os1(home, "users", "add", "erin", "--password-stdin", input="long-enough-pw\n")
    again = os1(home, "users", "add", "ERIN", "--password-stdin", input="long-enough-pw\n")
    assert again.returncode == 2 and "already" in again.stderr


def test_users_remove_deletes_the_account_and_its_data(home: Path) -> None:
    os1(home, "users", "add", "finn", "--password-stdin", input="finn-password\n")
    os1(home, "say", "the cli's own words")  # the local user's data must survive
    with sqlite3.connect(home / "os1.db") as db:
        finn = db.execute("SELECT user_id FROM server_users").fetchone()[0]
    from os1.storage import SQLiteStore

    store = SQLiteStore(home / "os1.db", finn)
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "finn's secret")
    store.close()
    refused = os1(home, "users", "remove", "finn")
    assert refused.returncode != 0 and "--yes" in refused.stderr
    removed = os1(home, "users", "remove", "finn", "--yes")
    assert removed.returncode == 0, removed.stderr
    with sqlite3.connect(home / "os1.db") as db:
        left = [r[0] for r in db.execute("SELECT content FROM messages")]
        accounts = db.execute("SELECT count(*) FROM server_users").fetchone()[0]
    assert left == ["the cli's own words", "You said: the cli's own words"] and accounts == 0
    assert os1(home, "users", "remove", "finn", "--yes").returncode == 7  # not found
