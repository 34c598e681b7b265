"""Dates and times in calendar requests: the reader lives in `os1.time.future` (shared with the
reminders), the zone in `os1.time.zone`. `When` is the calendar's name for a `Span`."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from os1.errors import ConfigError
from os1.skills.base import ToolError
from os1.time import zone as _zone
from os1.time.future import Span as When
from os1.time.future import parse_clock, parse_duration, parse_moment, strip_when, utc_stamp
from os1.time.future import parse_span as parse_when

if TYPE_CHECKING:
    from os1.config import Settings

__all__ = [
    "When",
    "parse_clock",
    "parse_duration",
    "parse_moment",
    "parse_when",
    "strip_when",
    "user_zone",
    "utc_stamp",
]


def user_zone(settings: Settings, store: _zone.Profiled | None = None) -> ZoneInfo:
    """The user's zone (`os1.time.zone`), a bad name reported as a tool error."""
    try:
        return _zone.user_zone(settings, store)
    except ConfigError as exc:
        raise ToolError(str(exc), hint=exc.hint) from None
