"""The memory page: what OS1 remembers, searchable, correctable and forgettable."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.server.web.conftest import RunningServer, login

SISTER = "Your sister is called Maya."
TEA = "You like green tea in the morning."


@pytest.fixture
def memories(server: RunningServer) -> list[int]:
    return server.remember(("fact", SISTER), ("preference", TEA))


@pytest.fixture
def memory_page(page: Page, memories: list[int]) -> Page:
    login(page)
    page.get_by_role("link", name="Memories").click()
    expect(page.get_by_role("heading", name="What I remember")).to_be_visible()
    return page


def item(page: Page, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("listitem", name=text)


def test_the_page_lists_what_is_remembered_with_its_kind(memory_page: Page) -> None:
    expect(item(memory_page, SISTER)).to_contain_text("fact")
    expect(item(memory_page, TEA)).to_contain_text("preference")
    expect(memory_page.get_by_role("status").filter(has_text="memories")).to_have_text(
        "2 memories."
    )


def test_forgetting_asks_first_and_the_memory_stays_gone_after_a_reload(
    memory_page: Page,
) -> None:
    item(memory_page, SISTER).get_by_role("button", name="Forget").click()
    expect(item(memory_page, SISTER)).to_contain_text("Forget this for good?")
    item(memory_page, SISTER).get_by_role("button", name="Yes, forget it").click()
    expect(item(memory_page, SISTER)).to_have_count(0)
    expect(memory_page.locator("#memory-status")).to_have_text("Forgotten.")
    memory_page.reload()
    expect(item(memory_page, TEA)).to_be_visible()
    expect(item(memory_page, SISTER)).to_have_count(0)


def test_keep_it_leaves_the_memory_alone(memory_page: Page, server: RunningServer) -> None:
    item(memory_page, SISTER).get_by_role("button", name="Forget").click()
    keep = item(memory_page, SISTER).get_by_role("button", name="Keep it")
    expect(keep).to_be_focused()  # the safe choice is the one a stray Enter presses
    keep.click()
    memory_page.reload()
    expect(item(memory_page, SISTER)).to_be_visible()


def test_a_corrected_memory_keeps_its_new_text(memory_page: Page) -> None:
    item(memory_page, SISTER).get_by_role("button", name="Edit").click()
    box = memory_page.get_by_label("Memory text")
    expect(box).to_be_focused()
    box.fill("Your sister is called Mia.")
    memory_page.get_by_role("button", name="Save").click()
    expect(item(memory_page, "Your sister is called Mia.")).to_be_visible()
    memory_page.reload()
    expect(item(memory_page, "Your sister is called Mia.")).to_be_visible()
    expect(item(memory_page, SISTER)).to_have_count(0)


def test_an_empty_correction_is_refused_and_the_memory_kept(memory_page: Page) -> None:
    item(memory_page, TEA).get_by_role("button", name="Edit").click()
    memory_page.get_by_label("Memory text").fill("")
    memory_page.get_by_role("button", name="Save").click()
    expect(memory_page.get_by_role("alert")).to_be_visible()
    memory_page.reload()
    expect(item(memory_page, TEA)).to_be_visible()


def test_search_puts_the_best_match_first(memory_page: Page) -> None:
    memory_page.get_by_label("Search memories").fill("green tea")
    memory_page.get_by_label("Search memories").press("Enter")
    expect(memory_page.locator("#memory-status")).to_contain_text("“green tea”")
    expect(memory_page.locator(".memory .text").first).to_have_text(TEA)


def test_the_kind_filter_narrows_the_list(memory_page: Page) -> None:
    memory_page.get_by_label("Kind").select_option("preference")
    expect(item(memory_page, TEA)).to_be_visible()
    expect(item(memory_page, SISTER)).to_have_count(0)


def test_a_long_list_comes_in_pages(page: Page, server: RunningServer) -> None:
    server.remember(*[("fact", f"Remembered thing number {n}.") for n in range(1, 56)])
    login(page)
    page.get_by_role("link", name="Memories").click()
    expect(page.locator(".memory")).to_have_count(50)
    page.get_by_role("button", name="Show more").click()
    expect(page.locator(".memory")).to_have_count(55)
    expect(page.get_by_role("button", name="Show more")).to_be_hidden()
    expect(item(page, "Remembered thing number 55.")).to_be_visible()
