"""What runs beside an open interface: the reminder scheduler and the notes watcher."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from os1.config import Settings
from os1.skills.base import SkillContext
from os1.skills.notes.index import NotesWatcher, notes_folder
from os1.skills.reminders.scheduler import ReminderScheduler
from os1.storage.base import Store

log = logging.getLogger(__name__)


class BackgroundServices:
    """Started by `os1 chat` and `os1 serve`, stopped when they end. The scheduler serves
    every user of the database; the notes folder is watched for the given context's user."""

    def __init__(
        self,
        stores: Callable[[str], Store],
        settings: Settings,
        home: Path,
        notes: SkillContext | None = None,
    ) -> None:
        self.scheduler = ReminderScheduler(stores, settings=settings, home=home, close_stores=True)
        self.notes = notes
        self.watcher: NotesWatcher | None = None

    def start(self) -> BackgroundServices:
        self.scheduler.start()
        # A notes folder the user never made is not watched (nothing to index).
        if self.notes is not None and notes_folder(self.notes).is_dir():
            self.watcher = NotesWatcher(self.notes).start()
        return self

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.scheduler.stop()

    def __enter__(self) -> BackgroundServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
