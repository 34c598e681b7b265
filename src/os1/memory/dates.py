"""Dates in memories: the past-range reader lives in `os1.time.past`; this name stays for the
memory code and mail skills that import it."""

from os1.time.past import (
    DISTANT_FUTURE,
    DISTANT_PAST,
    TimeRange,
    find_time_ranges,
    parse_session_datetime,
    strip_time_expressions,
)

__all__ = [
    "DISTANT_FUTURE",
    "DISTANT_PAST",
    "TimeRange",
    "find_time_ranges",
    "parse_session_datetime",
    "strip_time_expressions",
]
