"""The reminders table: one row per reminder or planned proactive message, owned by a user.

`due_ts` is the persistent due-time index the scheduler reads (`WHERE state = 'scheduled' AND
due_ts <= now`): firing never needs a job per reminder in memory. `occurrence_ts` is the moment
the current occurrence was due; `due_ts` only moves past it when the policy holds a message
(quiet hours, the daily limit). A repeating reminder keeps its rule in local wall time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Literal

from os1.errors import NotFound
from os1.skills.base import ToolError
from os1.skills.reminders.parse import When
from os1.skills.reminders.policy import epoch, from_epoch, zone
from os1.storage.base import Migrations, Row, Store

COMPONENT = "skill:reminders"
Kind = Literal["reminder", "checkin", "followup", "event_nudge"]
State = Literal["scheduled", "fired", "done", "cancelled", "skipped"]

_SQLITE = [
    """
    CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'reminder'
            CHECK (kind IN ('reminder', 'checkin', 'followup', 'event_nudge')),
        text TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        tz TEXT NOT NULL,
        rrule TEXT,
        rule_start TEXT,
        occurrence_ts INTEGER NOT NULL,
        due_ts INTEGER NOT NULL,
        expires_ts INTEGER,
        urgent INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'scheduled'
            CHECK (state IN ('scheduled', 'fired', 'done', 'cancelled', 'skipped')),
        dedupe_key TEXT,
        fired_count INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    -- The scheduler's whole job is a range scan of this partial index, across users.
    CREATE INDEX reminders_due ON reminders(due_ts) WHERE state = 'scheduled';
    CREATE INDEX reminders_by_user ON reminders(user_id, state, due_ts);
    -- A proactive message planned from one cause (a message, an event) exists once.
    CREATE UNIQUE INDEX reminders_dedupe ON reminders(user_id, dedupe_key)
        WHERE dedupe_key IS NOT NULL;
    -- One row per delivered occurrence: claimed in the same transaction that advances the
    -- reminder, then marked delivered with the message it became. UNIQUE makes a second claim
    -- of the same occurrence impossible; a claim left behind by a crash is finished later.
    CREATE TABLE reminder_firings (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        reminder_id INTEGER NOT NULL REFERENCES reminders(id) ON DELETE CASCADE,
        occurrence_ts INTEGER NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        late INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'delivered')),
        claimed_ts INTEGER NOT NULL,
        delivered_ts INTEGER,
        message_id INTEGER,
        UNIQUE (reminder_id, occurrence_ts)
    );
    CREATE INDEX reminder_firings_claimed ON reminder_firings(claimed_ts)
        WHERE state = 'claimed';
    CREATE INDEX reminder_firings_by_user ON reminder_firings(user_id, kind, claimed_ts);
    -- How far the scheduler has read users' messages for check-ins and follow-ups. The row
    -- with user_id '*' is the scheduler's one cursor over every user's messages (by id).
    CREATE TABLE proactive_scan (
        user_id TEXT NOT NULL PRIMARY KEY,
        last_message_id INTEGER NOT NULL
    );
    """,
    # A reminder set in a conversation is delivered in that conversation.
    """
    ALTER TABLE reminders ADD COLUMN conversation_id INTEGER;
    """,
]
# The same steps for PostgreSQL, numbered alike: ids by BIGSERIAL, Unix times in BIGINT.
_POSTGRESQL = [
    """
    CREATE TABLE reminders (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'reminder'
            CHECK (kind IN ('reminder', 'checkin', 'followup', 'event_nudge')),
        text TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        tz TEXT NOT NULL,
        rrule TEXT,
        rule_start TEXT,
        occurrence_ts BIGINT NOT NULL,
        due_ts BIGINT NOT NULL,
        expires_ts BIGINT,
        urgent BIGINT NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'scheduled'
            CHECK (state IN ('scheduled', 'fired', 'done', 'cancelled', 'skipped')),
        dedupe_key TEXT,
        fired_count BIGINT NOT NULL DEFAULT 0,
        note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX reminders_due ON reminders(due_ts) WHERE state = 'scheduled';
    CREATE INDEX reminders_by_user ON reminders(user_id, state, due_ts);
    CREATE UNIQUE INDEX reminders_dedupe ON reminders(user_id, dedupe_key)
        WHERE dedupe_key IS NOT NULL;
    CREATE TABLE reminder_firings (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT NOT NULL,
        reminder_id BIGINT NOT NULL REFERENCES reminders(id) ON DELETE CASCADE,
        occurrence_ts BIGINT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        late BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'delivered')),
        claimed_ts BIGINT NOT NULL,
        delivered_ts BIGINT,
        message_id BIGINT,
        UNIQUE (reminder_id, occurrence_ts)
    );
    CREATE INDEX reminder_firings_claimed ON reminder_firings(claimed_ts)
        WHERE state = 'claimed';
    CREATE INDEX reminder_firings_by_user ON reminder_firings(user_id, kind, claimed_ts);
    CREATE TABLE proactive_scan (
        user_id TEXT NOT NULL PRIMARY KEY,
        last_message_id BIGINT NOT NULL
    );
    """,
    """
    ALTER TABLE reminders ADD COLUMN conversation_id BIGINT;
    """,
]
MIGRATIONS: Migrations = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}


@dataclass(frozen=True)
class Reminder:
    id: int
    kind: Kind
    text: str
    due: datetime  # the current occurrence, in the reminder's zone
    rrule: str | None
    state: State
    urgent: bool
    fired_count: int
    source: str
    tz: str
    held_until: datetime | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "due": self.due.isoformat(),
            "repeats": self.rrule,
            "state": self.state,
            "urgent": self.urgent,
            "fired": self.fired_count,
            "timezone": self.tz,
            "held_until": self.held_until.isoformat() if self.held_until else None,
            "note": self.note,
        }


def prepare(store: Store) -> Store:
    """The store, with the reminders tables up to date (for code paths without a Companion)."""
    store.migrate_component(COMPONENT, MIGRATIONS)
    return store


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def row_to_reminder(row: Row) -> Reminder:
    tz = zone(row["tz"])
    held = row["due_ts"] if row["due_ts"] != row["occurrence_ts"] else None
    return Reminder(
        id=row["id"],
        kind=row["kind"],
        text=row["text"],
        due=from_epoch(row["occurrence_ts"], tz),
        rrule=row["rrule"],
        state=row["state"],
        urgent=bool(row["urgent"]),
        fired_count=row["fired_count"],
        source=row["source"],
        tz=row["tz"],
        held_until=from_epoch(held, tz) if held is not None else None,
        note=row["note"],
    )


def add(
    store: Store,
    text: str,
    when: When,
    tz_name: str,
    *,
    kind: Kind = "reminder",
    source: str = "",
    urgent: bool = False,
    dedupe_key: str | None = None,
    expires: datetime | None = None,
    conversation_id: int | None = None,
) -> Reminder | None:
    """Keep a new reminder; None when one with the same dedupe key already exists."""
    sql = prepare(store)
    stamp = _stamp()
    due = epoch(when.due)
    with sql.transaction() as db:
        cur = db.execute(
            "INSERT INTO reminders (user_id, kind, text, source, tz, rrule, rule_start, "
            "occurrence_ts, due_ts, expires_ts, urgent, dedupe_key, created_at, updated_at, "
            "conversation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (
                sql.user_id,
                kind,
                text,
                source,
                tz_name,
                when.rrule,
                when.start.isoformat() if when.start else None,
                due,
                due,
                epoch(expires) if expires else None,
                int(urgent),
                dedupe_key,
                stamp,
                stamp,
                conversation_id,
            ),
        )
        # A dedupe key already there: nothing inserted, so no id returned.
        inserted = cur.fetchone()
        if inserted is None:
            return None
        new_id = int(inserted[0])
    return get(sql, new_id)


def get(store: Store, reminder_id: int) -> Reminder:
    sql = prepare(store)
    rows = sql.query(
        "SELECT * FROM reminders WHERE id = ? AND user_id = ?", (reminder_id, sql.user_id)
    )
    if not rows:
        raise NotFound(
            f"no reminder {reminder_id}", hint="`os1 reminders list` shows your reminders."
        )
    return row_to_reminder(rows[0])


def listed(store: Store, *, include_all: bool = False, kind: Kind | None = None) -> list[Reminder]:
    """Scheduled reminders soonest first (with include_all, finished ones after them)."""
    sql = prepare(store)
    where = "user_id = ?" + ("" if include_all else " AND state = 'scheduled'")
    params: tuple[object, ...] = (sql.user_id,)
    if kind is not None:
        where += " AND kind = ?"
        params += (kind,)
    rows = sql.query(
        f"SELECT * FROM reminders WHERE {where} ORDER BY state != 'scheduled', occurrence_ts, id",
        params,
    )
    return [row_to_reminder(r) for r in rows]


def finish(store: Store, reminder_id: int, state: Literal["done", "cancelled"]) -> Reminder:
    """Mark a scheduled reminder done or cancelled; it will not fire again."""
    sql = prepare(store)
    current = get(sql, reminder_id)
    if current.state != "scheduled":
        raise ToolError(
            f"reminder {reminder_id} is already {current.state}",
            hint="Only a scheduled reminder can be marked done or cancelled.",
        )
    with sql.transaction() as db:
        cur = db.execute(
            "UPDATE reminders SET state = ?, updated_at = ? "
            "WHERE id = ? AND user_id = ? AND state = 'scheduled'",
            (state, _stamp(), reminder_id, sql.user_id),
        )
    if cur.rowcount == 0:  # fired or finished between the read and the write
        return finish(sql, reminder_id, state)
    return get(sql, reminder_id)


def matching(store: Store, words: str) -> list[Reminder]:
    """Scheduled reminders whose text contains these words (to cancel one by name)."""
    needle = " ".join(words.lower().split())
    return [r for r in listed(store) if needle and needle in r.text.lower()]


def describe(reminder: Reminder, now: datetime | None = None) -> str:
    """'call mum — Sun 29 Mar 18:00 (every day)' for lists and replies."""
    tz: tzinfo = zone(reminder.tz)
    due = reminder.due.astimezone(tz)
    shown = f"{due:%a %d %b %Y %H:%M}"
    if now is not None and due.year == now.astimezone(tz).year:
        shown = f"{due:%a %d %b %H:%M}"
    repeats = f" (repeats: {human_rule(reminder.rrule)})" if reminder.rrule else ""
    return f"{reminder.text} — {shown}{repeats}"


_FREQ_WORDS = {
    "MINUTELY": "minute",
    "HOURLY": "hour",
    "DAILY": "day",
    "WEEKLY": "week",
    "MONTHLY": "month",
    "YEARLY": "year",
}


def human_rule(rule: str) -> str:
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    unit = _FREQ_WORDS.get(parts.get("FREQ", ""), "time")
    n = int(parts.get("INTERVAL", "1"))
    text = f"every {n} {unit}s" if n > 1 else f"every {unit}"
    if "BYDAY" in parts:
        text += " on " + parts["BYDAY"]
    if "BYMONTHDAY" in parts:
        text += f" on day {parts['BYMONTHDAY']}"
    if "BYHOUR" in parts:
        text += f" at {int(parts['BYHOUR']):02d}:{int(parts.get('BYMINUTE', '0')):02d}"
    return text
