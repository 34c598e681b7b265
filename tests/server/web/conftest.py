"""Fixtures for the web app's end-to-end tests: the real OS1 server on a loopback port (in a
thread, so a test can deliver notifications in-process) and Debian's chromium via Playwright.

The server runs the scripted echo model, the fake speech-to-text engine (it hears
OS1_FAKE_TRANSCRIPT, default "hello there"), the tone TTS and a small test toolkit with one
side-effect tool, so every test is deterministic and offline.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from os1.config import Settings
from os1.memory.store import MemoryKind, MemoryStore, NewMemory
from os1.server import create_app
from os1.skills import Skills
from os1.skills.base import PlannedCall, SkillContext, Toolkit, intent, tool
from os1.storage.sqlite import DB_FILE, SQLiteStore

USERNAME = "ana"
PASSWORD = "warm-evening-42"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A fake microphone that "speaks" a WAV file, so push-to-talk runs for real headless.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
# The test machine is small and shared: wait patiently for what the page should show.
expect.set_options(timeout=15_000)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# ---------- a side-effect tool for confirmation tests ----------

SENT_POSTCARDS: list[str] = []  # what the tool really did; cleared for each test


@tool(side_effect=True, confirm="send a postcard to {to}")
def send_postcard(ctx: SkillContext, to: str) -> str:
    """Send a postcard.

    Args:
        to: Who gets the postcard.
    """
    SENT_POSTCARDS.append(to)
    return f"Postcard sent to {to}."


@intent("postcard")
def postcard_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    match = re.search(r"send a postcard to (\w+)", text, re.IGNORECASE)
    return [PlannedCall("send_postcard", {"to": match.group(1)})] if match else None


postcards = Toolkit("postcards", tools=[send_postcard], intents=[postcard_intent])

# ---------- the server ----------


@dataclass
class RunningServer:
    url: str
    home: Path
    user_id: str
    app: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def user_store(self) -> SQLiteStore:
        """The test user's data, opened like the server opens it (for seeding and checks)."""
        return SQLiteStore(self.home / DB_FILE, self.user_id)

    def remember(self, *memories: tuple[MemoryKind, str]) -> list[int]:
        """Store (kind, text) memories for the test user, as if learnt earlier."""
        store = self.user_store()
        try:
            added = MemoryStore(store).add_many(
                [
                    NewMemory(kind=kind, text=text, sources=("import:seed",))
                    for kind, text in memories
                ]
            )
        finally:
            store.close()
        return [i for i in added if i is not None]


def web_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "model": "scripted:echo",
        "embedder": "hashing",
        "stt": "fake",
        "tts": "tone",
        "vad": "energy",
        "server": {"single_user": False, "turn_threads": 4, "consolidate_after": 0.0},
    }
    values.update(overrides)
    return Settings(**values)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def run_server(home: Path, settings: Settings, *, account: bool = True) -> Iterator[RunningServer]:
    """Serve the real app on 127.0.0.1 in a thread until the generator is closed; with
    `account`, the test user can log in (and single-user mode is off)."""
    app = create_app(home, settings, host="127.0.0.1", skills=Skills([postcards]))
    user_id = app.state.os1.users.add(USERNAME, PASSWORD).id if account else "local"
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the OS1 server did not start")
        time.sleep(0.02)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", home, user_id, app)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def server_settings() -> Settings:
    """Override in a test module to run the server with other settings."""
    return web_settings()


@pytest.fixture
def server_account() -> bool:
    """Override to serve with no account (single-user mode)."""
    return True


@pytest.fixture
def server(home: Path, server_settings: Settings, server_account: bool) -> Iterator[RunningServer]:
    SENT_POSTCARDS.clear()
    yield from run_server(home, server_settings, account=server_account)


# ---------- the browser ----------


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few seconds of synthetic speech (espeak-ng), the fake microphone's input too."""
    espeak = shutil.which("espeak-ng")
    assert espeak, "espeak-ng is needed for the voice tests (apt-get install espeak-ng)"
    path = tmp_path_factory.mktemp("audio") / "hello.wav"
    subprocess.run(
        # US English at a calm pace: the voice whisper understands best among espeak's.
        [espeak, "-v", "en-us", "-s", "140", "-w", str(path), "Hello there. How was your day?"],
        check=True,
        timeout=60,
    )
    return path


# Package scope, not session: sync Playwright keeps an event loop running in the main thread
# until it stops, and every async test collected after this package needs that thread free.
@pytest.fixture(scope="package")
def browser(speech_wav: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*BROWSER_ARGS, f"--use-file-for-fake-audio-capture={speech_wav}"],
        )
        yield launched
        launched.close()


def open_page(browser: Browser, server: RunningServer, viewport: dict[str, int]) -> Iterator[Page]:
    """A fresh browser context on the server; fails the test on any uncaught script error."""
    context = browser.new_context(viewport=viewport, base_url=server.url)
    context.grant_permissions(["microphone"], origin=server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # What the Content-Security-Policy blocks fails silently in the page: only the console
    # tells, so a policy too strict for the app fails the test that meets it.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"script errors or blocked content in the page: {errors}"


@pytest.fixture
def page(browser: Browser, server: RunningServer) -> Iterator[Page]:
    yield from open_page(browser, server, DESKTOP)


@pytest.fixture
def phone(browser: Browser, server: RunningServer) -> Iterator[Page]:
    yield from open_page(browser, server, PHONE)


def login(page: Page, username: str = USERNAME, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the chat."""
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("log", name="Messages")).to_be_visible()


@pytest.fixture
def signed_in(page: Page) -> Page:
    login(page)
    return page


@pytest.fixture
def say(signed_in: Page) -> Callable[[str], None]:
    """Type a message and send it with Enter, as a user would."""

    def send(text: str) -> None:
        # As a user would, wait until the last reply is done: while one is still being
        # written, Enter leaves the words in the box (the page takes one turn at a time).
        expect(signed_in.locator("#send")).to_be_enabled()
        box = signed_in.get_by_label("Message", exact=True)
        box.fill(text)
        box.press("Enter")

    return send
