"""When the companion may speak first: the [reminders] and [proactive] config, per-user
overrides kept in the profile (visible and editable with `os1 reminders policy`), the user's
time zone, and quiet hours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from os1.config import Settings
from os1.errors import ConfigError
from os1.skills.reminders.parse import DayHours, localize
from os1.storage.base import Store
from os1.time.zone import PROFILE_KEY as ZONE_PROFILE_KEY
from os1.time.zone import zone as zone
from os1.time.zone import zone_name as _zone_name

ProactiveKind = Literal["checkin", "followup", "event_nudge"]
PROACTIVE_KINDS: tuple[ProactiveKind, ...] = ("checkin", "followup", "event_nudge")
# The user's own overrides of [proactive], kept with their profile.
PROFILE_KEY = "proactive_policy"
TIMEZONE_KEY = ZONE_PROFILE_KEY

_QUIET = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


class RemindersConfig(BaseModel):
    """[reminders]: the hours vague times stand for, and how the scheduler runs."""

    model_config = ConfigDict(extra="forbid")

    default_time: time = Field(time(9, 0), description="A day without a time means this")
    morning: time = time(9, 0)
    afternoon: time = time(14, 0)
    evening: time = time(18, 0)
    night: time = time(21, 0)
    late_after_minutes: float = Field(
        5, ge=0, description="A reminder delivered later than this is marked late"
    )
    tick_seconds: float = Field(10, gt=0, le=3600, description="How often the scheduler looks")
    date_order: Literal["DMY", "MDY", "YMD"] = Field("DMY", description="How 03/04 is read")

    @property
    def hours(self) -> DayHours:
        return DayHours(self.default_time, self.morning, self.afternoon, self.evening, self.night)


class ProactivePolicy(BaseModel):
    """[proactive]: when the companion may start a conversation by itself."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Any proactive message at all")
    kinds: list[ProactiveKind] = Field(
        default_factory=lambda: list(PROACTIVE_KINDS),
        description="Which kinds are on: checkin, followup, event_nudge",
    )
    quiet_hours: str | None = Field(
        "22:00-08:00",
        description="HH:MM-HH:MM local; proactive messages wait until it ends ('off' for none)",
    )
    max_per_day: int = Field(3, ge=0, le=100, description="Proactive messages a day, at most")
    nudge_minutes: int = Field(15, ge=1, le=1440, description="Nudge this long before an event")
    checkin_time: time = Field(time(18, 0), description="When to check in the day after")
    followup_hours: float = Field(
        3, ge=0, le=72, description="Ask how it went this long after a planned thing"
    )
    stale_after_hours: float = Field(
        36, gt=0, description="A proactive message this overdue is dropped, not sent"
    )
    hold_late_reminders: bool = Field(
        True, description="A reminder missed while OS1 was off waits out quiet hours"
    )

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off")):
            return None
        if not isinstance(value, str) or not _QUIET.match(value):
            raise ValueError("quiet_hours must look like 22:00-08:00 (or 'off')")
        return value.strip().replace(" ", "")

    @field_validator("kinds", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip() and k.strip() != "none"]
        return value

    def allows(self, kind: str) -> bool:
        return self.enabled and kind in self.kinds

    def quiet_until(self, now: datetime, tz: tzinfo) -> datetime | None:
        """When the quiet hours `now` falls in end (aware); None outside quiet hours."""
        if not self.quiet_hours:
            return None
        m = _QUIET.match(self.quiet_hours)
        assert m is not None  # validated
        start = time(int(m[1]), int(m[2]))
        end = time(int(m[3]), int(m[4]))
        local = now.astimezone(tz)
        wall = local.time().replace(tzinfo=None)
        if start == end:
            return None
        inside = (start <= wall < end) if start < end else (wall >= start or wall < end)
        if not inside:
            return None
        day = local.date() if wall < end else local.date() + timedelta(days=1)
        return localize(datetime.combine(day, end), tz)


def reminders_config(settings: Settings) -> RemindersConfig:
    try:
        return RemindersConfig.model_validate(settings.reminders)
    except ValidationError as exc:
        raise ConfigError(f"bad [reminders] setting: {_first(exc)}") from None


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "value"
    return f"{where}: {err['msg']}"


def policy_layers(store: Store, settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The [proactive] config and this user's own overrides, as stored."""
    own = store.profile_value(PROFILE_KEY)
    return dict(settings.proactive), dict(own) if isinstance(own, dict) else {}


def effective_policy(store: Store, settings: Settings) -> ProactivePolicy:
    """Defaults, then [proactive] from the config, then the user's own choices."""
    config, own = policy_layers(store, settings)
    try:
        return ProactivePolicy.model_validate({**config, **own})
    except ValidationError as exc:
        raise ConfigError(
            f"bad proactive policy: {_first(exc)}",
            hint="See `os1 reminders policy`; fix [proactive] in the config or reset it.",
        ) from None


def set_policy(store: Store, settings: Settings, key: str, value: str | None) -> ProactivePolicy:
    """Change (or with None, reset) one of this user's policy values, checked before saving."""
    if key not in ProactivePolicy.model_fields:
        known = ", ".join(ProactivePolicy.model_fields)
        raise ConfigError(f"no policy setting {key!r}", hint=f"Known: {known}")
    config, own = policy_layers(store, settings)
    if value is None:
        own.pop(key, None)
    else:
        own[key] = value
    try:
        checked = ProactivePolicy.model_validate({**config, **own})
    except ValidationError as exc:
        raise ConfigError(
            f"bad value for {key}: {exc.errors()[0]['msg']}",
            hint="`os1 reminders policy` shows every setting and what it means.",
        ) from None
    if value is not None:
        # Keep the typed value (a list of kinds, a number), not the string typed.
        own[key] = checked.model_dump(mode="json")[key]
    if own:
        store.set_profile(PROFILE_KEY, own)
    else:
        store.delete_profile(PROFILE_KEY)
    return checked


def zone_name(store: Store, settings: Settings) -> str:
    """The user's IANA zone, decided once for every skill in `os1.time.zone`."""
    return _zone_name(settings, store)


def start_of_next_day(now: datetime, tz: tzinfo) -> datetime:
    local = now.astimezone(tz)
    return localize(datetime.combine(local.date() + timedelta(days=1), time(0)), tz)


def start_of_day(now: datetime, tz: tzinfo) -> datetime:
    return localize(datetime.combine(now.astimezone(tz).date(), time(0)), tz)


def epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def from_epoch(seconds: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).astimezone(tz)
