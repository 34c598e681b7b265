"""The user's zone is decided once: the calendar and the reminders cannot disagree any more."""

from __future__ import annotations

from typing import Any

import pytest

from os1.config import Settings
from os1.errors import ConfigError
from os1.skills.calendar.when import user_zone as calendar_zone
from os1.skills.reminders.policy import zone, zone_name
from os1.time.zone import user_zone


class Profile:
    def __init__(self, **values: Any) -> None:
        self.values = values

    def profile_value(self, key: str) -> Any:
        return self.values.get(key)


def test_the_zone_the_user_chose_wins_over_the_config_for_every_skill() -> None:
    settings = Settings(model="scripted:echo", timezone="Europe/Berlin")
    chosen = Profile(timezone="Asia/Tokyo")
    # The calendar used to read only the config: a plan an hour (here eight) off a reminder.
    assert str(calendar_zone(settings, chosen)) == "Asia/Tokyo"
    assert zone_name(chosen, settings) == "Asia/Tokyo"  # type: ignore[arg-type]
    assert str(user_zone(settings, Profile())) == "Europe/Berlin"


def test_without_any_choice_both_use_the_systems_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    settings = Settings(model="scripted:echo", timezone=None)
    assert str(calendar_zone(settings)) == "America/New_York"
    assert zone_name(Profile(), settings) == "America/New_York"  # type: ignore[arg-type]


def test_a_bad_zone_name_is_a_clear_error_with_a_hint() -> None:
    with pytest.raises(ConfigError) as err:
        zone("Mars/Olympus")
    assert "IANA" in err.value.hint
