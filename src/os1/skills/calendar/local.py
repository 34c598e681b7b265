"""Local calendars: iCalendar entries kept in the user's database, one row per event UID."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import icalendar

from os1.errors import NotFound
from os1.skills.base import SkillContext
from os1.skills.calendar.events import bounds, parse_ics
from os1.skills.calendar.when import utc_stamp

# Portable as it is (text and a composite key): both backends run the same steps.
MIGRATIONS = [
    """
    CREATE TABLE calendar_events (
        user_id TEXT NOT NULL,
        calendar TEXT NOT NULL,
        uid TEXT NOT NULL,
        ics TEXT NOT NULL,
        first_start TEXT NOT NULL,  -- UTC, a day early: a cheap filter before expanding
        last_end TEXT,              -- UTC, a day late; NULL for a series without end
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, calendar, uid)
    );
    CREATE INDEX calendar_events_by_time ON calendar_events(user_id, calendar, first_start)
    """
]


class LocalCalendar:
    """One named calendar of one user, in the user's database."""

    writable = True

    def __init__(self, ctx: SkillContext, name: str, zone: tzinfo) -> None:
        self.db = ctx.store
        self.user_id = ctx.user_id
        self.name = name
        self.zone = zone

    def entries_between(self, start: datetime, end: datetime) -> list[icalendar.Calendar]:
        rows = self.db.query(
            "SELECT uid, ics FROM calendar_events WHERE user_id = ? AND calendar = ? "
            "AND first_start < ? AND (last_end IS NULL OR last_end > ?) ORDER BY first_start",
            (self.user_id, self.name, utc_stamp(end), utc_stamp(start)),
        )
        return [parse_ics(r[1], f"stored event {r[0]}") for r in rows]

    def all_entries(self) -> list[icalendar.Calendar]:
        rows = self.db.query(
            "SELECT uid, ics FROM calendar_events WHERE user_id = ? AND calendar = ? "
            "ORDER BY first_start",
            (self.user_id, self.name),
        )
        return [parse_ics(r[1], f"stored event {r[0]}") for r in rows]

    def get(self, uid: str) -> icalendar.Calendar:
        rows = self.db.query(
            "SELECT ics FROM calendar_events WHERE user_id = ? AND calendar = ? AND uid = ?",
            (self.user_id, self.name, uid),
        )
        if not rows:
            raise NotFound(f"no event {uid!r} in calendar {self.name!r}")
        return parse_ics(rows[0][0], f"stored event {uid}")

    def put(self, uid: str, cal: icalendar.Calendar) -> None:
        self.put_many([(uid, cal)])

    def put_many(self, entries: list[tuple[str, icalendar.Calendar]]) -> None:
        """Create or replace entries, all in one transaction."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        rows = []
        for uid, cal in entries:
            first, last = bounds(cal, self.zone)
            rows.append(
                (
                    self.user_id, self.name, uid, cal.to_ical().decode("utf-8"),
                    utc_stamp(first), utc_stamp(last) if last else None, stamp,
                )
            )  # fmt: skip
        with self.db.transaction() as db:
            db.executemany(
                "INSERT INTO calendar_events (user_id, calendar, uid, ics, first_start, last_end,"
                " updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (user_id, calendar, uid) DO "
                "UPDATE SET ics = excluded.ics, first_start = excluded.first_start, "
                "last_end = excluded.last_end, updated_at = excluded.updated_at",
                rows,
            )

    def delete(self, uid: str) -> None:
        with self.db.transaction() as db:
            db.execute(
                "DELETE FROM calendar_events WHERE user_id = ? AND calendar = ? AND uid = ?",
                (self.user_id, self.name, uid),
            )
