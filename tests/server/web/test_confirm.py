"""Actions with a side effect wait for the user's own Confirm or Cancel, never run by themselves."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.server.web.conftest import SENT_POSTCARDS


def card(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("group", name="Needs your confirmation")


def test_a_side_effect_waits_for_confirm_and_runs_once_when_confirmed(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("send a postcard to Maya")
    expect(card(signed_in)).to_contain_text("Shall I send a postcard to Maya?")
    expect(card(signed_in).get_by_role("button", name="Confirm")).to_be_visible()
    expect(signed_in.locator("#thread .tool")).to_contain_text("send_postcard")
    assert SENT_POSTCARDS == []  # asked, not done

    card(signed_in).get_by_role("button", name="Confirm").click()
    expect(card(signed_in)).to_contain_text("Done.")
    expect(card(signed_in).get_by_role("button")).to_have_count(0)  # no second press possible
    expect(signed_in.locator("#thread .msg.assistant").last).to_contain_text(
        "Postcard sent to Maya."
    )
    assert SENT_POSTCARDS == ["Maya"]


def test_cancel_declines_and_nothing_is_done(signed_in: Page, say: Callable[[str], None]) -> None:
    say("send a postcard to Lou")
    card(signed_in).get_by_role("button", name="Cancel").click()
    expect(card(signed_in)).to_contain_text("Nothing was done.")
    expect(signed_in.locator("#thread .tool .status")).to_have_text("declined")
    assert SENT_POSTCARDS == []


def test_pressing_enter_in_the_message_box_does_not_confirm(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("send a postcard to Maya")
    expect(card(signed_in).get_by_role("button", name="Confirm")).to_be_visible()
    say("actually, how are you?")
    expect(signed_in.locator("#thread .msg.assistant").last).to_have_text(
        "OS1: You said: actually, how are you?"
    )
    expect(card(signed_in).get_by_role("button", name="Confirm")).to_be_visible()
    assert SENT_POSTCARDS == []


def test_an_action_still_waiting_after_a_reload_can_be_confirmed(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    say("send a postcard to Ida")
    expect(card(signed_in)).to_be_visible()
    signed_in.reload()
    waiting = card(signed_in)
    expect(waiting).to_contain_text("Shall I send a postcard to Ida?")
    assert SENT_POSTCARDS == []
    waiting.get_by_role("button", name="Confirm").click()
    expect(signed_in.locator("#thread")).to_contain_text("Postcard sent to Ida.")
    assert SENT_POSTCARDS == ["Ida"]
