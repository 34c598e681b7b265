"""Many users at once: N open WebSocket conversations against `os1 serve`, on SQLite or
PostgreSQL, with one or several workers.

Run: .venv/bin/python bench/concurrency.py --quick
     .venv/bin/python bench/concurrency.py --users 500,1000,2000,4000,8316 --duration 60
     .venv/bin/python bench/concurrency.py --database temp --workers 2 --users 1000,2000
     .venv/bin/python bench/concurrency.py --users none --hold 8316 --hold-rate 20
     .venv/bin/python bench/concurrency.py --compare --users 500,1000 --hold 2000

The server runs in its own process tree (`os1 serve [--workers N]`, scripted model, hashing
embedder, no reranker: both are model inference, which `docs/scaling.md` counts apart; memory
on, login required, one account and API token per simulated user). The simulated users run
in separate client processes (`--clients`, one asyncio loop each), so the client's CPU is not
the server's. Each user says something on average every `--think` seconds
(exponential gaps), so 8,316 users offer about 416 turns/s.

Per step it prints users, offered and achieved turns/s, the time from sending a message to its
`done` event (p50/p99: with the scripted model this is the server's overhead per turn plus
loopback), errors, sockets held, the server's CPU per turn (utime+stime of every process in the
server's tree over the step and until the step's turns are consolidated, in the pause after
them, divided by the turns completed), PostgreSQL's CPU per turn (only for
`--database temp`, whose processes we know), the server's and the client's CPU use, and the
server's resident memory summed over its tree (shared pages of forked workers count once per
worker). `--hold N` opens N conversations, keeps them open `--hold-seconds` at `--hold-rate`
turns/s in total and, at the end, pings every socket: "held" is the number that stayed open with
no error. `--compare` runs SQLite 1 worker, PostgreSQL 1 worker and PostgreSQL 2 workers and
prints one table. On PostgreSQL each configuration also reports what a turn adds to the
database's size. The server's idle CPU is measured per process before the first step and
after the last, each time once every worker has started and the work left over is done.
`--words N` pads messages so the echoed reply streams N pieces; `--varied` sends a new sentence
each time instead of one of five fixed texts (whose parses the server keeps and reuses);
`--grown` gives every account a long-time user's inner life first (a self with 500 counted
topics and 20 claims, 60 days of journal marks), which new accounts never pay for. A step
"breaks" when errors exceed 1%, p99 exceeds 2 s, or fewer than 90% of offered turns complete.

Descriptors: each client process raises its soft limit to the hard one, and so does the bench
for the server it starts (raising the hard limit too when run as root); the server's user cache
is sized to what is left. `docs/scaling.md` turns these figures into a capacity model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from os1.server.options import ServerOptions

if TYPE_CHECKING:
    from os1.storage.base import Store

ROOT = Path(__file__).resolve().parents[1]

TEXTS = [
    "I had a long day at work today",
    "what should I cook tonight",
    "my sister is visiting next week",
    "I finally finished that book",
    "remind me what we talked about",
]
FILLER = "and then we walked along the river talking about the week ahead".split()
# `--varied`: sentences drawn from these (~10^7 of them), so that almost no two messages repeat
# and nothing the server keeps per text (parses, query vectors) is reused as it would be with
# TEXTS alone, where five texts hide what parsing a new message costs.
PEOPLE = "Ada Ben Chloe Dan Eva Finn Grace Hugo Iris Jon Kate Leo Mia Noah Olga Sam".split()
DOINGS = [
    "cooked", "painted", "fixed", "talked about", "lost", "found", "bought", "sold",
    "read", "wrote", "watched", "planned", "cleaned", "forgot", "borrowed", "carried",
]  # fmt: skip
THINGS = [
    "the old bike", "a birthday cake", "the garden shed", "her new job", "the long report",
    "a funny movie", "the kitchen sink", "our holiday", "a blue kite", "the piano lesson",
    "his thesis", "the broken laptop", "a jigsaw puzzle", "the morning run", "a red scarf",
    "the wedding plans", "a camping trip", "the quarterly budget", "a stray cat", "my guitar",
]  # fmt: skip
WHEN = [
    "yesterday", "last weekend", "this morning", "on Tuesday", "after dinner", "last month",
    "before the meeting", "at the lake", "with the neighbours", "in the rain", "for hours",
]  # fmt: skip
FEELINGS = ["", "and it felt great", "and I am still annoyed", "which was a relief", "honestly"]
TICK = os.sysconf("SC_CLK_TCK")
# The server consolidates a user's memories in the pause after their turns, as deployed (this
# much quiet after the last); each step counts the server's CPU until the last of its turns
# are consolidated, since that work is theirs.
CONSOLIDATE_AFTER = ServerOptions().consolidate_after


# -- measurements ---------------------------------------------------------------------------


@dataclass
class Step:
    label: str
    users: int
    offered: float
    opened: int = 0
    sent: int = 0
    done: int = 0
    errors: int = 0
    connect_errors: int = 0
    held: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds of the server's tree over the step
    db_cpu: float | None = None  # CPU seconds of PostgreSQL's tree, when we know its processes
    client_cpu: float = 0.0
    wall: float = 0.0  # seconds the CPU was measured over (the window and the turns in flight)
    rss_mb: float = 0.0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def per_turn_ms(self, seconds: float | None) -> str:
        if seconds is None or not self.done:
            return "-"
        return f"{seconds * 1000 / self.done:.1f}"

    @property
    def broken(self) -> bool:
        failures = self.errors + self.connect_errors
        expected = self.offered * self.seconds
        # Short windows at small N are noisy: a Poisson count 3 sigma low is still "held".
        too_few = self.done < 0.9 * expected and self.done < expected - 3 * expected**0.5
        return failures > 0.01 * max(self.sent, 1) or self.pct(0.99) > 2000 or too_few


HEADER = (
    f"{'config':<14} {'users':>6} {'offered/s':>9} {'turns/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'errors':>6} {'held':>6} {'srv ms/t':>8} {'db ms/t':>7} {'srv %':>6} {'cli %':>6} "
    f"{'RSS MB':>7}"
)


def row(step: Step) -> str:
    if not step.users:
        return f"{step.label:<14} {step.note}"
    wall = step.wall or 1.0
    return (
        f"{step.label:<14} {step.users:>6} {step.offered:>9.1f} {step.rate:>8.1f} "
        f"{step.pct(0.5):>8.1f} {step.pct(0.99):>8.1f} {step.errors + step.connect_errors:>6} "
        f"{step.held:>6} {step.per_turn_ms(step.server_cpu):>8} {step.per_turn_ms(step.db_cpu):>7} "
        f"{100 * step.server_cpu / wall:>6.0f} {100 * step.client_cpu / wall:>6.0f} "
        f"{step.rss_mb:>7.0f}" + (f"  {step.note}" if step.note else "")
    )


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (workers, their helpers), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name is in parentheses and may hold spaces: fields start after ')'.
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (the children they have reaped included)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # After ')': state is field 0, so utime/stime/cutime/cstime are 11..14.
        total += sum(int(v) for v in fields[11:15])
    return total / TICK


def idle_cpu(
    server: subprocess.Popen[bytes], workers: int, seconds: float = 10.0, after: float = 0.0
) -> str:
    """The server's CPU while nobody talks to it, each process's share of a core over
    `seconds`. Measured once it has settled: every worker started (the first answers
    /healthz while the others are still importing and opening their pools) and the work
    left from before (a first scheduler tick, consolidation after the last turns) done."""
    time.sleep(after)  # work queued by the last turns (consolidation) starts by then
    wanted = workers + 1 if workers > 1 else 1  # the parent forks the workers
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = process_tree(server.pid)
        used = cpu_seconds(pids)
        time.sleep(1.0)
        if len(pids) >= wanted and cpu_seconds(pids) - used < 0.02:
            break
    start = {pid: cpu_seconds([pid]) for pid in process_tree(server.pid)}
    time.sleep(seconds)
    shares = [100 * (cpu_seconds([pid]) - used) / seconds for pid, used in start.items()]
    each = ", ".join(f"{share:.1f}" for share in shares)
    return f"{sum(shares):.1f}% of a core ({len(shares)} processes: {each})"


def drain(pids: list[int], idle_share: float = 0.02) -> None:
    """Wait until the consolidations the step's last turns started are done: the quiet they
    wait for, then until the server uses under `idle_share` of a core. The idle server's own
    CPU meanwhile (timers, pings: ~0.5 % of a core) is counted with the step's turns."""
    time.sleep(CONSOLIDATE_AFTER + 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        used = cpu_seconds(pids)
        time.sleep(1.0)
        if cpu_seconds(pids) - used < idle_share:
            break


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


# -- the client (runs in its own processes) -------------------------------------------------


def client_process(
    urls: list[str], think: float, words: int, varied: bool, seed: int, pipe: Connection
) -> None:  # pragma: no cover - a child process
    """One asyncio loop holding `urls`' sockets: reports "opened", waits for the start and
    stop times, runs the users, reports the counts and latencies."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    pipe.send(asyncio.run(_client(urls, think, words, varied, random.Random(seed), pipe)))


def varied_text(rng: random.Random) -> str:
    """A message unlike the last ones (see PEOPLE): what a server parses anew."""
    text = " ".join(
        [rng.choice(PEOPLE), rng.choice(DOINGS), rng.choice(THINGS), rng.choice(WHEN)]
        + [rng.choice(FEELINGS)]
    )
    return text.strip()


def message(rng: random.Random, words: int, varied: bool = False) -> str:
    """One of TEXTS (or with `varied`, a new sentence), padded to `words` words: the scripted
    model echoes it, so the reply streams about as many pieces as a real model's reply of that
    many words would."""
    text = varied_text(rng) if varied else rng.choice(TEXTS)
    padding = max(0, words - len(text.split()))
    return text + "".join(f" {rng.choice(FILLER)}" for _ in range(padding))


async def _client(
    urls: list[str], think: float, words: int, varied: bool, rng: random.Random, pipe: Connection
) -> dict[str, Any]:
    import websockets

    counts = {"opened": 0, "sent": 0, "done": 0, "errors": 0, "connect_errors": 0, "held": 0}
    latencies: list[float] = []
    gate = asyncio.Semaphore(100)  # handshakes in waves, not thousands at once
    started = asyncio.Event()
    window = [0.0, float("inf")]  # start, stop (time.monotonic: one clock for all processes)

    async def user(url: str) -> None:
        try:
            async with gate:
                ws = await websockets.connect(
                    url, open_timeout=120, ping_interval=None, max_queue=None
                )
        except (OSError, websockets.WebSocketException, TimeoutError):
            counts["connect_errors"] += 1
            return
        counts["opened"] += 1
        failed = False
        try:
            await started.wait()
            # A Poisson process from the start: exponential gaps, the first one too.
            await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
            await asyncio.sleep(
                max(0.0, min(rng.expovariate(1 / think), window[1] - time.monotonic()))
            )
            while time.monotonic() < window[1]:
                counts["sent"] += 1
                sent = time.monotonic()
                await ws.send(json.dumps({"type": "say", "text": message(rng, words, varied)}))
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if event["type"] == "done":
                        counts["done"] += 1
                        latencies.append(time.monotonic() - sent)
                        break
                    if event["type"] == "error":
                        counts["errors"] += 1
                        failed = True
                        break
                gap = rng.expovariate(1 / think)
                await asyncio.sleep(max(0.0, min(gap, window[1] - time.monotonic())))
            # Still open at the end? A ping the server must answer says so.
            await asyncio.wait_for(await ws.ping(), 60)
            if not failed:
                counts["held"] += 1
        except (OSError, websockets.WebSocketException, TimeoutError):
            counts["errors"] += 1
        finally:
            await ws.close()

    tasks = [asyncio.create_task(user(url)) for url in urls]
    while counts["opened"] + counts["connect_errors"] < len(urls):
        await asyncio.sleep(0.2)
    pipe.send({"opened": counts["opened"], "connect_errors": counts["connect_errors"]})
    window[:] = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    started.set()
    await asyncio.gather(*tasks)  # the window, then the turns still in flight
    cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0
    return {**counts, "latencies": latencies, "cpu": cpu}


def receive(pipe: Connection, proc: BaseProcess) -> Any:
    """The client's next report; an error, not a hang, when the client died without one."""
    while not pipe.poll():
        if wait([pipe, proc.sentinel]) == [proc.sentinel] and not pipe.poll():
            raise RuntimeError(f"client process {proc.pid} died (exit code {proc.exitcode})")
    return pipe.recv()


def run_step(
    label: str,
    base: str,
    tokens: list[str],
    think: float,
    words: int,
    varied: bool,
    duration: float,
    clients: int,
    server: subprocess.Popen[bytes],
    db_pid: int | None,
) -> Step:
    """One step: every socket open first, then the clock starts for `duration` seconds."""
    step = Step(label, len(tokens), len(tokens) / think)
    context = mp.get_context("spawn")  # no inherited loops, threads or database connections
    shares = [tokens[i::clients] for i in range(clients)]
    pipes, procs = [], []
    for i, share in enumerate(shares):
        ours, theirs = context.Pipe()
        urls = [f"{base}?token={t}" for t in share]
        proc = context.Process(
            target=client_process,
            args=(urls, think, words, varied, len(tokens) * 31 + i, theirs),
            daemon=True,
        )
        proc.start()
        pipes.append(ours)
        procs.append(proc)
    try:
        for pipe, proc in zip(pipes, procs, strict=True):
            opened = receive(pipe, proc)
            step.opened += opened["opened"]
            step.connect_errors += opened["connect_errors"]
        server_pids = process_tree(server.pid)
        db_pids = process_tree(db_pid) if db_pid else []
        cpu0, db0, t0 = cpu_seconds(server_pids), cpu_seconds(db_pids), time.monotonic()
        window = (t0 + 0.5, t0 + 0.5 + duration)
        for pipe in pipes:
            pipe.send(window)
        results = [receive(pipe, proc) for pipe, proc in zip(pipes, procs, strict=True)]
        step.wall = time.monotonic() - t0
        # Workers that started or ended during the step: the tree as it is now counts too.
        server_pids = sorted(set(server_pids) | set(process_tree(server.pid)))
        drain(server_pids)
        step.server_cpu = cpu_seconds(server_pids) - cpu0
        if db_pid:
            step.db_cpu = cpu_seconds(sorted(set(db_pids) | set(process_tree(db_pid)))) - db0
        step.rss_mb = rss_mb(process_tree(server.pid))
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    for result in results:
        step.sent += result["sent"]
        step.done += result["done"]
        step.errors += result["errors"]
        step.held += result["held"]
        step.latencies += result["latencies"]
        step.client_cpu += result["cpu"]
    step.seconds = duration
    return step


# -- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_takes_workers() -> bool:
    shown = subprocess.run(
        [sys.executable, "-m", "os1", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return "--workers" in shown.stdout


def make_accounts(
    home: Path, count: int, url: str | None, tag: str, *, grown: bool = False
) -> list[str]:
    """One account and token per simulated user, in the database the server will use (a
    cheap argon2 setting: this is not a test of password hashing). `tag` keeps runs apart
    in a shared PostgreSQL database. `grown`: each with a long-time user's inner life."""
    from argon2 import PasswordHasher

    from os1.server.users import Users
    from os1.storage import open_store
    from os1.storage.sqlite import DB_FILE, SQLiteStore

    store = open_store(home, "server", url) if url else SQLiteStore(home / DB_FILE, "server")
    users = Users(store, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    tokens, ids = [], []
    for i in range(count):
        ids.append(users.add(f"{tag}u{i:05d}", "bench-password").id)
        tokens.append(users.create_token(f"{tag}u{i:05d}")[1])
    store.close()
    for user_id in ids if grown else ():
        user = open_store(home, user_id, url)
        grow_inner_life(user)
        user.close()
    return tokens


def grow_inner_life(store: Store) -> None:
    """What months of talk leave in a user's profile, at the sizes OS1 keeps: the self's
    counted topics (KEEP_TOPICS) and claims, and the journal's marks (its KEEP_DAYS)."""
    from datetime import date, timedelta

    from os1.inner import journal
    from os1.inner.self import KEEP_TOPICS, TOPICS_KEY, Self

    me = Self(store)
    for n in range(20):
        me.add("interest", f"Your stories about place number {n}", reason="bench")
    today = date(2026, 11, 30)
    store.set_profiles(
        {
            TOPICS_KEY: {
                f"topic {n}": {
                    "text": f"topic {n}",
                    "conversations": [n, n + 1],
                    "last": "2026-11-01T10:00:00+00:00",
                }
                for n in range(KEEP_TOPICS)
            },
            journal.PROFILE_KEY: {
                (today - timedelta(days=n)).isoformat(): {
                    "id": None,
                    "through": "2026-11-01T22:00:00+00:00",
                    "state": "written",
                    "by": "composed",
                }
                for n in range(1, journal.KEEP_DAYS + 1)
            },
        }
    )


def start_server(
    home: Path, port: int, workers: int | None, threads: int | None, cache: int, url: str | None
) -> subprocess.Popen[bytes]:
    config = 'model = "scripted:echo"\nembedder = "hashing"\nreranker = "none"\n'
    if url:
        config += f"database_url = {json.dumps(url)}\n"
    config += (
        f"[server]\nsingle_user = false\ncache_users = {cache}\n"
        f"consolidate_after = {CONSOLIDATE_AFTER}\n"
    )
    if threads is not None:
        config += f"turn_threads = {threads}\n"
    (home / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    command = [sys.executable, "-m", "os1", "--home", str(home), "serve", "--port", str(port),
               "--log-level", "error"]  # fmt: skip
    if workers is not None:
        command += ["--workers", str(workers)]
    # The server's own lines go to a log, shown if it fails: the table stays readable.
    log = open(home / "server.log", "wb")  # noqa: SIM115 - the server process owns it
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    import httpx

    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = (home / "server.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"the server did not start:\n{tail}")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def refused(base: str, token: str) -> str | None:
    """Why the server turns a bench account away, or None when it lets it in: a server that
    does not read `database_url` yet looks for the accounts in SQLite and refuses them."""
    import websockets

    async def attempt() -> str | None:
        try:
            # An unknown token is accepted and then closed (4401): a whole turn tells.
            async with websockets.connect(f"{base}?token={token}", open_timeout=30) as ws:
                await ws.send(json.dumps({"type": "say", "text": TEXTS[0]}))
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if event["type"] == "done":
                        return None
                    if event["type"] == "error":
                        return f"error event: {event}"
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"

    return asyncio.run(attempt())


async def baseline_turn_ms(home: Path, turns: int = 200) -> float:
    """One companion turn in-process, same model and kind of store: what serving adds to."""
    from datetime import date

    from os1.config import Settings
    from os1.memory import LongTermMemory
    from os1.mind.companion import Companion
    from os1.models import create_model
    from os1.storage.sqlite import SQLiteStore

    settings = Settings(model="scripted:echo", embedder="hashing", reranker="none")
    store = SQLiteStore(home / "baseline.db")
    companion = Companion(
        store,
        create_model(settings),
        settings,
        memory=LongTermMemory(store, "hashing"),
        today=lambda: date(2026, 11, 30),
    )
    times = []
    for i in range(turns):
        started = time.perf_counter()
        async for _ in companion.turn(TEXTS[i % len(TEXTS)]):
            pass
        times.append(time.perf_counter() - started)
    store.close()
    return statistics.median(times) * 1000


# -- databases ------------------------------------------------------------------------------


@dataclass
class Database:
    url: str | None  # None: SQLite in the OS1 home
    pid: int | None = None  # PostgreSQL's postmaster, when this run started it

    @property
    def name(self) -> str:
        return "pg" if self.url else "sqlite"


@contextmanager
def postgres(arg: str) -> Iterator[Database]:
    """`temp`: a throw-away cluster (tests/pg.py's, run as the postgres user under root),
    reached as an ordinary role; otherwise the URL as given."""
    if arg != "temp":
        yield Database(arg)
        return
    sys.path.insert(0, str(ROOT))
    from tests.pg import Cluster, app_database, postgres_bin

    bindir = postgres_bin()
    if bindir is None:
        raise SystemExit("--database temp needs PostgreSQL's server programs (initdb)")
    cluster = Cluster(bindir)
    try:
        # As OS1 is deployed: an ordinary role, so row-level security's cost is measured.
        url = app_database(cluster.start())
        pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
        yield Database(url, pid)
    finally:
        try:
            from os1.storage.postgres import close_pools

            close_pools()
        finally:
            cluster.stop()


def database_bytes(url: str | None) -> int:
    """PostgreSQL's size of the database: what a turn adds to it (0 for SQLite)."""
    if not url:
        return 0
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


# -- one configuration ----------------------------------------------------------------------


@dataclass
class Plan:
    counts: list[int]
    duration: float
    think: float
    words: int
    varied: bool
    clients: int
    threads: int | None
    hold: int
    hold_rate: float
    hold_seconds: float
    grown: bool = False


def run_config(
    plan: Plan, database: Database, workers: int, takes_workers: bool, folder: Path, tag: str
) -> list[Step]:
    label = f"{database.name} {workers}w"
    home = folder / f"home-{tag}"
    home.mkdir()
    largest = max([*plan.counts, plan.hold])
    made = time.perf_counter()
    tokens = make_accounts(home, largest, database.url, tag, grown=plan.grown)
    print(f"[{label}] {largest} accounts in {time.perf_counter() - made:.1f} s", flush=True)
    # Every user the step talks to stays cached: users hold no descriptors of their own (on
    # SQLite their stores share the server's one connection, on PostgreSQL its pool), only
    # their sockets do. Until 7 December 2026 each SQLite user held three (file, WAL, shared
    # memory), and the cache was cut to fit the descriptor limit: 3,561 of 8,316 at 20,000.
    cache = largest
    port = free_port()
    proc = start_server(
        home, port, workers if takes_workers else None, plan.threads, cache, database.url
    )
    base = f"ws://127.0.0.1:{port}/api/ws"
    print(f"[{label}] server pid {proc.pid}: cache_users={cache}", flush=True)
    steps: list[Step] = []
    size = database_bytes(database.url)
    try:
        serving = workers if takes_workers else 1
        print(f"[{label}] idle server: {idle_cpu(proc, serving)} (in every step's CPU)")
        why = refused(base, tokens[0])
        if why is not None:
            note = "the server refused a bench account"
            if database.url:
                note += " (it does not read database_url yet: accounts are in PostgreSQL)"
            print(f"[{label}] skipped: {note}: {why}", flush=True)
            return [Step(label, 0, 0.0, note="skipped: " + note)]
        for n in plan.counts:
            step = run_step(
                label, base, tokens[:n], plan.think, plan.words, plan.varied, plan.duration,
                plan.clients,
                proc, database.pid,
            )  # fmt: skip
            print(row(step), flush=True)
            steps.append(step)
        if plan.hold:
            print(
                f"[{label}] holding {plan.hold} sockets for {plan.hold_seconds:.0f} s "
                f"at {plan.hold_rate:g} turns/s in all",
                flush=True,
            )
            step = run_step(
                label + " hold", base, tokens[: plan.hold], plan.hold / plan.hold_rate,
                plan.words, plan.varied, plan.hold_seconds, plan.clients, proc, database.pid,
            )  # fmt: skip
            print(row(step), flush=True)
            steps.append(step)
        if steps:
            idle = idle_cpu(proc, serving)
            print(f"[{label}] idle after the steps: {idle}", flush=True)
    finally:
        stop_server(proc)
    grown, turns = database_bytes(database.url) - size, sum(step.done for step in steps)
    if database.url and turns:
        print(f"[{label}] database grew {grown / 2**20:.1f} MB over {turns} turns "
              f"({grown / turns / 1024:.1f} KB/turn)", flush=True)  # fmt: skip
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default=None, help="Steps, e.g. 500,1000 ('none': no steps)")
    parser.add_argument("--think", type=float, default=20.0, help="Mean seconds between turns")
    parser.add_argument(
        "--words", type=int, default=0,
        help="Pad each message to N words: the echoed reply streams N pieces (real replies ~80)",
    )  # fmt: skip
    parser.add_argument(
        "--varied", action="store_true",
        help="A new sentence each message (default: 5 fixed texts, whose parses the server reuses)",
    )  # fmt: skip
    parser.add_argument(
        "--grown", action="store_true",
        help="Give each account a long-time user's inner life first (500 topics, 20 claims)",
    )  # fmt: skip
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds per step")
    parser.add_argument(
        "--database", default="sqlite", metavar="URL|temp|sqlite",
        help="postgresql://… URL, 'temp' (a throw-away cluster) or 'sqlite' (default)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="os1 serve --workers N")
    parser.add_argument("--clients", type=int, default=1, help="Client processes")
    parser.add_argument("--threads", type=int, default=None, help="server.turn_threads")
    parser.add_argument("--hold", type=int, default=0, help="Also hold N sockets open (8316)")
    parser.add_argument("--hold-rate", type=float, default=10.0, help="Turns/s while holding")
    parser.add_argument("--hold-seconds", type=float, default=120.0)
    parser.add_argument(
        "--compare", action="store_true",
        help="SQLite 1 worker, PostgreSQL 1 and 2 workers (PostgreSQL: --database, or temp)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="50 and 200 users, 20 s each")
    args = parser.parse_args()
    # Stopped with SIGTERM (or SIGINT in the background): still stop the server and cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        counts, duration = [50, 200], 20.0
    elif args.users == "none" or (args.users is None and args.hold):
        counts, duration = [], args.duration
    else:
        counts = [int(n) for n in (args.users or "100,500,1000,2000,4000,8316").split(",")]
        duration = args.duration
    if not counts and not args.hold:
        parser.error("nothing to run: give --users or --hold")
    plan = Plan(
        counts, duration, args.think, args.words, args.varied, args.clients, args.threads,
        args.hold, args.hold_rate, args.hold_seconds, args.grown,
    )  # fmt: skip
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The server (a child: it inherits this) needs a descriptor per socket and per open user.
    # (Its user cache is sized to what is left: see run_config.)
    needed = max([*counts, args.hold]) + 2000
    if hard < needed:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))  # needs root
            hard = needed
        except (ValueError, OSError):
            print(f"warning: descriptor limit {hard} < {needed}: raise it (ulimit -Hn, prlimit)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    per_client = (max([*counts, args.hold]) + args.clients - 1) // args.clients
    if per_client + 200 > hard:
        print(
            f"warning: {per_client} sockets per client process and a descriptor limit of {hard}: "
            "raise it (ulimit -Hn as root, or prlimit) or add --clients",
            flush=True,
        )

    takes_workers = serve_takes_workers()
    wanted = [1, 2] if args.compare else [args.workers]
    if not takes_workers and max(wanted) > 1:
        print("NOTE: `os1 serve` has no --workers option yet: every configuration runs 1 worker")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
        "(other work on the machine inflates CPU and latency)"
    )

    with tempfile.TemporaryDirectory(prefix="os1-bench-") as name:
        folder = Path(name)
        base_ms = asyncio.run(baseline_turn_ms(folder))
        print(f"baseline: one in-process turn (SQLite, scripted, memory on) p50 {base_ms:.2f} ms")
        print(HEADER, flush=True)
        steps: list[Step] = []
        tag = f"b{int(time.time()) % 100000}"
        if args.compare or args.database == "sqlite":
            steps += run_config(plan, Database(None), 1, takes_workers, folder, tag + "s")
        if args.compare or args.database != "sqlite":
            pg = "temp" if args.compare and args.database == "sqlite" else args.database
            with postgres(pg) as database:
                for workers in [1, 2] if args.compare else [args.workers]:
                    if workers > 1 and not takes_workers:
                        steps.append(
                            Step(f"pg {workers}w", 0, 0.0, note="skipped: no `serve --workers`")
                        )
                        continue
                    steps += run_config(
                        plan, database, workers, takes_workers, folder, f"{tag}p{workers}"
                    )
    print()
    print(HEADER)
    for step in steps:
        print(row(step))
    print(
        "\nsrv ms/t: server CPU (its whole process tree) per completed turn; db ms/t: "
        "PostgreSQL's, known only for --database temp; srv %/cli %: CPU of the server and of "
        "the client processes over the step (100 = one core); RSS summed over the tree"
    )
    for step in steps:
        if step.users and step.broken:
            print(f"{step.label} breaks at {step.users} users "
                  "(errors > 1%, p99 > 2 s, or < 90% of offered turns)")  # fmt: skip
            break


if __name__ == "__main__":
    main()
