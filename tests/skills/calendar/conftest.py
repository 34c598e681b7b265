"""Calendar fixtures: a fixed clock in a zone with DST, a skill context, a real Radicale."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from os1.config import Settings
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.skills import SkillContext, Skills
from os1.skills.calendar import toolkit
from os1.storage import SQLiteStore
from tests.helpers import free_port

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 30 November 2026, 10:00 in Berlin.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def cal_settings() -> Settings:
    return Settings(model="scripted:echo", timezone="Europe/Berlin")


@pytest.fixture
def make_ctx(store: SQLiteStore, home: Path, cal_settings: Settings) -> Callable[..., SkillContext]:
    def make(
        settings: Settings | None = None,
        now: datetime = NOW,
        user_store: SQLiteStore | None = None,
    ) -> SkillContext:
        return SkillContext(
            store=user_store or store,
            settings=settings or cal_settings,
            home=home,
            clock=lambda: now,
        )

    return make


@pytest.fixture
def ctx(make_ctx: Callable[..., SkillContext]) -> SkillContext:
    return make_ctx()


def make_companion(ctx: SkillContext) -> Companion:
    return Companion(
        ctx.store,
        ScriptedModel("echo"),
        ctx.settings,
        skills=Skills([toolkit]),
        skill_context=ctx,
    )


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real CalDAV server on 127.0.0.1 with user amy (password 'sesame-4242'); its URL."""
    root = tmp_path_factory.mktemp("radicale")
    port = free_port()
    (root / "users").write_text("amy:sesame-4242\n")
    (root / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {root / 'users'}\n"
        "htpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {root / 'data'}\n"
        "[logging]\nlevel = warning\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(root / "config")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                raise RuntimeError("radicale did not start") from None
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    proc.communicate(timeout=10)  # also closes the stderr pipe


@pytest.fixture
def remote_calendar(radicale: str) -> Iterator[tuple[str, object]]:
    """A fresh, empty calendar on the server for one test: (its name, the caldav object)."""
    import uuid

    from caldav.davclient import DAVClient

    client = DAVClient(url=radicale, username="amy", password="sesame-4242", require_tls=False)
    name = f"work-{uuid.uuid4().hex[:8]}"
    made = client.principal().make_calendar(name=name, cal_id=name)
    yield name, made
    made.delete()
