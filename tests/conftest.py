"""Shared fixtures. Tests never reach a network; the scripted model stands in for a model
except where a test drives the real llama.cpp runtime (marked real_model)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from os1.config import Settings
from os1.models.base import ChatModel
from os1.storage import SQLiteStore

if TYPE_CHECKING:
    from os1.mind.companion import Companion

# A throw-away PostgreSQL server for the store contract suite (fixture `postgres_url`).
pytest_plugins = ["tests.pg"]

# `make test` (and so CI) runs the "ci" profile: the same examples on every run and no example
# database carried between runs, so a checkout is green or red on its own. A plain `pytest`
# keeps exploring new examples ("dev"); a failure it finds becomes an @example in the test.
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


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


def pytest_configure(config: pytest.Config) -> None:
    # A test run started in the background by a non-interactive shell (`make test &`, some CI
    # runners) inherits SIGINT ignored, and so would every `os1` process the tests start: then
    # Python installs no KeyboardInterrupt handler and the Ctrl-C tests hang or see nothing.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_unconfigure(config: pytest.Config) -> None:
    """llama-cpp-python opens two /dev/null files at import and never closes them; closed here
    so the suite's last words are not a ResourceWarning about a library we do not own."""
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None:
            handle.close()
