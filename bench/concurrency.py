"""Many users at once: N open WebSocket conversations against one `os1 serve` process.

Run: .venv/bin/python bench/concurrency.py --quick
     .venv/bin/python bench/concurrency.py --users 500,1000,2000,4000,8316 --duration 60

The server runs in its own process (`os1 serve`, scripted model, hashing embedder, login
required, one account and API token per simulated user). One asyncio process holds every
socket: each user says something on average every `--think` seconds (exponential gaps), so
8,316 users offer about 400 turns/s. For each N it prints the turns/s achieved against those
offered, the time from sending a message to its `done` event (p50/p99: with the scripted model
this is the server's overhead per turn plus loopback), errors, and the server's resident
memory. The baseline, measured in the same run, is one companion turn in-process (same
scripted model and store, no server): the difference is what serving adds. A step "breaks"
when errors exceed 1%, p99 exceeds 2 s, or fewer than 90% of offered turns complete.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import websockets
from argon2 import PasswordHasher

from os1.config import Settings
from os1.mind.companion import Companion
from os1.models import create_model
from os1.server.users import Users
from os1.storage.sqlite import SQLiteStore

TEXTS = [
    "I had a long day at work today",
    "what should I cook tonight",
    "my sister is visiting next week",
    "I finally finished that book",
    "remind me what we talked about",
]


@dataclass
class Step:
    users: int
    offered: float
    opened: int = 0
    sent: int = 0
    done: int = 0
    errors: int = 0
    connect_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    rss_mb: float = 0.0
    hwm_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def broken(self) -> bool:
        failures = self.errors + self.connect_errors
        expected = self.offered * self.seconds
        # Short windows at small N are noisy: a Poisson count 3 sigma low is still "held".
        too_few = self.done < 0.9 * expected and self.done < expected - 3 * expected**0.5
        return failures > 0.01 * max(self.sent, 1) or self.pct(0.99) > 2000 or too_few


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_accounts(home: Path, count: int) -> list[str]:
    """One account and token per simulated user (a cheap argon2 setting: this is not a test
    of password hashing)."""
    store = SQLiteStore(home / "os1.db", "bench")
    users = Users(store, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    tokens = []
    for i in range(count):
        users.add(f"user{i:05d}", "bench-password")
        tokens.append(users.create_token(f"user{i:05d}")[1])
    store.close()
    return tokens


def start_server(home: Path, port: int, threads: int, cache: int) -> subprocess.Popen[bytes]:
    (home / "config.toml").write_text(
        'model = "scripted:echo"\nembedder = "hashing"\n'
        f"[server]\nsingle_user = false\nturn_threads = {threads}\ncache_users = {cache}\n"
        "consolidate_after = 5.0\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "serve", "--port", str(port),
         "--log-level", "error"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def memory_of(pid: int) -> tuple[float, float]:
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


async def user_loop(
    url: str, think: float, step: Step, stop: list[float], rng: random.Random, ready: asyncio.Event
) -> None:
    try:
        ws = await websockets.connect(url, open_timeout=60, ping_interval=None, max_queue=None)
    except (OSError, websockets.WebSocketException, TimeoutError):
        step.connect_errors += 1
        return
    step.opened += 1
    try:
        await ready.wait()
        # A Poisson process from the start: exponential gaps, the first one too.
        await asyncio.sleep(min(rng.expovariate(1 / think), stop[0] - time.monotonic()))
        while time.monotonic() < stop[0]:
            step.sent += 1
            started = time.monotonic()
            await ws.send(json.dumps({"type": "say", "text": rng.choice(TEXTS)}))
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if event["type"] == "done":
                    step.done += 1
                    step.latencies.append(time.monotonic() - started)
                    break
                if event["type"] == "error":
                    step.errors += 1
                    break
            await asyncio.sleep(min(rng.expovariate(1 / think), stop[0] - time.monotonic()))
    except (OSError, websockets.WebSocketException, TimeoutError):
        step.errors += 1
    finally:
        await ws.close()


async def run_step(base: str, tokens: list[str], think: float, duration: float) -> Step:
    step = Step(len(tokens), len(tokens) / think)
    rng = random.Random(len(tokens))
    ready = asyncio.Event()
    gate = asyncio.Semaphore(200)  # connect in waves, not 8,000 handshakes at once

    async def one(token: str, stop_at: list[float]) -> None:
        async with gate:
            pass
        await user_loop(f"{base}?token={token}", think, step, stop_at, rng, ready)

    stop_at = [float("inf")]
    tasks = [asyncio.create_task(one(t, stop_at)) for t in tokens]
    # Every socket open (or failed) before the clock starts.
    while step.opened + step.connect_errors < len(tokens):
        await asyncio.sleep(0.2)
    started = time.monotonic()
    stop_at[0] = started + duration
    ready.set()
    await asyncio.gather(*tasks)  # the window, then the turns still in flight
    step.seconds = duration
    return step


async def baseline_turn_ms(home: Path, turns: int = 200) -> float:
    """One companion turn in-process, same model and kind of store: what serving adds to."""
    settings = Settings(model="scripted:echo", embedder="hashing")
    store = SQLiteStore(home / "baseline.db")
    from os1.memory import LongTermMemory

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="100,500,1000,2000,4000,8316")
    parser.add_argument("--think", type=float, default=20.0, help="Mean seconds between turns")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds per step")
    parser.add_argument("--threads", type=int, default=8, help="Server turn loops (0: inline)")
    parser.add_argument("--quick", action="store_true", help="50 and 200 users, 20 s each")
    args = parser.parse_args()
    counts = [50, 200] if args.quick else [int(n) for n in args.users.split(",")]
    duration = 20.0 if args.quick else args.duration
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    with tempfile.TemporaryDirectory(prefix="os1-bench-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        base_ms = asyncio.run(baseline_turn_ms(Path(folder)))
        made = time.perf_counter()
        tokens = make_accounts(home, max(counts))
        print(f"{max(counts)} accounts in {time.perf_counter() - made:.1f} s")
        port = free_port()
        # Each socket is a descriptor and each open user's database connection three (file,
        # WAL, shared memory): keep the cache within the server's descriptor limit.
        cache = max(64, min(max(counts), (hard - max(counts) - 1000) // 3))
        proc = start_server(home, port, args.threads, cache)
        print(f"server pid {proc.pid}: turn_threads={args.threads}, cache_users={cache}")
        print(f"baseline: one in-process turn p50 {base_ms:.2f} ms\n")
        print(f"{'users':>6} {'offered/s':>9} {'turns/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'p50/base':>8} {'errors':>6} {'RSS MB':>7} {'peak MB':>8}")  # fmt: skip
        broke = None
        try:
            for n in counts:
                step = asyncio.run(
                    run_step(f"ws://127.0.0.1:{port}/api/ws", tokens[:n], args.think, duration)
                )
                step.rss_mb, step.hwm_mb = memory_of(proc.pid)
                print(
                    f"{n:>6} {step.offered:>9.1f} {step.rate:>8.1f} {step.pct(0.5):>8.1f} "
                    f"{step.pct(0.99):>8.1f} {step.pct(0.5) / base_ms:>8.1f} "
                    f"{step.errors + step.connect_errors:>6} {step.rss_mb:>7.0f} "
                    f"{step.hwm_mb:>8.0f}",
                    flush=True,
                )
                if step.broken and broke is None:
                    broke = n
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        print()
        if broke is None:
            print(f"held up to {max(counts)} users (no step broke)")
        else:
            print(f"breaks at {broke} users (errors > 1%, p99 > 2 s, or < 90% of offered turns)")


if __name__ == "__main__":
    main()
