"""The memory page reads as "what I know about you": said to the user, merged where two
memories say the same, grouped by person, excerpts behind a switch, searches ranked."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.server.web.conftest import login


def memories_after(page: Page, say: Callable[[str], None], *texts: str) -> None:
    for n, text in enumerate(texts, start=1):
        say(text)
        expect(page.locator("#thread .msg.assistant:not([aria-busy])")).to_have_count(n)
    page.get_by_role("link", name="Memories").click()
    expect(page.get_by_role("heading", name="What I remember")).to_be_visible()


def test_what_i_know_is_said_to_you_once_and_grouped_by_person(
    signed_in: Page, say: Callable[[str], None]
) -> None:
    memories_after(
        signed_in, say, "My sister is called Anna", "Anna is my sister", "I love green tea"
    )
    you = signed_in.get_by_role("list", name="You")
    expect(you.get_by_role("listitem", name="You love green tea.")).to_be_visible()
    anna = signed_in.get_by_role("list", name="Anna")
    expect(anna.locator(".memory")).to_have_count(1)
    expect(anna.get_by_role("listitem", name="Your sister is called Anna.")).to_be_visible()
    page_text = signed_in.locator("#memory-list").inner_text()
    assert "User" not in page_text and "You said" not in page_text and "user:" not in page_text
    signed_in.get_by_label("Conversation excerpts").check()
    excerpts = signed_in.get_by_role("list", name="Conversation excerpts")
    expect(excerpts).to_contain_text("user: I love green tea")
    expect(excerpts).to_contain_text("You said: I love green tea")


def test_search_shows_the_top_matches_best_first(phone: Page) -> None:
    login(phone)
    box = phone.get_by_label("Message", exact=True)
    texts = [
        "My sister is called Anna",
        "I love green tea",
        "We're going to Rome next Friday",
        "My brother Tom lives in Oslo",
    ]
    for n, text in enumerate(texts, start=1):
        box.fill(text)
        box.press("Enter")
        expect(phone.locator("#thread .msg.assistant:not([aria-busy])")).to_have_count(n)
    phone.get_by_role("link", name="Memories").click()
    phone.get_by_label("Search memories").fill("sister")
    phone.get_by_label("Search memories").press("Enter")
    expect(phone.locator("#memory-status")).to_contain_text("best first")
    results = phone.get_by_role("list", name="Best matches").locator(".memory .text")
    expect(results.first).to_have_text("Your sister is called Anna.")
    assert results.count() <= 2
    expect(phone.locator("#memory-list")).not_to_contain_text("green tea")
