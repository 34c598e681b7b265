"""What people expect from a chat app: markdown, copy, regenerate, edit-and-resend, rename and
delete, links to a conversation, an honest offline state, a length limit that keeps the words,
confirmation cards in plain words, and Send on screen on a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from os1.config import Settings
from tests.server.web.conftest import PHONE, RunningServer, login, web_settings

MARKDOWN = (
    "**bold** and *soft* and `code` and [a link](https://example.org/x) and "
    "[a trap](javascript:alert(1)) <img src=x onerror=alert(1)>\n- one\n- two"
)


def replies(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#thread .msg.assistant:not([aria-busy])")


def test_markdown_in_a_reply_is_rendered_safely(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say(MARKDOWN)
    bubble = replies(signed_in).last.locator(".bubble")
    expect(bubble.locator("strong")).to_have_text("bold")
    expect(bubble.locator("em")).to_have_text("soft")
    expect(bubble.locator("code")).to_have_text("code")
    expect(bubble.locator("li")).to_have_text(["one", "two"])
    link = bubble.get_by_role("link", name="a link")
    expect(link).to_have_attribute("href", "https://example.org/x")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(bubble.get_by_role("link")).to_have_count(1)  # javascript: stays text
    expect(bubble).to_contain_text("<img src=x onerror=alert(1)>")
    expect(bubble.locator("img")).to_have_count(0)
    # The user's own words are shown as typed.
    expect(signed_in.locator("#thread .msg.user .bubble")).to_contain_text("**bold**")


def test_copy_puts_the_reply_on_the_clipboard(
    signed_in: Page, say: Callable[[str], None], server: RunningServer
) -> None:
    signed_in.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    say("copy **me**")
    replies(signed_in).last.get_by_role("button", name="Copy").click()
    expect(replies(signed_in).last.get_by_role("button", name="Copied")).to_be_visible()
    assert signed_in.evaluate("navigator.clipboard.readText()") == "You said: copy **me**"


def test_regenerate_asks_again_and_edit_puts_the_words_back(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("what a day")
    expect(replies(signed_in)).to_have_count(1)
    replies(signed_in).last.get_by_role("button", name="Regenerate").click()
    expect(replies(signed_in)).to_have_count(2)
    expect(replies(signed_in).last).to_contain_text("You said: what a day")
    signed_in.locator("#thread .msg.user").first.get_by_role(
        "button", name="Edit and resend"
    ).click()
    box = signed_in.get_by_label("Message", exact=True)
    expect(box).to_have_value("what a day")
    expect(box).to_be_focused()
    box.fill("what a week")
    box.press("Enter")
    expect(replies(signed_in).last).to_contain_text("You said: what a week")


def test_a_conversation_can_be_renamed_and_deleted(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("hello there")
    expect(replies(signed_in)).to_have_count(1)
    signed_in.get_by_role("button", name="Rename or delete this conversation").click()
    signed_in.get_by_label("Conversation name").fill("Greetings")
    signed_in.get_by_role("button", name="Rename", exact=True).click()
    expect(signed_in.locator("#chat-title")).to_have_text("Greetings")
    expect(signed_in.locator("#conversation-list")).to_contain_text("Greetings")
    signed_in.get_by_role("button", name="Rename or delete this conversation").click()
    signed_in.get_by_role("button", name="Delete", exact=True).click()
    keep = signed_in.get_by_role("button", name="Keep it")
    expect(keep).to_be_focused()
    signed_in.get_by_role("button", name="Yes, delete it").click()
    expect(signed_in.locator("#conversation-list")).not_to_contain_text("Greetings")
    expect(signed_in.locator("#chat-title")).to_have_text("New conversation")
    expect(signed_in.locator("#thread .msg")).to_have_count(0)
    signed_in.reload()
    expect(signed_in.locator("#conversation-list")).to_contain_text("No conversations yet.")


@pytest.mark.parametrize("link", ["/?c={id}", "/#/c/{id}"])
def test_a_conversation_opened_by_link_shows_its_latest_message(
    page: Page, server: RunningServer, link: str
) -> None:
    store = server.user_store()
    try:
        conv = store.create_conversation("A long talk")
        for n in range(1, 41):
            store.add_message(conv.id, "user", f"message number {n}")
    finally:
        store.close()
    login(page)
    page.goto(link.format(id=conv.id))
    expect(page.locator("#chat-title")).to_have_text("A long talk")
    last = page.locator("#thread .msg.user").last
    expect(last).to_contain_text("message number 40")
    expect(last).to_be_in_viewport()
    expect(page.locator("#thread .msg.user").first).not_to_be_in_viewport()


# Lets a test cut the socket and keep it down: new sockets fail while window.__offline is set.
OFFLINE_SWITCH = """
window.__sockets = [];
const RealWebSocket = window.WebSocket;
window.WebSocket = class extends RealWebSocket {
  constructor(url, protocols) {
    super(window.__offline ? "ws://127.0.0.1:9/" : url, protocols);
    window.__sockets.push(this);
  }
};
"""


def test_a_message_written_offline_waits_and_goes_out_on_reconnection(page: Page) -> None:
    page.add_init_script(OFFLINE_SWITCH)
    login(page)
    connection = page.locator("#connection")
    expect(connection).to_have_attribute("data-state", "open")
    page.evaluate("window.__offline = true; window.__sockets.at(-1).close()")
    expect(connection).to_have_text("Offline, reconnecting…")
    box = page.get_by_label("Message", exact=True)
    box.fill("are you there?")
    box.press("Enter")
    mine = page.locator("#thread .msg.user").last
    expect(mine).to_contain_text("Waiting for the connection")
    expect(page.locator("#thread").get_by_role("alert")).to_have_count(0)
    expect(page.locator("#thread")).not_to_contain_text("ask again")
    page.evaluate("window.__offline = false")
    expect(replies(page).last).to_contain_text("You said: are you there?", timeout=30_000)
    expect(mine).not_to_contain_text("Waiting for the connection")


class TestLengthLimit:
    @pytest.fixture
    def server_settings(self) -> Settings:
        return web_settings(
            server={"single_user": False, "turn_threads": 4, "max_message_chars": 40}
        )

    def test_a_message_too_long_stays_in_the_composer_with_a_counter(self, signed_in: Page) -> None:
        text = "x" * 60
        box = signed_in.get_by_label("Message", exact=True)
        box.fill(text)
        expect(signed_in.locator("#composer-count")).to_have_text("60 / 40")
        box.press("Enter")
        expect(signed_in.locator("#composer-error")).to_contain_text(
            "That's 60 characters; I can take 40 at most."
        )
        expect(box).to_have_value(text)
        expect(signed_in.locator("#thread .msg")).to_have_count(0)
        box.fill("short now")
        expect(signed_in.locator("#composer-error")).to_be_hidden()
        box.press("Enter")
        expect(replies(signed_in).last).to_contain_text("You said: short now")


def test_a_confirmation_card_speaks_plainly_with_one_date_format(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("send a postcard to Maya")
    card = signed_in.get_by_role("group", name="Needs your confirmation")
    expect(card).to_contain_text("Shall I send a postcard to Maya?")
    expect(card).not_to_contain_text("send_postcard")
    plain = signed_in.evaluate(
        """async () => {
            const m = await import("/plain.js");
            return [
                m.plainQuestion("set_reminder(text='tea')", "set_reminder"),
                m.plainArgs({ due_at: "2026-12-05T09:00", text: "tea" }),
                m.plainQuestion("remind you on 2026-12-05 09:00 to drink tea.", "set_reminder"),
            ];
        }"""
    )
    assert plain == [
        "Shall I set reminder?",
        "Due at: Sat 5 Dec 2026, 09:00\nText: tea",
        "Shall I remind you on Sat 5 Dec 2026, 09:00 to drink tea?",
    ]


class TestPhoneWhileReplying:
    @pytest.fixture
    def server_settings(self) -> Settings:
        return web_settings(model="scripted:slow")

    def test_send_stays_on_screen_while_stop_is_shown(self, phone: Page) -> None:
        login(phone)
        phone.get_by_role("button", name="Not now").click()
        box = phone.get_by_label("Message", exact=True)
        box.fill("please tell me a very long story about the old lighthouse keeper and his cat")
        box.press("Enter")
        stop = phone.get_by_role("button", name="Stop")
        expect(stop).to_be_visible()
        for selector in ("#send", "#stop", "#talk"):
            shown = phone.locator(selector).bounding_box()
            assert shown is not None
            assert shown["x"] >= 0 and shown["x"] + shown["width"] <= PHONE["width"], selector
        stop.click()
