"""The web app's "Us" page (web/inner.js) in a real browser against the real server: our story,
the self to edit and reset, the journal, and the compose button."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.server.web.conftest import CHROMIUM, login

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="the browser tests need Debian's chromium"
)


@pytest.fixture
def us_page(page: Page) -> Page:
    login(page)
    page.get_by_role("link", name="Us").click()  # the nav link, as a user reaches it
    expect(page.get_by_role("heading", name="Us", exact=True)).to_be_visible()
    return page


def test_the_page_tells_our_story_and_the_self_can_be_added_to_edited_and_reset(
    us_page: Page,
) -> None:
    expect(us_page.get_by_role("heading", name="Our story")).to_be_visible()
    expect(us_page.locator(".timeline li")).to_contain_text("We met.")
    self_card = us_page.get_by_role("region", name="Who I've become with you")
    self_card.get_by_label("What I hold").fill("Rainy evenings suit long talks")
    self_card.get_by_label("Why").fill("ours were")
    self_card.get_by_role("button", name="Add").click()
    claim = self_card.locator("[data-claim-id]")
    expect(claim).to_contain_text("Rainy evenings suit long talks (because ours were)")

    claim.get_by_role("button", name="Edit").click()
    claim.get_by_label("What I hold").fill("Rainy evenings suit slow talks")
    claim.get_by_role("button", name="Save").click()
    expect(self_card.locator("[data-claim-id]")).to_contain_text("slow talks")

    self_card.get_by_text("Every change (2)").click()
    self_card.locator('[data-version="1"]').get_by_role("button", name="Go back to this").click()
    expect(self_card.locator("[data-claim-id]")).to_contain_text("long talks")
    expect(self_card.get_by_text("Every change (3)")).to_be_visible()


def test_the_compose_button_gives_a_piece_to_play_or_download(us_page: Page) -> None:
    pytest.importorskip("mido", reason="composing needs mido (pip install mido)")
    card = us_page.get_by_role("region", name="A photograph in music")
    card.get_by_role("button", name="Compose").click()
    # Nothing said yet: a clear error, not a broken player.
    expect(us_page.get_by_text("nothing was said")).to_be_visible()
