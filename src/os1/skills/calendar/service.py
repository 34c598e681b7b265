"""The user's calendars as one: read across all of them, find an event by its words, and
write to the one an event lives in (or the default one for new events)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

import icalendar

from os1.skills.base import SkillContext, ToolError
from os1.skills.calendar.events import LOCAL, CalendarEvent, expand, merge, parse_ics, split_by_uid
from os1.skills.calendar.local import MIGRATIONS, LocalCalendar
from os1.skills.calendar.remote import CalDAVCalendar, load_config
from os1.skills.calendar.when import user_zone

log = logging.getLogger(__name__)

# How far around "now" an event named only by its words is looked for.
FIND_BEHIND = timedelta(days=1)
FIND_AHEAD = timedelta(days=120)


class CalendarSource(Protocol):
    name: str

    def entries_between(self, start: datetime, end: datetime) -> list[icalendar.Calendar]: ...
    def all_entries(self) -> list[icalendar.Calendar]: ...
    def get(self, uid: str) -> icalendar.Calendar: ...
    def put(self, uid: str, cal: icalendar.Calendar) -> None: ...
    def delete(self, uid: str) -> None: ...


@dataclass
class Calendars:
    """Every calendar of one user: the local one and one per CalDAV account."""

    ctx: SkillContext
    zone: tzinfo
    sources: dict[str, CalendarSource]
    default: str
    problems: list[str] = field(default_factory=list)

    def source(self, name: str) -> CalendarSource:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources))
            raise ToolError(
                f"there is no calendar called {name!r}", hint=f"Calendars: {known}."
            ) from None

    def events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Occurrences overlapping [start, end) in every calendar that answers; a calendar
        that can't be reached is noted in `problems` rather than hiding the others."""
        found: list[CalendarEvent] = []
        self.problems = []
        for name, source in self.sources.items():
            try:
                entries = source.entries_between(start, end)
            except ToolError as exc:
                log.warning("calendar %s skipped: %s", name, exc.message)
                self.problems.append(exc.message)
                continue
            for entry in entries:
                try:
                    found.extend(expand(entry, start, end, name, self.zone))
                except ToolError as exc:  # one unreadable event must not hide the rest
                    log.warning("calendar %s: event skipped: %s", name, exc.message)
                    self.problems.append(exc.message)
        found.sort(key=lambda e: (e.start, e.end, e.summary))
        return found

    def find(
        self, words: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[CalendarEvent]:
        """Events whose title (or place) holds every word of `words`, soonest first."""
        now = self.ctx.now().astimezone(self.zone)
        start = start or now - FIND_BEHIND
        end = end or now + FIND_AHEAD
        wanted = _words(words)
        hits = [e for e in self.events(start, end) if wanted <= _words(e.summary, e.location)]
        upcoming = [e for e in hits if e.end > now]
        return upcoming or hits


_FILLER = frozenset({"the", "a", "an", "my", "our", "with", "at", "on", "in", "to", "event"})


def _words(*texts: str | None) -> set[str]:
    joined = " ".join(t for t in texts if t)
    return {w for w in re.findall(r"\w+", joined.lower()) if w not in _FILLER}


def open_calendars(ctx: SkillContext) -> Calendars:
    """The user's calendars, the local table migrated (so CLI commands work without a
    companion)."""
    ctx.store.migrate_component("skill:calendar", MIGRATIONS)
    config = load_config(ctx.settings.calendar)
    zone = user_zone(ctx.settings, ctx.store)
    sources: dict[str, CalendarSource] = {LOCAL: LocalCalendar(ctx, LOCAL, zone)}
    for name, account in config.accounts.items():
        sources[name] = CalDAVCalendar(name, account, zone)
    if config.default not in sources:
        raise ToolError(
            f"the default calendar {config.default!r} is not configured",
            hint=f"Set [calendar] default to one of: {', '.join(sorted(sources))}.",
        )
    return Calendars(ctx, zone, sources, config.default)


def upcoming_events(ctx: SkillContext, start: datetime, end: datetime) -> list[CalendarEvent]:
    """Every event occurrence overlapping [start, end), across all calendars, soonest first.

    Repeating events come as one item per occurrence; times are in the user's zone.
    """
    return open_calendars(ctx).events(start, end)


def import_ics(ctx: SkillContext, data: str | bytes, source: str, calendar: str = LOCAL) -> int:
    """Store every event of an iCalendar file (all or nothing for the local calendar);
    an event already there (same UID) is replaced, so importing twice adds nothing."""
    cals = open_calendars(ctx)
    target = cals.source(calendar)
    entries = list(split_by_uid(parse_ics(data, source)).items())
    if isinstance(target, LocalCalendar):
        target.put_many(entries)
    else:
        for uid, entry in entries:
            target.put(uid, entry)
    return len(entries)


def export_ics(ctx: SkillContext, calendar: str = LOCAL) -> bytes:
    """One calendar as an iCalendar file."""
    cals = open_calendars(ctx)
    return bytes(merge(cals.source(calendar).all_entries()).to_ical())
