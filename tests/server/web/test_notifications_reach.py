"""Reminders and messages the companion starts reach the user: a browser notification (once
allowed, asked on a click) and a count on the tab title, not only a toast."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from os1.mind.outbox import deliver
from tests.server.web.conftest import RunningServer, login

# The browser's Notification, recorded: headless Chromium shows none, and the test needs to see
# what the app asked for. `permission` starts as the page sets window.__permission.
FAKE_NOTIFICATION = """
window.__notes = [];
window.__permission = window.__permission || "default";
class FakeNotification extends EventTarget {
  constructor(title, options) { super(); window.__notes.push({ title, body: options.body }); }
  close() {}
  static get permission() { return window.__permission; }
  static async requestPermission() { window.__permission = "granted"; return "granted"; }
}
window.Notification = FakeNotification;
"""
AWAY = "document.hasFocus = () => false;"


def connected(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")


def send_note(server: RunningServer, text: str) -> int:
    store = server.user_store()
    try:
        return deliver(store, text, "reminder").conversation_id
    finally:
        store.close()


def test_notifications_are_asked_for_on_a_click_in_settings(signed_in: Page) -> None:
    signed_in.add_init_script(FAKE_NOTIFICATION)
    signed_in.reload()
    signed_in.get_by_role("link", name="Settings").click()
    state = signed_in.locator("#notify-state")
    expect(state).to_contain_text("only if you allow them")
    signed_in.get_by_role("button", name="Let me notify you").click()
    expect(state).to_contain_text("reach you as notifications")
    expect(signed_in.get_by_role("button", name="Let me notify you")).to_be_hidden()


def test_a_reminder_while_the_user_is_away_becomes_a_browser_notification(
    signed_in: Page, server: RunningServer
) -> None:
    signed_in.add_init_script("window.__permission = 'granted';" + FAKE_NOTIFICATION + AWAY)
    signed_in.reload()
    connected(signed_in)
    send_note(server, "Time to water the plants.")
    signed_in.wait_for_function("window.__notes.length === 1")
    note = signed_in.evaluate("window.__notes[0]")
    assert note["body"] == "Time to water the plants." and note["title"] == "OS1"


def test_unseen_notifications_are_counted_on_the_tab_title(
    signed_in: Page, server: RunningServer
) -> None:
    connected(signed_in)
    expect(signed_in).to_have_title("Chat · OS1")
    send_note(server, "Time to water the plants.")
    expect(signed_in).to_have_title("(1) Chat · OS1")
    conversation = send_note(server, "And to feed the cat.")
    expect(signed_in).to_have_title("(2) Chat · OS1")
    signed_in.goto(f"/#/chat/{conversation}")
    expect(signed_in.locator("#thread .msg.assistant.notification")).to_have_count(2)
    expect(signed_in).to_have_title(re.compile(r"^Chat · OS1$"))


def test_no_browser_notification_without_permission(phone: Page, server: RunningServer) -> None:
    phone.add_init_script(FAKE_NOTIFICATION + AWAY)
    login(phone)
    connected(phone)
    send_note(server, "Time to water the plants.")
    expect(phone.locator("#toasts .toast")).to_contain_text("Time to water the plants.")
    expect(phone).to_have_title("(1) Chat · OS1")
    assert phone.evaluate("window.__notes.length") == 0
