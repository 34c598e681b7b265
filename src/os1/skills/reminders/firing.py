"""Firing one due reminder exactly once: claim, deliver, confirm, and finish what a crash left.

1. In one transaction: re-read the row (still scheduled and due?), apply the policy (hold it,
   skip it, or fire), advance it (a one-off becomes 'fired', a repeating one moves to its next
   occurrence) and insert a `reminder_firings` row, UNIQUE per occurrence: the claim.
2. Deliver through the outbox, with the firing's id on the message (an idempotency key).
3. Mark the firing delivered.

A crash after 1 leaves a claimed firing. Recovery (after a lease, so that a scheduler still
delivering is not overtaken) looks for a message carrying that firing's id: found, the firing
is marked delivered; not found, it is delivered now, marked late. So nothing is lost, and
nothing arrives twice, across restarts and between two schedulers on one database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

from os1.mind.outbox import Notifier, deliver, notifier
from os1.skills.reminders.parse import next_occurrence
from os1.skills.reminders.policy import (
    ProactivePolicy,
    epoch,
    from_epoch,
    start_of_day,
    start_of_next_day,
    zone,
)
from os1.storage.base import Store

log = logging.getLogger(__name__)

Outcome = Literal["fired", "late", "held", "skipped", "gone"]
# A repeating reminder missed many times while OS1 was off arrives once: counting how many
# occurrences it missed stops here.
MAX_MISSED_COUNT = 1000


@dataclass(frozen=True)
class FiringRules:
    """What the scheduler applies to one user's due messages."""

    policy: ProactivePolicy
    late_after: timedelta


def fire(
    store: Store,
    reminder_id: int,
    now: datetime,
    rules: FiringRules,
    *,
    notify: Notifier = notifier,
) -> Outcome:
    """Fire one reminder if it is still due; hold or skip it as the policy says."""
    now = now.astimezone(UTC)  # arithmetic within one zone would ignore DST
    now_ts = epoch(now)
    with store.transaction() as db:
        row = db.execute(
            "SELECT * FROM reminders WHERE id = ? AND user_id = ? AND state = 'scheduled' "
            "AND due_ts <= ?",
            (reminder_id, store.user_id, now_ts),
        ).fetchone()
        if row is None:
            return "gone"  # cancelled, or fired by another scheduler a moment ago
        tz = zone(row["tz"])
        kind = row["kind"]
        occurrence = row["occurrence_ts"]
        late = now_ts - occurrence > rules.late_after.total_seconds()
        decision = _decide(db, store.user_id, row, now, tz, rules, late)
        if decision is not None:
            action, until, note = decision
            if action == "hold":
                db.execute(
                    "UPDATE reminders SET due_ts = ?, note = ?, updated_at = ? WHERE id = ?",
                    (epoch(until), note, now.isoformat(), reminder_id),
                )
                return "held"
            _advance(db, row, now, tz, state_if_over="skipped", note=note, count=False)
            return "skipped"
        missed = _advance(db, row, now, tz, state_if_over="fired", note=None, count=True)
        text = compose(kind, row["text"], from_epoch(occurrence, tz), late, missed)
        cur = db.execute(
            "INSERT INTO reminder_firings (user_id, reminder_id, occurrence_ts, kind, text, "
            "late, state, claimed_ts) VALUES (?, ?, ?, ?, ?, ?, 'claimed', ?) RETURNING id",
            (store.user_id, reminder_id, occurrence, kind, text, int(late), now_ts),
        )
        claimed = cur.fetchone()
        if claimed is None:  # RETURNING always gives the inserted row
            raise RuntimeError("INSERT ... RETURNING gave no row")
        firing_id = int(claimed[0])
    message_id = _deliver(
        store,
        firing_id,
        reminder_id,
        kind,
        text,
        from_epoch(occurrence, tz),
        late,
        notify,
        row["conversation_id"],
    )
    _confirm(store, firing_id, now_ts, message_id)
    return "late" if late else "fired"


def _decide(
    db: Any,
    user_id: str,
    r: Any,
    now: datetime,
    tz: tzinfo,
    rules: FiringRules,
    late: bool,
) -> tuple[Literal["hold", "skip"], datetime, str] | None:
    """None to fire now; otherwise hold until a moment, or skip, with the reason."""
    policy = rules.policy
    kind = r["kind"]
    quiet_end = policy.quiet_until(now, tz)
    if kind == "reminder":
        # The user asked for this time, so it fires then, quiet hours or not. Only one missed
        # while OS1 was off waits out the night, unless it is urgent.
        if late and quiet_end and policy.hold_late_reminders and not r["urgent"]:
            return "hold", quiet_end, "missed while away; held until quiet hours end"
        return None
    if not policy.allows(kind):
        return "skip", now, f"{kind} is turned off"
    expires = r["expires_ts"]
    if expires is not None and epoch(now) >= expires:
        return "skip", now, "too late to be useful"
    overdue = epoch(now) - r["occurrence_ts"]
    if overdue > policy.stale_after_hours * 3600:
        return "skip", now, "stale"
    if quiet_end is not None:
        if expires is not None and epoch(quiet_end) >= expires:
            return "skip", now, "would only arrive after the event"
        return "hold", quiet_end, "held until quiet hours end"
    sent_today = db.execute(
        "SELECT count(*) FROM reminder_firings WHERE user_id = ? AND kind != 'reminder' "
        "AND claimed_ts >= ?",
        (user_id, epoch(start_of_day(now, tz))),
    ).fetchone()[0]
    if sent_today >= policy.max_per_day:
        if policy.max_per_day == 0:
            return "skip", now, "no proactive messages allowed"
        return "hold", start_of_next_day(now, tz), "daily limit reached"
    return None


def _advance(
    db: Any,
    r: Any,
    now: datetime,
    tz: tzinfo,
    *,
    state_if_over: str,
    note: str | None,
    count: bool,
) -> int:
    """Move past the current occurrence; returns how many occurrences were missed before now."""
    missed = 1
    nxt: int | None = None
    if r["rrule"]:
        start = datetime.fromisoformat(r["rule_start"])
        wall = from_epoch(r["occurrence_ts"], tz).replace(tzinfo=None)
        now_wall = now.astimezone(tz).replace(tzinfo=None)
        following = next_occurrence(r["rrule"], start, wall, tz)
        # Occurrences missed while OS1 was off collapse into this one delivery.
        while following is not None and following <= now and missed < MAX_MISSED_COUNT:
            missed += 1
            following = next_occurrence(r["rrule"], start, following.replace(tzinfo=None), tz)
        if following is not None and following <= now:
            following = next_occurrence(r["rrule"], start, now_wall, tz)
        nxt = epoch(following) if following is not None else None
    if nxt is None:
        db.execute(
            "UPDATE reminders SET state = ?, fired_count = fired_count + ?, note = ?, "
            "updated_at = ? WHERE id = ?",
            (state_if_over, int(count), note, now.isoformat(), r["id"]),
        )
    else:
        db.execute(
            "UPDATE reminders SET occurrence_ts = ?, due_ts = ?, fired_count = fired_count + ?, "
            "note = ?, updated_at = ? WHERE id = ?",
            (nxt, nxt, int(count), note, now.isoformat(), r["id"]),
        )
    return missed


def compose(kind: str, text: str, due: datetime, late: bool, missed: int = 1) -> str:
    """The words the user receives."""
    if kind != "reminder":
        return text
    if not late:
        return f"Reminder: {text}"
    also = f", and {missed - 1} more time{'s' if missed > 2 else ''} since" if missed > 1 else ""
    return f"Reminder (late — it was due {due:%a %d %b at %H:%M}{also}): {text}"


def _deliver(
    store: Store,
    firing_id: int,
    reminder_id: int,
    kind: str,
    text: str,
    due: datetime,
    late: bool,
    notify: Notifier,
    conversation_id: int | None = None,
) -> int:
    return deliver(
        store,
        text,
        kind,
        due_at=due.isoformat(),
        late=late,
        meta={"reminder_id": reminder_id, "firing_id": firing_id},
        notify=notify,
        conversation_id=conversation_id,
    ).message_id


def _sent_message(store: Store, firing_id: int) -> int | None:
    """The message that carries this firing's id, if it was stored (in the outbox, or in the
    conversation where the reminder was set)."""
    # Portable SQL has no JSON functions: LIKE narrows to messages whose meta mentions this
    # id (also 12 for 1, "firing_id": 12), and the parsed meta decides.
    found = store.query(
        "SELECT id, meta FROM messages WHERE user_id = ? AND role = 'assistant' "
        "AND meta LIKE ? ORDER BY id",
        (store.user_id, f'%"firing_id": {int(firing_id)}%'),
    )
    for row in found:
        try:
            meta = json.loads(row[1] or "{}")
        except ValueError:
            continue
        if isinstance(meta, dict) and meta.get("firing_id") == firing_id:
            return int(row[0])
    return None


def _confirm(store: Store, firing_id: int, now_ts: int, message_id: int | None = None) -> None:
    if message_id is None:
        message_id = _sent_message(store, firing_id)
    with store.transaction() as db:
        db.execute(
            "UPDATE reminder_firings SET state = 'delivered', delivered_ts = ?, message_id = ? "
            "WHERE id = ? AND user_id = ?",
            (now_ts, message_id, firing_id, store.user_id),
        )


def recover(
    store: Store,
    firing_id: int,
    now: datetime,
    rules: FiringRules,
    lease: timedelta,
    *,
    notify: Notifier = notifier,
) -> bool:
    """Finish a firing a crash left claimed; True if it had to be delivered now."""
    now_ts = epoch(now)
    with store.transaction() as db:
        row = db.execute(
            "SELECT * FROM reminder_firings WHERE id = ? AND user_id = ? AND state = 'claimed' "
            "AND claimed_ts <= ?",
            (firing_id, store.user_id, now_ts - int(lease.total_seconds())),
        ).fetchone()
        if row is None:
            return False
        # Take the lease again, so a second recovering scheduler leaves this one alone.
        db.execute("UPDATE reminder_firings SET claimed_ts = ? WHERE id = ?", (now_ts, firing_id))
    sent = _sent_message(store, firing_id)
    if sent is not None:  # it was stored before the crash: only the bookkeeping was lost
        _confirm(store, firing_id, now_ts, sent)
        return False
    reminder = store.query(
        "SELECT tz, conversation_id FROM reminders WHERE id = ? AND user_id = ?",
        (row["reminder_id"], store.user_id),
    )
    tz = zone(reminder[0]["tz"]) if reminder else zone("UTC")
    conversation_id = reminder[0]["conversation_id"] if reminder else None
    due = from_epoch(row["occurrence_ts"], tz)
    late = now_ts - row["occurrence_ts"] > rules.late_after.total_seconds()
    text = row["text"]
    if late and not row["late"]:
        text = compose(row["kind"], _strip_prefix(text), due, True)
    message_id = _deliver(
        store, firing_id, row["reminder_id"], row["kind"], text, due, late, notify, conversation_id
    )
    _confirm(store, firing_id, now_ts, message_id)
    log.info("delivered reminder %s after a crash", row["reminder_id"])
    return True


def _strip_prefix(text: str) -> str:
    return text.removeprefix("Reminder: ")
