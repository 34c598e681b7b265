"""The first visit on the web meets the companion as `os1 setup` does in the terminal."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.server.web.conftest import login

ANSWERS = ["Ada", "On my own, by the sea", "A new job", "Someone to think with", "Calm and soft"]


def meet(page: Page) -> None:
    card = page.get_by_role("region", name="Let's meet")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Welcome.")
    expect(card).to_contain_text("what would you like me to call you?")
    for answer in ANSWERS:
        box = card.get_by_role("textbox")
        box.fill(answer)
        box.press("Enter")
    expect(card).to_be_hidden()


def test_the_companion_asks_chooses_its_name_and_says_why(signed_in: Page) -> None:
    meet(signed_in)
    intro = signed_in.locator("#thread .msg.assistant.introduction")
    expect(intro).to_contain_text("Hi Ada.")
    expect(intro).to_contain_text("It means")
    name = signed_in.evaluate("document.body.dataset.companion")
    assert name and name != "OS1"
    expect(intro).to_contain_text(f"I'm {name}")
    expect(signed_in).to_have_title(re.compile(f"Chat · {name}$"))
    expect(signed_in.get_by_label("Message", exact=True)).to_have_attribute(
        "placeholder", f"Write to {name}…"
    )
    signed_in.reload()
    expect(signed_in.get_by_role("log", name="Messages")).to_be_visible()
    expect(signed_in.get_by_role("region", name="Let's meet")).to_be_hidden()


def test_the_first_meeting_can_wait_and_the_chat_still_works(phone: Page) -> None:
    login(phone)
    card = phone.get_by_role("region", name="Let's meet")
    expect(card).to_be_visible()
    box = phone.locator("#send").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844
    card.get_by_role("button", name="Not now").click()
    expect(card).to_be_hidden()
    message = phone.get_by_label("Message", exact=True)
    message.fill("hello")
    message.press("Enter")
    expect(phone.locator("#thread .msg.assistant")).to_contain_text("You said: hello")


def test_settings_show_the_persona_with_the_names_filled_in(signed_in: Page) -> None:
    meet(signed_in)
    name = signed_in.evaluate("document.body.dataset.companion")
    signed_in.get_by_role("link", name="Settings").click()
    signed_in.get_by_text("How I read this now, with our names").click()
    rendered = signed_in.locator("#persona-rendered")
    expect(rendered).to_contain_text(f"You are {name}")
    expect(rendered).to_contain_text("Ada's own computer")
    expect(rendered).not_to_contain_text("{name}")
