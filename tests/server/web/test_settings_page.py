"""Persona and settings: names, manner, voice and colours are kept by the server."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def open_settings(page: Page) -> None:
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Persona & settings")).to_be_visible()
    # The forms are filled from the server; typing before that would be overwritten.
    expect(page.locator("#persona-form")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#settings-form")).to_have_attribute("data-loaded", "true")


def test_a_new_companion_name_and_persona_are_kept(signed_in: Page) -> None:
    open_settings(signed_in)
    signed_in.get_by_label("My name").fill("Samantha")
    signed_in.get_by_label("How I should be with you").fill("Gentle, curious and honest.")
    signed_in.get_by_role("button", name="Save persona").click()
    expect(signed_in.locator("#toasts")).to_contain_text("Persona saved.")
    signed_in.reload()
    expect(signed_in.get_by_label("My name")).to_have_value("Samantha")
    expect(signed_in.get_by_label("How I should be with you")).to_have_value(
        "Gentle, curious and honest."
    )
    signed_in.get_by_role("link", name="Chat").click()
    expect(signed_in.get_by_label("Message", exact=True)).to_have_attribute(
        "placeholder", "Write to Samantha…"
    )


def test_voice_speed_and_dark_colours_are_kept(signed_in: Page) -> None:
    open_settings(signed_in)
    signed_in.get_by_label("Speaking speed").fill("1.5")
    expect(signed_in.locator("#voice-speed-value")).to_have_text("1.5×")
    signed_in.get_by_label("Colours").select_option("dark")
    signed_in.get_by_role("button", name="Save voice & look").click()
    expect(signed_in.locator("html")).to_have_attribute("data-theme", "dark")
    signed_in.reload()
    expect(signed_in.get_by_label("Speaking speed")).to_have_value("1.5")
    expect(signed_in.locator("html")).to_have_attribute("data-theme", "dark")


def test_with_read_aloud_on_a_typed_reply_comes_with_its_audio(signed_in: Page) -> None:
    open_settings(signed_in)
    signed_in.get_by_label("Read my written replies aloud too").check()
    signed_in.get_by_role("button", name="Save voice & look").click()
    expect(signed_in.locator("#toasts")).to_contain_text("Saved.")
    signed_in.get_by_role("link", name="Chat").click()
    box = signed_in.get_by_label("Message", exact=True)
    box.fill("read this to me")
    box.press("Enter")
    reply = signed_in.locator("#thread .msg.assistant").last
    expect(reply).to_contain_text("You said: read this to me")
    expect(reply.get_by_label("Spoken reply")).to_be_attached()
