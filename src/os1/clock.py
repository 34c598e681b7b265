"""The time OS1 believes it is: the real clock, or `OS1_NOW` (a setting too) for a whole process.

Tests and benchmarks set `OS1_NOW=2026-03-06T09:00` to live on a given day; code that needs
"now" for the inner life (threads, anniversaries, moods) asks `clock.now()`.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from os1.errors import ConfigError

if TYPE_CHECKING:
    from os1.config import Settings

ENV = "OS1_NOW"


def now(settings: Settings | None = None, tz: tzinfo | None = None) -> datetime:
    """An aware datetime: `OS1_NOW` from the environment, else the `now` setting, else the
    real clock. A fixed time without an offset is read in `tz` (default: the system's)."""
    raw = os.environ.get(ENV) or (getattr(settings, "now", None) if settings else None)
    if not raw:
        return datetime.now(tz).astimezone(tz)
    try:
        fixed = datetime.fromisoformat(str(raw))
    except ValueError:
        raise ConfigError(
            f"{ENV} is not an ISO date and time: {raw!r}",
            hint="Use e.g. OS1_NOW=2026-03-06T09:00 or 2026-03-06T09:00+01:00.",
        ) from None
    if fixed.tzinfo is None:
        fixed = fixed.replace(tzinfo=tz) if tz is not None else fixed.astimezone()
    return fixed.astimezone(tz)
