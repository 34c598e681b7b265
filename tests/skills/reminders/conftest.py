"""A real database with several users, a controllable clock, and helpers to read what arrived."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from os1.config import Settings
from os1.mind.outbox import PROFILE_KEY, Notifier
from os1.skills.base import SkillContext
from os1.skills.reminders.book import Reminder, prepare
from os1.skills.reminders.scheduler import ReminderScheduler
from os1.skills.reminders.tools import create
from os1.storage.sqlite import SQLiteStore

LONDON_SETTINGS: dict[str, Any] = {
    "model": "scripted:echo",
    "timezone": "Europe/London",
    "proactive": {"quiet_hours": "22:00-08:00", "max_per_day": 3},
}


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment.astimezone(UTC)
        return self.now


class World:
    """One database file, its users' stores, and schedulers opened and closed on it."""

    def __init__(self, home: Path, settings: Settings) -> None:
        self.home = home
        self.path = home / "os1.db"
        self.settings = settings
        self.notifier = Notifier()
        self._stores: dict[str, SQLiteStore] = {}

    def store(self, user: str = "local") -> SQLiteStore:
        if user not in self._stores:
            self._stores[user] = prepare(SQLiteStore(self.path, user))
        return self._stores[user]

    def remind(self, words: str, at: datetime, user: str = "local") -> Reminder:
        ctx = SkillContext(
            store=self.store(user), settings=self.settings, home=self.home, clock=lambda: at
        )
        reminder, _ = create(ctx, words)
        return reminder

    def scheduler(self, clock: Clock) -> ReminderScheduler:
        return ReminderScheduler(
            self.path,
            settings=self.settings,
            home=self.home,
            clock=clock,
            notify=self.notifier,
        )

    def arrived(self, user: str = "local") -> list[dict[str, Any]]:
        """Every message the companion started for this user, oldest first."""
        store = self.store(user)
        conv = store.profile().get(PROFILE_KEY)
        if conv is None:
            return []
        return [
            {"text": m.content, **m.meta} for m in store.messages(conv) if m.role == "assistant"
        ]

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()


@pytest.fixture
def world(home: Path) -> Iterator[World]:
    w = World(home, Settings(**LONDON_SETTINGS))
    yield w
    w.close()


def make_world(home: Path, **overrides: Any) -> World:
    config = {**LONDON_SETTINGS, **overrides}
    return World(home, Settings(**config))
