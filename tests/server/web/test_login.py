"""Signing in and out of the web app."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from os1.config import Settings
from tests.server.web.conftest import PASSWORD, USERNAME, RunningServer, login, web_settings


def test_the_login_form_is_shown_to_a_visitor_without_a_session(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="OS1")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_focused()
    expect(page.get_by_role("log", name="Messages")).to_be_hidden()


def test_a_wrong_password_is_refused_with_a_clear_message(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("password")
    expect(page.get_by_role("log", name="Messages")).to_be_hidden()


def test_signing_in_opens_the_chat_and_survives_a_reload(page: Page) -> None:
    login(page)
    expect(page.get_by_text(USERNAME, exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_role("log", name="Messages")).to_be_visible()


def test_signing_out_returns_to_the_login_and_ends_the_session(
    page: Page, server: RunningServer
) -> None:
    login(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.request.get(f"{server.url}/api/me").status == 401


def test_the_password_never_appears_in_the_page_after_login(page: Page) -> None:
    login(page)
    assert PASSWORD not in page.content()
    assert page.get_by_label("Password").input_value() == ""


class TestSingleUser:
    """On a loopback-only server without accounts, the app opens straight into the chat."""

    @pytest.fixture
    def server_settings(self) -> Settings:
        return web_settings(server={"single_user": True})

    @pytest.fixture
    def server_account(self) -> bool:
        return False  # an account would turn login on

    def test_no_login_is_asked_and_there_is_nothing_to_sign_out_of(self, page: Page) -> None:
        page.goto("/")
        message = page.get_by_label("Message", exact=True)
        expect(message).to_be_focused()
        expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
        message.fill("just us")
        message.press("Enter")
        expect(page.locator("#thread .msg.assistant")).to_contain_text("You said: just us")
