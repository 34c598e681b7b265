"""Shared fixtures. Tests never reach a network; the scripted model stands in for a model
except where a test drives the real llama.cpp runtime (marked real_model)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from os1.config import Settings
from os1.models.base import ChatModel
from os1.storage import SQLiteStore

if TYPE_CHECKING:
    from os1.mind.companion import Companion


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own OS1 home or settings."""
    for key in list(os.environ):
        if key.startswith("OS1_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(home / "os1.db")
    yield s
    s.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(model="scripted:echo", max_reply_tokens=64)


def make_companion(store: SQLiteStore, model: ChatModel, settings: Settings) -> Companion:
    from os1.mind.companion import Companion

    return Companion(store, model, settings, today=lambda: date(2026, 11, 29))


async def collect(events):  # type: ignore[no-untyped-def]
    return [e async for e in events]
