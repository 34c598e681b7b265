"""Hands-free conversation in the web app, in chromium: the fake microphone plays a WAV in which
the user speaks, waits for the answer, then talks over it.

The server runs the fake speech-to-text engine (it hears "hello there"), the tone voice and the
energy VAD; a scripted model writes a long reply slowly, as the embedded one does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from os1.voice.audio import write_wav
from tests.server.web.conftest import (
    BROWSER_ARGS,
    CHROMIUM,
    DESKTOP,
    RunningServer,
    login,
    open_page,
    run_server,
    web_settings,
)

LONG_REPLY = (
    "That sounds like a heavy day. I am glad you told me about it. "
    "Do you want to talk about what happened at work? "
    "Or we could talk about something else entirely. "
    "Either way, I am here with you for as long as you like. "
    "Some days are like that, and they pass. Tell me whatever you want, in any order."
)  # ~4 s of voice: the talking over it (at 4.5 s of the caller's loop) lands inside it


@pytest.fixture(scope="module")
def caller_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """0.5 s quiet, 1.5 s of 'speech', 2.5 s quiet (the reply starts), 1.5 s of speech over
    it, then quiet; chromium loops the file."""
    rate = 16_000
    rng = np.random.default_rng(1)

    def speech(seconds: float) -> np.ndarray:
        t = np.arange(int(seconds * rate)) / rate
        return 0.3 * np.sin(2 * np.pi * 180 * t) + rng.normal(0, 0.05, len(t))

    def quiet(seconds: float) -> np.ndarray:
        return np.zeros(int(seconds * rate))

    signal = np.concatenate([quiet(0.5), speech(1.5), quiet(2.5), speech(1.5), quiet(6.0)])
    path = tmp_path_factory.mktemp("caller") / "caller.wav"
    write_wav(path, (signal * 32767).astype(np.int16), rate)
    return path


@pytest.fixture(scope="module")
def browser(caller_wav: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*BROWSER_ARGS, f"--use-file-for-fake-audio-capture={caller_wav}"],
        )
        yield launched
        launched.close()


@pytest.fixture
def server(home: Path, tmp_path: Path) -> Iterator[RunningServer]:
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"replies": [LONG_REPLY, "Go on."], "delay": 0.05}))
    yield from run_server(home, web_settings(model=f"scripted:{script}"))


@pytest.fixture
def page(browser: Browser, server: RunningServer) -> Iterator[Page]:
    yield from open_page(browser, server, DESKTOP)


def test_a_hands_free_conversation_answers_and_stops_when_talked_over(
    page: Page, server: RunningServer
) -> None:
    login(page)
    call = page.get_by_role("button", name="Conversation", exact=True)
    call.click()
    expect(call).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#voice-status")).to_contain_text("Conversation on")
    thread = page.locator("#thread")
    expect(thread.locator(".msg.user").first).to_contain_text("hello there")
    # The caller talks over the reply: it stops, and only what was sent to be heard is kept.
    page.wait_for_function("() => document.querySelectorAll('#thread .msg.assistant').length >= 1")
    deadline_ms = 15_000
    page.wait_for_timeout(500)
    for _ in range(deadline_ms // 250):
        store = server.user_store()
        conv = store.latest_conversation()
        stored = [m for m in store.messages(conv.id) if m.role == "assistant"] if conv else []
        store.close()
        if stored and stored[0].status == "interrupted":
            break
        page.wait_for_timeout(250)
    assert stored and stored[0].status == "interrupted", stored
    assert stored[0].content and len(stored[0].content) < len(LONG_REPLY)
    assert LONG_REPLY.startswith(stored[0].content.rstrip("…").rsplit(" ", 1)[0])
    call.click()  # hang up
    expect(call).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="Hold to talk")).to_be_enabled()
