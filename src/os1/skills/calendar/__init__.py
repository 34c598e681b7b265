"""The calendar skill: local iCalendar calendars and CalDAV accounts, read at once, changed
only after the user confirms.

`upcoming_events(ctx, start, end)` is the read API other skills use (reminders nudge before
events with it).
"""

from os1.skills.base import Toolkit
from os1.skills.calendar.events import CalendarEvent
from os1.skills.calendar.intents import (
    add_event,
    am_i_free,
    cancel_event,
    move_event,
    move_event_in_focus,
    whats_on,
)
from os1.skills.calendar.local import MIGRATIONS
from os1.skills.calendar.service import Calendars, open_calendars, upcoming_events
from os1.skills.calendar.tools import TOOLS

__all__ = ["CalendarEvent", "Calendars", "open_calendars", "toolkit", "upcoming_events"]

toolkit = Toolkit(
    name="calendar",
    tools=list(TOOLS),
    intents=[whats_on, am_i_free, add_event, move_event, move_event_in_focus, cancel_event],
    migrations=MIGRATIONS,
)
