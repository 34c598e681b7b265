"""The scheduler: every few seconds, fire what is due for every user, from the database.

Design for many users: nothing per reminder lives in memory. State is the reminders table and
its partial index on `due_ts`; a tick is one index range scan plus work for what is due, so its
cost follows what fires, not what is scheduled. APScheduler (3.x, in-memory job store) only
runs the tick on an interval in a worker thread, one at a time, coalescing missed runs; its
persistent job stores would keep a pickled job per reminder, which is what the index avoids.

A tick also: finishes firings a crash left claimed; reads new user messages for check-ins and
follow-ups (a cursor over message ids); and, every few minutes, asks the calendar for events
to nudge about. `tick(now)` takes the moment explicitly, so tests drive a controllable clock.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from os1.config import Settings
from os1.errors import OS1Error
from os1.mind.outbox import Notifier, notifier
from os1.skills.reminders import book
from os1.skills.reminders.firing import FiringRules, fire, recover
from os1.skills.reminders.parse import When
from os1.skills.reminders.policy import (
    ProactivePolicy,
    effective_policy,
    epoch,
    reminders_config,
    zone,
    zone_name,
)
from os1.skills.reminders.proactive import nudge_text, plan_from_message
from os1.storage.base import Store

log = logging.getLogger(__name__)

# The store the scheduler reads its cross-user index through: it owns no rows. Every write
# goes through the store of the user the row belongs to.
INDEX_USER = "*scheduler*"
SCAN_CURSOR = "*"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TickReport:
    fired: int = 0
    late: int = 0
    held: int = 0
    skipped: int = 0
    recovered: int = 0
    planned: int = 0
    errors: int = 0
    users: set[str] = field(default_factory=set)


class Leadership(Protocol):
    """Who may tick when several processes share one database (PostgreSQL's advisory lock:
    `os1.storage.postgres.AdvisoryLock`)."""

    def acquire(self) -> bool:
        """True while this process leads: taken if free, kept if held."""
        ...

    def release(self) -> None: ...


# The most permissive policy: whatever a user's own policy plans, this one plans too.
_ANY_POLICY = ProactivePolicy.model_validate({"followup_hours": 72})


class ReminderScheduler:
    """Fires reminders and proactive messages for every user of one database.

    `stores` is the database file, or a function that opens the store of a given user id
    (stores it opens are closed by `stop()` only with `close_stores=True`). `home` enables
    nudges before calendar events. Use `start()`/`stop()` in a server or chat session, or
    call `tick(now)` directly (tests, cron via `os1 reminders tick`).

    With `leadership`, a scheduler ticks only while it leads: every worker process runs one,
    one of them fires, and when the leader dies another takes over at its next interval.
    Firing claims each occurrence in the database, so even two leaders at once (a network
    split the lock has not noticed yet) deliver nothing twice.
    """

    def __init__(
        self,
        stores: Callable[[str], Store] | Path,
        *,
        settings: Settings | None = None,
        home: Path | None = None,
        clock: Callable[[], datetime] = _utc_now,
        interval: float | None = None,
        notify: Notifier = notifier,
        batch: int = 500,
        lease: timedelta = timedelta(minutes=2),
        calendar_every: timedelta = timedelta(minutes=5),
        max_open_stores: int = 128,
        close_stores: bool | None = None,
        leadership: Leadership | None = None,
    ) -> None:
        if isinstance(stores, Path):
            # A database file (what `os1 reminders tick` and the background services pass
            # today): SQLite stores on it. A factory opens any backend's stores.
            from os1.storage.sqlite import SQLiteStore

            path = stores
            self._open: Callable[[str], Store] = lambda uid: SQLiteStore(path, uid)
            self._owns_stores = True if close_stores is None else close_stores
        else:
            self._open = stores
            self._owns_stores = bool(close_stores)
        self.settings = settings or Settings.model_validate({})
        self.home = home
        self.clock = clock
        self.config = reminders_config(self.settings)
        self.interval = interval or self.config.tick_seconds
        self.notify = notify
        self.batch = batch
        self.lease = lease
        self.calendar_every = calendar_every
        self.max_open_stores = max_open_stores
        self._stores: OrderedDict[str, Store] = OrderedDict()
        self._index: Store | None = None
        self._lock = threading.Lock()
        self._scheduler: Any = None
        self._last_calendar: datetime | None = None
        self.leadership = leadership
        self.leading = leadership is None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Tick now and then every `interval` seconds, in a background thread."""
        from apscheduler.schedulers.background import BackgroundScheduler

        if self._scheduler is not None:
            return
        self._index_store()  # fail now (bad path, bad schema), not in the thread
        # APScheduler logs every run at INFO: one line every few seconds says nothing.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            self._tick_safely,
            "interval",
            seconds=self.interval,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            id="os1-reminders",
        )
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        """Stop ticking (waiting for a tick in progress) and close the stores it opened."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        if self.leadership is not None:
            self.leadership.release()
            self.leading = False
        with self._lock:
            if self._owns_stores:
                for store in self._stores.values():
                    store.close()
                if self._index is not None:
                    self._index.close()
            self._stores.clear()
            self._index = None

    def __enter__(self) -> ReminderScheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _tick_safely(self) -> None:
        if self.leadership is not None:
            leading = self.leadership.acquire()
            if leading != self.leading:
                log.info("reminder scheduler: %s", "leading" if leading else "following")
            self.leading = leading
            if not leading:
                return
        try:
            self.tick()
        except Exception:  # a tick must never kill the scheduler thread
            log.exception("reminder tick failed")

    # -- stores ---------------------------------------------------------------------------

    def _lent(self, user_id: str) -> Store | None:
        """The user's store on the index store's own connection, where the backend has one
        (SQLite: every user is in the database the index reads). The message scan visits
        whoever spoke last, usually more users than stay open: a connection each, with its
        set-up (~0.3 ms) every time one was evicted, was most of what the scan cost."""
        return self._index_store().sharing_connection(user_id)

    def _index_store(self) -> Store:
        if self._index is None:
            self._index = book.prepare(self._open(INDEX_USER))
        return self._index

    def store_for(self, user_id: str) -> Store:
        """This user's store, kept open for the next ticks (least recently used closed)."""
        store = self._stores.get(user_id)
        if store is not None:
            self._stores.move_to_end(user_id)
            return store
        store = self._lent(user_id) or self._open(user_id)
        self._stores[user_id] = store
        while len(self._stores) > self.max_open_stores:
            _, old = self._stores.popitem(last=False)
            if self._owns_stores:
                old.close()
        return store

    # -- the tick -------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> TickReport:
        """Do everything that is due at `now` (default: the clock) and say what was done."""
        # UTC throughout: arithmetic on two datetimes of one zone would ignore DST.
        now = (now or self.clock()).astimezone(UTC)
        report = TickReport()
        with self._lock:
            index = self._index_store()
            rules: dict[str, FiringRules] = {}
            self._recover(index, now, rules, report)
            self._scan_messages(index, now, report)
            self._scan_calendars(index, now, report)
            self._fire_due(index, now, rules, report)
        return report

    def _rules(self, user_id: str, rules: dict[str, FiringRules]) -> FiringRules:
        if user_id not in rules:
            store = self.store_for(user_id)
            rules[user_id] = FiringRules(
                policy=effective_policy(store, self.settings),
                late_after=timedelta(minutes=self.config.late_after_minutes),
            )
        return rules[user_id]

    def _fire_due(
        self,
        index: Store,
        now: datetime,
        rules: dict[str, FiringRules],
        report: TickReport,
    ) -> None:
        tried: set[int] = set()
        while True:
            rows = index.query(
                "SELECT id, user_id FROM reminders WHERE state = 'scheduled' AND due_ts <= ? "
                "ORDER BY due_ts, id LIMIT ?",
                (epoch(now), self.batch + len(tried)),
            )
            fresh = [r for r in rows if r["id"] not in tried]
            if not fresh:
                return
            # One user's due rows together: their store is opened once per batch.
            fresh.sort(key=lambda r: r["user_id"])
            for row in fresh:
                tried.add(row["id"])
                user_id = row["user_id"]
                try:
                    outcome = fire(
                        self.store_for(user_id),
                        row["id"],
                        now,
                        self._rules(user_id, rules),
                        notify=self.notify,
                    )
                except OS1Error as exc:
                    # A bad zone or policy in one user's data must not stop everyone else's.
                    log.warning("reminder %s of %s not fired: %s", row["id"], user_id, exc)
                    report.errors += 1
                    continue
                report.users.add(user_id)
                if outcome == "fired":
                    report.fired += 1
                elif outcome == "late":
                    report.fired += 1
                    report.late += 1
                elif outcome == "held":
                    report.held += 1
                elif outcome == "skipped":
                    report.skipped += 1

    def _recover(
        self,
        index: Store,
        now: datetime,
        rules: dict[str, FiringRules],
        report: TickReport,
    ) -> None:
        stale = index.query(
            "SELECT id, user_id FROM reminder_firings WHERE state = 'claimed' AND claimed_ts <= ?",
            (epoch(now - self.lease),),
        )
        for row in stale:
            try:
                if recover(
                    self.store_for(row["user_id"]),
                    row["id"],
                    now,
                    self._rules(row["user_id"], rules),
                    self.lease,
                    notify=self.notify,
                ):
                    report.recovered += 1
            except OS1Error as exc:
                log.warning("firing %s not recovered: %s", row["id"], exc)
                report.errors += 1

    def _scan_messages(self, index: Store, now: datetime, report: TickReport) -> None:
        """Plan check-ins and follow-ups from user messages not read yet (a cursor by id)."""
        cursor_rows = index.query(
            "SELECT last_message_id FROM proactive_scan WHERE user_id = ?", (SCAN_CURSOR,)
        )
        cursor = cursor_rows[0][0] if cursor_rows else 0
        # Every role is read (and skipped) so that the cursor moves past the companion's own
        # messages too: the scan stays a short primary-key range, never the whole table.
        rows = index.query(
            "SELECT id, user_id, role, content, created_at FROM messages "
            "WHERE id > ? ORDER BY id LIMIT ?",
            (cursor, self.batch),
        )
        if not rows:
            return
        hours = self.config.hours
        for row in rows:
            if row["role"] != "user" or row["user_id"] == INDEX_USER:
                continue
            try:
                report.planned += self._plan(row, hours, now)
            except OS1Error as exc:
                log.warning("message %s not read for check-ins: %s", row["id"], exc)
        with index.transaction() as db:
            db.execute(
                "INSERT INTO proactive_scan (user_id, last_message_id) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET last_message_id = excluded.last_message_id "
                "WHERE proactive_scan.last_message_id < excluded.last_message_id",
                (SCAN_CURSOR, rows[-1]["id"]),
            )

    def _plan(self, row: Any, hours: Any, now: datetime) -> int:
        said_at = datetime.fromisoformat(row["created_at"])
        if said_at.tzinfo is None:
            said_at = said_at.replace(tzinfo=UTC)
        # Nearly every message plans nothing: find that out before opening the user's store
        # (with many users, opening stores was most of the scheduler's time).
        if not plan_from_message(row["content"], row["id"], said_at, UTC, _ANY_POLICY, hours):
            return 0
        store = self.store_for(row["user_id"])
        policy = effective_policy(store, self.settings)
        if not policy.enabled:
            return 0
        tz_name = zone_name(store, self.settings)
        planned = 0
        stale = now - timedelta(hours=policy.stale_after_hours)
        for item in plan_from_message(
            row["content"], row["id"], said_at, zone(tz_name), policy, hours
        ):
            if item.when.due < stale:  # an old message read for the first time: too late
                continue
            added = book.add(
                store,
                item.text,
                item.when,
                tz_name,
                kind=item.kind,  # type: ignore[arg-type]
                source=f"msg:{row['id']}",
                dedupe_key=item.dedupe_key,
            )
            planned += added is not None
        return planned

    def _scan_calendars(self, index: Store, now: datetime, report: TickReport) -> None:
        """Every few minutes, plan a nudge before each event that starts soon."""
        if self.home is None:
            return
        if self._last_calendar is not None and now - self._last_calendar < self.calendar_every:
            return
        self._last_calendar = now
        try:
            from os1.skills.calendar.service import upcoming_events
        except ImportError:  # no calendar skill installed: no nudges
            return
        from os1.skills.base import SkillContext

        users = [
            r[0] for r in index.query("SELECT DISTINCT user_id FROM profile") if r[0] != INDEX_USER
        ]
        for user_id in users:
            store = self.store_for(user_id)
            try:
                policy = effective_policy(store, self.settings)
                if not policy.allows("event_nudge"):
                    continue
                tz_name = zone_name(store, self.settings)
                ctx = SkillContext(
                    store=store, settings=self.settings, home=self.home, clock=lambda: now
                )
                lead = timedelta(minutes=policy.nudge_minutes)
                events = upcoming_events(ctx, now, now + lead + 2 * self.calendar_every)
            except OS1Error as exc:
                log.info("no calendar nudges for %s: %s", user_id, exc)
                continue
            for event in events:
                if event.all_day or event.start <= now:
                    continue
                start = event.start.astimezone(UTC)
                due = max(start - lead, now)
                minutes = max(1, round((start - due).total_seconds() / 60))
                added = book.add(
                    store,
                    nudge_text(event.summary, event.start.astimezone(zone(tz_name)), minutes),
                    When(due=due),
                    tz_name,
                    kind="event_nudge",
                    source=f"event:{event.uid}",
                    dedupe_key=f"nudge:{event.uid}:{epoch(event.start)}",
                    expires=event.start,
                )
                report.planned += added is not None
