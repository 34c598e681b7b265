"""The user's time zone, decided in one place for reminders, the calendar and the inner life.

Before this there were two answers: the calendar read only the config and /etc/localtime, the
reminders also the zone the user set in conversation ("I'm in Tokyo now"), so a plan and a
reminder for "Friday at 9" could land an hour apart. Now both ask `zone_name`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from os1.errors import ConfigError

if TYPE_CHECKING:
    from os1.config import Settings

__all__ = ["PROFILE_KEY", "Profiled", "system_zone_name", "user_zone", "zone", "zone_name"]

PROFILE_KEY = "timezone"  # where the zone the user chose lives in their profile


class Profiled(Protocol):
    """What the zone is read from: a store, or anything with its profile."""

    def profile_value(self, key: str) -> Any: ...


def zone(name: str) -> ZoneInfo:
    """An IANA zone by name, or a clear error naming the bad value."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r}",
            hint="Use an IANA name such as Europe/London: `os1 config set timezone Europe/London`.",
        ) from None


def system_zone_name() -> str:
    """The machine's IANA zone ($TZ, then /etc/localtime, as tzlocal reads them), else UTC."""
    # $TZ first, read now: tzlocal caches the first answer for the process, and a server's
    # environment (or a test's) may set TZ after that.
    env = os.environ.get("TZ", "").removeprefix(":")
    if env:
        try:
            ZoneInfo(env)
            return env
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a POSIX rule such as "EST5EDT,M3.2.0,M11.1.0": tzlocal knows those
    try:
        import tzlocal

        return str(tzlocal.get_localzone_name() or "UTC")
    except Exception:  # noqa: BLE001 - no zone configured on this system at all
        return "UTC"


def zone_name(settings: Settings, store: Profiled | None = None) -> str:
    """The user's IANA zone: their profile, then `timezone` in the config, then the system's."""
    chosen = (store.profile_value(PROFILE_KEY) if store is not None else None) or settings.timezone
    if chosen:
        zone(str(chosen))  # fail early and clearly on a typo
        return str(chosen)
    return system_zone_name()


def user_zone(settings: Settings, store: Profiled | None = None) -> ZoneInfo:
    """The user's zone as a tzinfo (see `zone_name` for the order of sources)."""
    return zone(zone_name(settings, store))
