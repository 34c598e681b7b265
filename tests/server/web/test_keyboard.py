"""Everything works from the keyboard alone, with a focus ring that can be seen."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server.web.conftest import PASSWORD, USERNAME


def focus_ring(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.activeElement).outlineStyle"))


def keyboard_login(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(USERNAME)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_signing_in_and_sending_a_message_with_the_keyboard_only(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(USERNAME)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    message = page.get_by_label("Message", exact=True)
    expect(message).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    expect(page.locator("#thread .msg.assistant")).to_contain_text(
        "You said: Typed without a mouse"
    )
    expect(message).to_have_value("")


def test_shift_enter_starts_a_new_line_instead_of_sending(page: Page) -> None:
    keyboard_login(page)
    message = page.get_by_label("Message", exact=True)
    expect(message).to_be_focused()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(message).to_have_value("first line\nsecond line")
    expect(page.locator("#thread .msg")).to_have_count(0)


def test_tab_moves_through_the_composer_with_a_visible_focus_ring(page: Page) -> None:
    keyboard_login(page)
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    for name in ("Hold to talk", "Conversation", "Send audio file", "Send"):
        page.keyboard.press("Tab")
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_focused()
        assert focus_ring(page) == "solid", f"{name} shows no focus ring"


def test_the_navigation_is_reachable_and_marks_the_current_page(page: Page) -> None:
    keyboard_login(page)
    memories = page.get_by_role("link", name="Memories")
    memories.focus()
    assert focus_ring(page) == "solid"
    page.keyboard.press("Enter")
    expect(memories).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="What I remember")).to_be_visible()
