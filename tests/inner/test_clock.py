from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from os1 import clock
from os1.config import Settings
from os1.errors import ConfigError


def test_os1_now_fixes_the_time_for_the_whole_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_NOW", "2026-03-06T09:30+01:00")
    assert clock.now() == datetime(2026, 3, 6, 8, 30, tzinfo=UTC)


def test_a_time_without_offset_is_read_in_the_given_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_NOW", "2026-03-06T09:30")
    zone = timezone(timedelta(hours=-5))
    assert clock.now(tz=zone) == datetime(2026, 3, 6, 9, 30, tzinfo=zone)


def test_the_now_setting_works_like_the_variable() -> None:
    settings = Settings(now="2026-01-01T00:00+00:00")
    assert clock.now(settings) == datetime(2026, 1, 1, tzinfo=UTC)


def test_without_a_fixed_time_it_is_the_real_clock() -> None:
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_bad_fixed_time_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_NOW", "next tuesday")
    with pytest.raises(ConfigError, match="OS1_NOW"):
        clock.now()
