"""The app on a phone-sized screen (390×844): nothing spills sideways, everything reachable."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server.web.conftest import PHONE, login


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def within_screen(page: Page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{selector}: {box}"
    assert box["y"] + box["height"] <= PHONE["height"], f"{selector} is below the screen: {box}"


def test_chatting_on_a_phone_fits_the_screen(phone: Page) -> None:
    login(phone)
    box = phone.get_by_label("Message", exact=True)
    box.fill("A message written on a small screen, long enough to wrap over several lines.")
    box.press("Enter")
    expect(phone.locator("#thread .msg.assistant")).to_contain_text("You said: A message")
    no_sideways_scroll(phone)
    for selector in ("#message", "#send", "#talk", "#upload"):
        within_screen(phone, selector)
    phone.screenshot(path="/tmp/os1-web-phone-chat.png")


def test_the_conversation_list_opens_as_a_drawer_on_a_phone(phone: Page) -> None:
    login(phone)
    box = phone.get_by_label("Message", exact=True)
    box.fill("hello")
    box.press("Enter")
    expect(phone.locator("#thread .msg.assistant")).to_contain_text("You said: hello")
    conversations = phone.get_by_role("complementary", name="Conversations")
    toggle = phone.get_by_role("button", name="Conversations")
    expect(conversations).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(conversations).to_be_visible()
    conversations.get_by_role("button", name="New").click()
    expect(conversations).to_be_hidden()
    expect(phone.locator("#thread .msg")).to_have_count(0)


def test_the_memory_and_settings_pages_fit_a_phone(phone: Page) -> None:
    login(phone)
    phone.get_by_role("link", name="Memories").click()
    expect(phone.get_by_role("heading", name="What I remember")).to_be_visible()
    no_sideways_scroll(phone)
    phone.get_by_role("link", name="Settings").click()
    expect(phone.get_by_role("heading", name="Persona & settings")).to_be_visible()
    no_sideways_scroll(phone)
    within_screen(phone, "#companion-name")
    phone.screenshot(path="/tmp/os1-web-phone-settings.png", full_page=True)
