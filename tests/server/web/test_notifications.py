"""Messages the companion starts (reminders, check-ins) reach an open page at once."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from os1.mind.outbox import deliver
from tests.server.web.conftest import RunningServer

NOTE = "Time to water the plants."


def connected(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")


def test_a_notification_pops_up_and_opens_its_conversation(
    signed_in: Page, server: RunningServer
) -> None:
    connected(signed_in)
    store = server.user_store()
    try:
        deliver(store, NOTE, "reminder")
    finally:
        store.close()
    toast = signed_in.locator("#toasts .toast")
    expect(toast).to_contain_text(NOTE)
    expect(toast).to_contain_text("reminder")
    expect(signed_in.locator("#conversation-list")).to_contain_text("new")
    toast.get_by_role("button", name="Open").click()
    message = signed_in.locator("#thread .msg.assistant.notification")
    expect(message).to_contain_text(NOTE)
    expect(message.locator(".meta")).to_contain_text("reminder")


def test_a_notification_for_the_open_conversation_appears_in_the_thread(
    signed_in: Page, server: RunningServer
) -> None:
    connected(signed_in)
    store = server.user_store()
    try:
        first = deliver(store, "Good morning!", "check_in")
    finally:
        store.close()
    signed_in.goto(f"/#/chat/{first.conversation_id}")
    expect(signed_in.locator("#thread .msg.assistant")).to_contain_text(["Good morning!"])
    connected(signed_in)
    store = server.user_store()
    try:
        deliver(store, NOTE, "reminder")
    finally:
        store.close()
    expect(signed_in.locator("#thread .msg.assistant.notification").last).to_contain_text(NOTE)
