"""Fixtures for the letters skill: a user's skill context with a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.config import Settings
from os1.models.base import ChatModel
from os1.skills.base import SkillContext
from os1.skills.letters.service import Letters
from os1.storage import SQLiteStore

NOW = datetime(2026, 11, 29, 18, 30, tzinfo=UTC)

MakeLetters = Callable[..., Letters]


@pytest.fixture
def make_letters(store: SQLiteStore, home: Path) -> MakeLetters:
    """The skill for the test user; pass a model and a [letters] section to change it."""

    def make(chat_model: ChatModel | None = None, /, **letters: object) -> Letters:
        settings = Settings(model="scripted:echo", letters=dict(letters))
        ctx = SkillContext(
            store=store, settings=settings, home=home, model=chat_model, clock=lambda: NOW
        )
        return Letters(ctx)

    return make


@pytest.fixture
def letters(make_letters: MakeLetters) -> Letters:
    return make_letters()
