"""Several workers on one PostgreSQL: every worker serves every user, what the companion says
first reaches sockets on any worker, one worker fires reminders and another takes over when it
dies, and login throttling and pending confirmations are shared."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from os1.server.app import SCHEDULER_LOCK
from os1.server.users import Users
from os1.storage import open_store
from tests.helpers import free_port
from tests.helpers import os1 as run_os1
from tests.server.conftest import WATERED, make_app

STRANGER = "203.0.113.9"


@pytest.fixture
def on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OS1_DATABASE_URL", postgres_url)
    return postgres_url


def unique(name: str) -> str:
    # One database serves the whole test session: names must not meet earlier tests' rows.
    return f"{name}-{uuid.uuid4().hex[:8]}"


def until_done(ws: Any) -> list[dict[str, Any]]:
    events = []
    while True:
        events.append(ws.receive_json())
        if events[-1]["type"] in ("done", "error"):
            return events


def test_several_workers_on_sqlite_are_refused_with_the_way_out(home: Path) -> None:
    ran = run_os1(home, "serve", "--workers", "2", "--port", str(free_port()))
    assert ran.returncode == 2
    assert "needs PostgreSQL" in ran.stderr and "database_url" in ran.stderr


def test_accounts_made_on_the_command_line_live_in_postgresql(home: Path, on_postgres: str) -> None:
    name = unique("carol")
    ran = run_os1(
        home,
        "users",
        "add",
        name,
        "--password-stdin",
        input="carol-correct-horse\n",
        OS1_DATABASE_URL=on_postgres,
    )
    assert ran.returncode == 0, ran.stderr
    assert rows(on_postgres, "SELECT username FROM server_users WHERE username = %s", name) == [
        (name,)
    ]


def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # The test reads across users, as the system does: row-level security lets it.
        conn.execute("SET os1.system = 'on'")
        return list(conn.execute(sql, params).fetchall())


def test_a_turn_over_postgresql_is_stored_in_postgresql(home: Path, on_postgres: str) -> None:
    app = make_app(home, single_user=False)
    name = unique("alice")
    user = app.state.os1.users.add(name, "alice-correct-horse")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login = client.post(
            "/api/login", json={"username": name, "password": "alice-correct-horse"}
        )
        assert login.status_code == 200
        with client.websocket_connect("ws://127.0.0.1/api/ws") as ws:
            ws.send_json({"type": "say", "text": "hello from postgres"})
            done = until_done(ws)[-1]
    assert done["type"] == "done" and done["text"] == "You said: hello from postgres"
    stored = rows(
        on_postgres,
        "SELECT role, content FROM messages WHERE user_id = %s ORDER BY id",
        user.id,
    )
    assert stored == [
        ("user", "hello from postgres"),
        ("assistant", "You said: hello from postgres"),
    ]
    assert not (home / "os1.db").exists()  # nothing went to a SQLite file on the side


def test_two_apps_on_one_postgresql_share_the_login_throttle(home: Path, on_postgres: str) -> None:
    first, second = make_app(home, single_user=False), make_app(home / "other", single_user=False)
    name = unique("alice")
    first.state.os1.users.add(name, "alice-correct-horse")
    with (
        TestClient(first, base_url="http://127.0.0.1", client=(STRANGER, 50000)) as a,
        TestClient(second, base_url="http://127.0.0.1", client=(STRANGER, 50000)) as b,
    ):
        for _ in range(5):  # the free failures for one account at one address, all on one app
            assert (
                a.post("/api/login", json={"username": name, "password": "guess"}).status_code
                == 401
            )
        held = b.post("/api/login", json={"username": name, "password": "alice-correct-horse"})
    assert held.status_code == 429  # the other worker counts the same failures


def test_an_action_proposed_on_one_worker_is_confirmed_on_another_once(
    home: Path, on_postgres: str
) -> None:
    first, second = make_app(home, single_user=False), make_app(home / "other", single_user=False)
    name = unique("alice")
    user = first.state.os1.users.add(name, "alice-correct-horse")
    _, token = first.state.os1.users.create_token(name)
    ws_url = f"ws://127.0.0.1/api/ws?token={token}"
    with (
        TestClient(first, base_url="http://127.0.0.1") as a,
        TestClient(second, base_url="http://127.0.0.1") as b,
    ):
        with a.websocket_connect(ws_url) as ws:
            ws.send_json({"type": "say", "text": "water the basil"})
            confirm = next(e for e in until_done(ws) if e["type"] == "confirm")
        with b.websocket_connect(ws_url) as ws:
            ws.send_json({"type": "confirm", "call_id": confirm["call_id"], "approve": True})
            approved = until_done(ws)
            ws.send_json({"type": "confirm", "call_id": confirm["call_id"], "approve": True})
            again = until_done(ws)
    assert WATERED == [f"{user.id}:basil"]
    assert approved[-1]["type"] == "done"
    assert again[-1]["type"] == "error"  # decided already, on whichever worker


# -- real processes -----------------------------------------------------------------------


def write_config(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "scripted:echo"\nembedder = "hashing"\nmax_reply_tokens = 64\n'
        "[reminders]\ntick_seconds = 0.5\n"
    )


def scheduler_leader(url: str) -> int | None:
    """The process id of the worker holding the scheduler's advisory lock."""
    found = rows(
        url,
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
        SCHEDULER_LOCK & 0xFFFFFFFFFFFFFFFF,
    )
    assert len(found) <= 1, found
    return int(found[0][0].rsplit("-", 1)[1]) if found else None


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@pytest.fixture
def served(home: Path, on_postgres: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`os1 serve --workers 2` on a free port, as its own process."""
    write_config(home)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "os1",
            "--home",
            str(home),
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],  # fmt: skip
        env={**os.environ, "OS1_DATABASE_URL": on_postgres},
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, "os1 serve ended"
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(base + "/healthz", timeout=2).status_code == 200
        return False

    try:
        wait_for(healthy, 60, "the workers to listen")
        yield base, process
    finally:
        code = stop(process)
    assert code == 0, "os1 serve did not stop cleanly on SIGTERM"


def workers_of(server: subprocess.Popen[bytes]) -> list[int]:
    with open(f"/proc/{server.pid}/task/{server.pid}/children") as children:
        return [int(pid) for pid in children.read().split()]


def worker_serving(workers: list[int], client_port: int) -> int | None:
    """Which worker process holds the server side of the connection from `client_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == client_port:
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in workers:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return pid
    return None


async def next_note(ws: Any, timeout: float = 15) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event["type"] == "notification":
            return event


async def test_workers_deliver_to_every_socket_and_one_fires_reminders(
    served: tuple[str, subprocess.Popen[bytes]], on_postgres: str
) -> None:
    import websockets

    from os1.mind.outbox import deliver
    from os1.server.bus import open_bus
    from os1.skills.reminders import book
    from os1.skills.reminders.parse import When

    base, process = served
    users = Users(open_store(Path("."), "server", on_postgres))
    name = unique("alice")
    user_id = users.add(name, "alice-correct-horse").id
    _, token = users.create_token(name)
    store = open_store(Path("."), user_id, on_postgres)
    ws_url = base.replace("http", "ws") + "/api/ws?token=" + token
    workers = workers_of(process)
    assert len(workers) == 2
    async with contextlib.AsyncExitStack() as stack:
        # Sockets until each worker holds some (the kernel picks the worker that accepts).
        on: dict[Any, int] = {}
        while len(set(on.values())) < 2:
            assert len(on) < 60, "every connection went to one worker"
            ws = await stack.enter_async_context(websockets.connect(ws_url))
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"  # subscribed by now
            worker = worker_serving(workers, ws.local_address[1])
            assert worker is not None
            on[ws] = worker
        sockets = list(on)

        # Said first in a third process: it crosses to the sockets of both workers.
        bus = open_bus(on_postgres)
        try:
            said_at = time.monotonic()
            sent = await asyncio.to_thread(deliver, store, "Tea is ready", "checkin")
            got = [await next_note(ws) for ws in sockets]
            print(f"stored and on {len(sockets)} sockets in {time.monotonic() - said_at:.3f} s")
        finally:
            bus.close()
        assert {(n["text"], n["message_id"]) for n in got} == {("Tea is ready", sent.message_id)}

        # A reminder fired by the one leading worker reaches the other worker's sockets too.
        leader = wait_for(lambda: scheduler_leader(on_postgres), 30, "a scheduler leader")
        assert leader in workers
        due = datetime.now(UTC) + timedelta(seconds=1)
        book.add(store, "call mum", When(due=due), "UTC")
        got = [await next_note(ws) for ws in sockets]
        assert all("call mum" in n["text"] for n in got)
        assert len({n["message_id"] for n in got}) == 1

        # The leader dies: its sockets close, the other worker leads within a minute (the
        # parent starts a replacement), and reminders reach the sockets left.
        killed_at = time.monotonic()
        os.kill(leader, signal.SIGKILL)
        successor = wait_for(
            lambda: (p := scheduler_leader(on_postgres)) not in (None, leader) and p,
            60,
            "another worker to lead",
        )
        print(f"scheduler takeover after SIGKILL: {time.monotonic() - killed_at:.2f} s")
        assert process.poll() is None
        alive = [ws for ws, worker in on.items() if worker != leader]
        book.add(store, "feed the cat", When(due=datetime.now(UTC) + timedelta(seconds=1)), "UTC")
        got = [await next_note(ws) for ws in alive]
        assert all("feed the cat" in n["text"] for n in got)
        for ws in alive:  # and each socket got each notification once
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"
        assert successor != leader and len(workers_of(process)) == 2
    fired = rows(
        on_postgres,
        "SELECT content FROM messages WHERE user_id = %s AND role = 'assistant'",
        user_id,
    )
    assert sum("call mum" in c for (c,) in fired) == 1
    assert sum("feed the cat" in c for (c,) in fired) == 1
    store.close()
    users.store.close()


SCHEDULER = """
import sys, time
from datetime import timedelta
from pathlib import Path
from os1.config import Settings
from os1.server.app import reminder_scheduler

settings = Settings(database_url=sys.argv[1], model="scripted:echo", embedder="hashing")
scheduler = reminder_scheduler(
    Path(sys.argv[2]), settings, interval=0.2, lease=timedelta(seconds=2)
)
scheduler.start()
while True:
    time.sleep(1)
"""


def test_killing_the_leading_scheduler_loses_and_doubles_no_firing(
    home: Path, on_postgres: str
) -> None:
    from os1.skills.reminders import book
    from os1.skills.reminders.parse import When

    user_id = unique("amy")
    store = open_store(home, user_id, on_postgres)
    processes = [
        subprocess.Popen([sys.executable, "-c", SCHEDULER, on_postgres, str(home)])
        for _ in range(2)
    ]
    try:
        leader = wait_for(lambda: scheduler_leader(on_postgres), 60, "a scheduler leader")
        assert leader in {p.pid for p in processes}
        start = datetime.now(UTC) + timedelta(seconds=1)
        texts = [f"task-{i:02d}" for i in range(30)]
        for i, text in enumerate(texts):
            book.add(store, text, When(due=start + timedelta(seconds=0.2 * i)), "UTC")

        def delivered() -> list[str]:
            found = rows(
                on_postgres,
                "SELECT content FROM messages WHERE user_id = %s AND role = 'assistant'",
                user_id,
            )
            return [t for (c,) in found for t in texts if t in c]

        wait_for(lambda: len(delivered()) >= 8, 30, "the first firings")
        os.kill(leader, signal.SIGKILL)
        before = len(delivered())
        killed_at = time.monotonic()
        successor = wait_for(
            lambda: (p := scheduler_leader(on_postgres)) not in (None, leader) and p,
            60,
            "the other scheduler to lead",
        )
        print(f"takeover after SIGKILL: {time.monotonic() - killed_at:.2f} s")
        wait_for(lambda: len(delivered()) >= len(texts), 60, "every firing")
        time.sleep(3)  # longer than the lease: a recovery that doubled one would show by now
        final = delivered()
    finally:
        for process in processes:
            stop(process)
        store.close()
    assert successor != leader and before < len(texts)  # killed mid-way
    assert sorted(final) == texts  # each one exactly once


def test_a_notification_too_long_for_notify_is_cut_for_the_live_copy() -> None:
    from os1.events import Notification
    from os1.server.bus import MAX_PAYLOAD, decode, encode

    short = Notification(kind="reminder", text="tea", conversation_id=1, message_id=2)
    long = short.model_copy(update={"text": "thé " * 5000})  # escaped: 6 bytes a character

    assert decode(encode("amy", short)) == ("amy", short)
    payload = encode("amy", long)
    user_id, cut = decode(payload)
    assert len(payload.encode()) <= MAX_PAYLOAD and user_id == "amy"
    assert cut.text.endswith("…") and long.text.startswith(cut.text[:-1])
    assert cut.message_id == 2  # the full text is one fetch away, in the stored message
