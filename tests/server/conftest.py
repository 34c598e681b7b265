"""Fixtures for the server: apps on a throw-away home, a real uvicorn on a free loopback port,
two users with their own logins and tokens, and a small skill with a side effect."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from os1.config import Settings
from os1.models.base import ChatModel
from os1.server import create_app
from os1.skills import PlannedCall, SkillContext, Skills, Toolkit, intent, tool
from tests.helpers import free_port

WATERED: list[str] = []
GATE = threading.Event()  # a read-only tool waits on it: a turn that blocks its worker


@tool(side_effect=True, confirm="water the {plant}")
def water(ctx: SkillContext, plant: str) -> str:
    """Water a plant.

    Args:
        plant: which plant
    """
    WATERED.append(f"{ctx.user_id}:{plant}")
    return f"Watered the {plant}."


@tool
def wait_for_gate(ctx: SkillContext) -> str:
    """Block until the test opens the gate (stands in for slow, blocking work)."""
    GATE.wait(timeout=30)
    return "The gate opened."


@intent("water")
def water_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if text.lower().startswith("water the "):
        return [PlannedCall("water", {"plant": text[10:].strip(" .")})]
    return None


@intent("gate")
def gate_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    return [PlannedCall("wait_for_gate", {})] if text == "wait for the gate" else None


GARDEN = Toolkit("garden", tools=[water, wait_for_gate], intents=[water_intent, gate_intent])


@pytest.fixture(autouse=True)
def reset_garden() -> Iterator[None]:
    WATERED.clear()
    GATE.clear()
    yield
    GATE.set()  # never leave a worker thread waiting


def server_settings(**server: Any) -> Settings:
    return Settings(
        model="scripted:echo",
        embedder="hashing",
        max_reply_tokens=64,
        stt="fake",
        tts="tone",
        vad="energy",
        server={"turn_threads": 4, "consolidate_after": 0.0, **server},
    )


def make_app(
    home: Path, *, host: str = "127.0.0.1", model: ChatModel | None = None, **server: Any
) -> FastAPI:
    return create_app(
        home, server_settings(**server), host=host, model=model, skills=Skills([GARDEN])
    )


def local_client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    """Single-user mode: the server listens on 127.0.0.1, nobody logs in."""
    with local_client(make_app(home)) as c:
        yield c


@dataclass
class Account:
    username: str
    password: str
    token: str
    user_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_account(app: FastAPI, username: str) -> Account:
    users = app.state.os1.users
    password = f"{username}-correct-horse"
    user = users.add(username, password)
    _, token = users.create_token(username)
    return Account(username, password, token, user.id)


@dataclass
class Multi:
    app: FastAPI
    client: TestClient
    alice: Account
    bob: Account


@pytest.fixture
def multi(home: Path) -> Iterator[Multi]:
    """Login required (as when listening beyond loopback), with two users."""
    app = make_app(home, single_user=False)
    alice, bob = add_account(app, "alice"), add_account(app, "bob")
    with local_client(app) as c:
        yield Multi(app, c, alice, bob)


@dataclass
class Live:
    url: str
    app: FastAPI


def run_live(app: FastAPI) -> Iterator[Live]:
    port = free_port()
    from os1.interfaces.cli_server import UVICORN_OPTIONS  # as `os1 serve` runs it

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", **UVICORN_OPTIONS
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
