"""Reminder times in plain words: the reader lives in `os1.time.future`, shared with the calendar.

`When` is the reminders' name for a due moment (`os1.time.future.Due`); the names here stay for
the reminder book, scheduler and tools that import them.
"""

from os1.time.future import (
    DayHours,
    ParsedReminder,
    localize,
    next_occurrence,
    parse_reminder,
)
from os1.time.future import Due as When
from os1.time.future import parse_due as parse_when

__all__ = [
    "DayHours",
    "ParsedReminder",
    "When",
    "localize",
    "next_occurrence",
    "parse_reminder",
    "parse_when",
]
