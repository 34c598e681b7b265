"""Voice in the browser: an audio file or push-to-talk becomes a turn, the reply is spoken.

The server runs the fake speech-to-text engine (it hears "hello there") and the tone TTS;
chromium's fake microphone plays a WAV made with espeak-ng.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from os1.config import Settings
from tests.server.web.conftest import RunningServer, web_settings

HEARD = "hello there"


def expect_voice_turn(page: Page) -> None:
    thread = page.locator("#thread")
    expect(thread.locator(".msg.user").last).to_contain_text(HEARD)
    expect(thread.locator(".msg.user").last).to_contain_text("spoken")
    reply = thread.locator(".msg.assistant").last
    expect(reply).to_contain_text(f"You said: {HEARD}")
    expect(reply.get_by_label("Spoken reply")).to_be_attached()


def test_an_uploaded_audio_file_is_answered_in_words_and_sound(
    signed_in: Page, speech_wav: Path, server: RunningServer
) -> None:
    signed_in.get_by_label("Audio file to send").set_input_files(speech_wav)
    expect_voice_turn(signed_in)
    src = signed_in.get_by_label("Spoken reply").get_attribute("src")
    assert src
    audio = signed_in.request.get(src if src.startswith("http") else server.url + src)
    assert audio.ok
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.body()[:4] == b"RIFF"
    # The turn is a real one: it is in the conversation after a reload.
    signed_in.reload()
    expect(signed_in.locator("#thread .msg.assistant").last).to_contain_text(f"You said: {HEARD}")


def test_holding_the_talk_button_records_the_microphone_and_sends_on_release(
    signed_in: Page,
) -> None:
    talk = signed_in.get_by_role("button", name="Hold to talk")
    box = talk.bounding_box()
    assert box
    signed_in.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    signed_in.mouse.down()
    expect(talk).to_have_attribute("aria-pressed", "true")
    expect(signed_in.locator("#voice-status")).to_contain_text("Listening")
    signed_in.wait_for_timeout(2500)  # speak for a while (the fake microphone plays the WAV)
    signed_in.mouse.up()
    expect(talk).to_have_attribute("aria-pressed", "false")
    expect_voice_turn(signed_in)


def test_push_to_talk_works_from_the_keyboard_with_space(signed_in: Page) -> None:
    talk = signed_in.get_by_role("button", name="Hold to talk")
    talk.focus()
    signed_in.keyboard.down(" ")
    expect(talk).to_have_attribute("aria-pressed", "true")
    signed_in.wait_for_timeout(2500)
    signed_in.keyboard.up(" ")
    expect_voice_turn(signed_in)


def test_a_file_that_is_not_audio_gets_a_clear_error_and_nothing_is_stored(
    signed_in: Page, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.wav"
    notes.write_text("these are my shopping notes, not a recording")
    signed_in.get_by_label("Audio file to send").set_input_files(notes)
    status = signed_in.locator("#voice-status")
    expect(status).to_have_class("voice-status error")
    expect(status).to_contain_text("nothing was stored")
    expect(signed_in.locator("#thread .msg")).to_have_count(0)
    expect(signed_in.get_by_role("button", name="Hold to talk")).to_be_enabled()


class TestRealSpeechRecognition:
    """Once with the real whisper engine: the words spoken in the file come back as text."""

    @pytest.fixture
    def server_settings(self) -> Settings:
        return web_settings(stt="whisper")

    def test_whisper_hears_the_words_of_an_uploaded_recording(
        self, signed_in: Page, speech_wav: Path
    ) -> None:
        signed_in.get_by_label("Audio file to send").set_input_files(speech_wav)
        heard = signed_in.locator("#thread .msg.user").last
        expect(heard).to_contain_text("how was your day", ignore_case=True, timeout=120_000)
        expect(signed_in.locator("#thread .msg.assistant").last).to_contain_text("You said:")
