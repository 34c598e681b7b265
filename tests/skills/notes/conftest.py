from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from os1.config import Settings
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.skills import SkillContext
from os1.storage import SQLiteStore

NOW = datetime(2026, 11, 30, 10, 0).astimezone()


@pytest.fixture
def memory(store: SQLiteStore) -> LongTermMemory:
    return LongTermMemory(store, HashingEmbedder())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "my notes"
    path.mkdir()
    return path


@pytest.fixture
def ctx(store: SQLiteStore, home: Path, memory: LongTermMemory, folder: Path) -> SkillContext:
    settings = Settings(model="scripted:echo", notes={"folder": str(folder)})
    return SkillContext(store=store, settings=settings, home=home, memory=memory, clock=lambda: NOW)
