"""Chatting: replies stream in over the WebSocket, conversations are listed and reopened."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from os1.config import Settings
from tests.server.web.conftest import RunningServer, web_settings


def assistant_messages(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#thread .msg.assistant .bubble")


def test_a_typed_message_gets_a_reply_in_the_thread(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("I had a long day at work")
    log = signed_in.get_by_role("log", name="Messages")
    expect(log.locator(".msg.user")).to_have_text("You: I had a long day at work")
    expect(assistant_messages(signed_in)).to_have_text(["You said: I had a long day at work"])
    expect(signed_in.locator("#thread .msg.assistant")).not_to_have_attribute("aria-busy", "true")


def test_the_new_conversation_appears_in_the_list_and_reopens_after_a_reload(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("Tell me about the sea")
    expect(assistant_messages(signed_in)).to_have_text(["You said: Tell me about the sea"])
    conversations = signed_in.get_by_role("complementary", name="Conversations")
    expect(conversations.get_by_role("button")).not_to_have_count(0)
    current = conversations.locator("button[aria-current=true]")
    expect(current).to_have_count(1)
    assert "/chat/" in signed_in.url
    signed_in.reload()
    expect(assistant_messages(signed_in)).to_have_text(["You said: Tell me about the sea"])


def test_new_starts_an_empty_conversation_and_the_old_one_can_be_opened_again(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("first thoughts")
    expect(assistant_messages(signed_in)).to_have_text(["You said: first thoughts"])
    signed_in.get_by_role("button", name="New", exact=True).click()
    expect(assistant_messages(signed_in)).to_have_count(0)
    say("second thoughts")
    expect(assistant_messages(signed_in)).to_have_text(["You said: second thoughts"])
    items = signed_in.locator("#conversation-list button")
    expect(items).to_have_count(2)
    signed_in.locator("#conversation-list button:not([aria-current=true])").click()
    expect(assistant_messages(signed_in)).to_have_text(["You said: first thoughts"])


def test_a_second_message_continues_the_same_conversation(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("one")
    expect(assistant_messages(signed_in)).to_have_count(1)
    say("two")
    expect(assistant_messages(signed_in)).to_have_text(["You said: one", "You said: two"])
    expect(signed_in.locator("#conversation-list button")).to_have_count(1)


def test_recalled_memories_are_shown_quietly_before_the_reply(
    signed_in: Page, server: RunningServer, say: Callable[[str], None]
) -> None:
    server.remember(("fact", "Your sister is called Maya."))
    say("How is my sister Maya doing?")
    expect(assistant_messages(signed_in)).to_have_text(["You said: How is my sister Maya doing?"])
    recalled = signed_in.locator("#thread .recalled")
    expect(recalled).to_contain_text("remembering")
    expect(recalled.get_by_text("Your sister is called Maya.")).to_be_hidden()  # folded away
    recalled.locator("summary").click()
    expect(recalled.get_by_text("Your sister is called Maya.")).to_be_visible()


class TestStreaming:
    @pytest.fixture
    def server_settings(self) -> Settings:
        return web_settings(model="scripted:slow")

    def test_the_reply_appears_word_by_word_before_it_is_done(
        self, signed_in: Page, say: Callable[[str], None]
    ) -> None:
        say("the light in the kitchen is lovely in the morning")
        streaming = signed_in.locator("#thread .msg.assistant[aria-busy=true] .bubble")
        # Part of the reply is on screen while the turn is still running...
        expect(streaming).to_contain_text("You said:")
        expect(signed_in.get_by_role("button", name="Stop")).to_be_visible()
        # ...and the whole of it once the turn is done.
        expect(assistant_messages(signed_in)).to_have_text(
            ["You said: the light in the kitchen is lovely in the morning"], timeout=30_000
        )
        expect(signed_in.locator("#thread .msg.assistant[aria-busy=true]")).to_have_count(0)
        expect(signed_in.get_by_role("button", name="Stop")).to_be_hidden()

    def test_stop_ends_a_reply_midway_and_says_so(
        self, signed_in: Page, say: Callable[[str], None]
    ) -> None:
        say("please tell me a very long story about the old lighthouse keeper and his cat")
        expect(signed_in.locator("#thread .msg.assistant[aria-busy=true] .bubble")).to_contain_text(
            "You said:"
        )
        signed_in.get_by_role("button", name="Stop").click()
        expect(signed_in.get_by_role("button", name="Send", exact=True)).to_be_enabled()
        last = signed_in.locator("#thread .msg.assistant").last
        expect(last).not_to_have_attribute("aria-busy", "true")
        expect(last.locator(".meta")).to_contain_text("stopped")


class TestModelDown:
    @pytest.fixture
    def server_settings(self, tmp_path: Path) -> Settings:
        script = tmp_path / "down.json"
        script.write_text(json.dumps({"replies": ["never said"], "fail_with": "unreachable"}))
        return web_settings(model=f"scripted:{script}")

    def test_a_failed_reply_is_shown_as_an_error_and_the_message_is_kept(
        self, signed_in: Page, say: Callable[[str], None]
    ) -> None:
        say("are you there?")
        alert = signed_in.locator("#thread").get_by_role("alert")
        expect(alert).to_be_visible()
        expect(alert.locator(".hint")).not_to_be_empty()
        expect(signed_in.get_by_role("button", name="Send", exact=True)).to_be_enabled()
        signed_in.reload()
        expect(signed_in.locator("#thread .msg.user")).to_contain_text("are you there?")
