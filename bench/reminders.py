"""The reminder scheduler at scale: 10,000 reminders across 1,000 users, fired by a simulated
clock over a day, with a crash in the middle of a tick and a restart after downtime.

Run: .venv/bin/python bench/reminders.py [--users 1000] [--reminders 10000] [--tick 10]
Prints lateness p50/p99 (simulated seconds after the due time, on time and missed during the
downtime separately), duplicates and losses (target 0 and 0, counted from the messages users
actually received), tick cost in real time, and the scheduler's memory (tracemalloc, RSS).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from os1.config import Settings
from os1.skills.reminders import book, firing
from os1.skills.reminders.parse import When, next_occurrence, parse_reminder
from os1.skills.reminders.policy import epoch
from os1.skills.reminders.scheduler import ReminderScheduler
from os1.storage.sqlite import SQLiteStore

ZONES = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]
T0 = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # clocks change in London during the run
SPAN = timedelta(hours=24)
CRASH_AT = timedelta(hours=10)
DOWNTIME = timedelta(minutes=30)
BASELINE_N = 300
TAIL = timedelta(minutes=10)  # the run goes on a little after the last one-off is due


class Crash(BaseException):
    """The process dies (kill -9) in the middle of a tick."""


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--tick", type=float, default=10.0, help="simulated seconds per tick")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--open-stores", type=int, default=None, help="the scheduler's per-user store cache"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="os1-bench-reminders-"))
    path = home / "os1.db"
    # Quiet hours off: this measures the scheduler, not the policy (tests cover the policy).
    settings = Settings(model="scripted:echo", proactive={"quiet_hours": "off"})

    # -- schedule: 10% repeating daily, the rest one-offs spread over the span -----------------
    started = time.perf_counter()
    # Held open through the setup: closing the last connection would checkpoint each time.
    keeper = SQLiteStore(path, "*bench*")
    expected: set[tuple[int, int]] = set()  # (reminder id, occurrence epoch)
    for u in range(args.users):
        user = f"user{u:04d}"
        store = book.prepare(SQLiteStore(path, user))
        tz_name = ZONES[u % len(ZONES)]
        tz = ZoneInfo(tz_name)
        for _ in range(args.reminders // args.users):
            if rng.random() < 0.1:
                hh, mm = rng.randrange(24), rng.randrange(60)
                parsed = parse_reminder(f"every day at {hh:02d}:{mm:02d} to stretch", T0, tz)
                reminder = book.add(store, parsed.what, parsed.when, tz_name)
                assert reminder is not None and parsed.when.rrule and parsed.when.start
                due = parsed.when.due
                while due <= T0 + SPAN + TAIL:
                    expected.add((reminder.id, epoch(due)))
                    nxt = next_occurrence(
                        parsed.when.rrule, parsed.when.start, due.replace(tzinfo=None), tz
                    )
                    assert nxt is not None
                    due = nxt
            else:
                due = T0 + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
                reminder = book.add(store, f"task {rng.randrange(10**6)}", When(due=due), tz_name)
                assert reminder is not None
                expected.add((reminder.id, epoch(due)))
        store.close()
    keeper.close()
    setup_s = time.perf_counter() - started
    print(
        f"scheduled {args.reminders} reminders for {args.users} users "
        f"({len(expected)} deliveries expected in {SPAN}) in {setup_s:.1f} s"
    )

    # -- run: tick with a simulated clock; crash mid-tick at 12 h; restart after downtime ------
    now = T0
    clock_box = [now]
    tick = timedelta(seconds=args.tick)
    real_delivers = firing.deliver
    crashed = [False]

    def crashing_deliver(*a: object, **k: object) -> object:
        if not crashed[0] and clock_box[0] >= T0 + CRASH_AT:
            crashed[0] = True
            raise Crash
        return real_delivers(*a, **k)  # type: ignore[arg-type]

    tracemalloc.start()
    rss_before = rss_mib()
    tick_times: list[float] = []  # ticks with nothing to deliver: the scheduler's fixed cost
    busy: list[tuple[float, int]] = []  # (seconds, deliveries) of the other ticks
    firing.deliver = crashing_deliver  # type: ignore[assignment]

    def make_scheduler() -> ReminderScheduler:
        extra = {"max_open_stores": args.open_stores} if args.open_stores else {}
        return ReminderScheduler(path, settings=settings, clock=lambda: clock_box[0], **extra)

    scheduler = make_scheduler()
    restarted_at: datetime | None = None
    run_started = time.perf_counter()
    cpu_started = time.process_time()
    try:
        while now <= T0 + SPAN + TAIL:
            clock_box[0] = now
            t = time.perf_counter()
            try:
                report = scheduler.tick(now)
            except Crash:
                # The process is gone: nothing of it survives but the database.
                scheduler.stop()
                firing.deliver = real_delivers
                now += DOWNTIME
                restarted_at = now
                clock_box[0] = now
                scheduler = make_scheduler()
                continue
            elapsed = time.perf_counter() - t
            if report.fired or report.recovered:
                busy.append((elapsed, report.fired + report.recovered))
            else:
                tick_times.append(elapsed)
            now += tick
    finally:
        firing.deliver = real_delivers
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        scheduler.stop()
    run_s = time.perf_counter() - run_started
    cpu_s = time.process_time() - cpu_started

    # -- baseline in the same run: the outbox alone (store + publish a message), no scheduler --
    base_store = SQLiteStore(path, "baseline")
    t = time.perf_counter()
    for i in range(BASELINE_N):
        real_delivers(base_store, f"plain {i}", "baseline")
    baseline_ms = 1000 * (time.perf_counter() - t) / BASELINE_N
    base_store.close()

    # -- what users received ------------------------------------------------------------------
    index = SQLiteStore(path, "*bench*")
    rows = index.query(
        "SELECT m.user_id, json_extract(m.meta, '$.reminder_id') AS rid, "
        "json_extract(m.meta, '$.due_at') AS due_at, json_extract(m.meta, '$.late') AS late "
        "FROM messages m WHERE json_extract(m.meta, '$.proactive') = 'reminder'"
    )
    received = Counter((r["rid"], epoch(datetime.fromisoformat(r["due_at"]))) for r in rows)
    fired_at = {
        (r["reminder_id"], r["occurrence_ts"]): r["claimed_ts"]
        for r in index.query("SELECT reminder_id, occurrence_ts, claimed_ts FROM reminder_firings")
    }
    index.close()
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    losses = len(expected - set(received))
    unexpected = len(set(received) - expected)
    assert restarted_at is not None
    down_start, down_end = epoch(T0 + CRASH_AT), epoch(restarted_at)
    on_time: list[float] = []
    missed: list[float] = []
    for key in received:
        if key in fired_at:
            lateness = fired_at[key] - key[1]
            (missed if down_start - args.tick <= key[1] <= down_end else on_time).append(lateness)
    late_marked = sum(1 for r in rows if r["late"])

    ticks = len(tick_times) + len(busy)
    print(f"simulated {SPAN + TAIL} in {ticks} ticks of {args.tick:g} s")
    print(
        f"run: {run_s:.1f} s wall, {cpu_s:.1f} s CPU; idle tick ({len(tick_times)}) "
        f"p50 {1000 * pct(tick_times, 0.5):.2f} ms, p99 {1000 * pct(tick_times, 0.99):.2f} ms"
    )
    print(f"deliveries: {sum(received.values())} received, {len(expected)} expected")
    print(f"duplicates: {duplicates}   losses: {losses}   unexpected: {unexpected}")
    print(
        f"lateness on time (s, simulated): p50 {pct(on_time, 0.5):.0f}  "
        f"p99 {pct(on_time, 0.99):.0f}  max {max(on_time):.0f}  (n={len(on_time)})"
    )
    print(
        f"lateness missed during the {DOWNTIME} downtime (s): p50 {pct(missed, 0.5):.0f}  "
        f"p99 {pct(missed, 0.99):.0f}  (n={len(missed)}); marked late: {late_marked}"
    )
    print(
        f"memory: tracemalloc current {current / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB; "
        f"max RSS {rss_mib():.0f} MiB (before the run {rss_before:.0f} MiB)"
    )
    idle = pct(tick_times, 0.5)
    per_delivery = [(seconds - idle) / n for seconds, n in busy]
    firing_ms = 1000 * statistics.fmean(per_delivery)
    print(
        f"one delivery (claim + outbox + confirm): mean {firing_ms:.2f} ms, "
        f"p50 {1000 * pct(per_delivery, 0.5):.2f} ms wall; the outbox alone (baseline, same "
        f"run): {baseline_ms:.2f} ms; ratio {firing_ms / baseline_ms:.1f}x"
    )
    ok = duplicates == 0 and losses == 0 and unexpected == 0
    print("RESULT:", "ok (0 duplicates, 0 losses)" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
