"""`/mcp` under `os1 serve`: a live server, two users, the official SDK's HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import tomli_w
from mcp_types import TextContent

from os1.server import create_app
from os1.skills import Skills
from tests.helpers import os1
from tests.mcp.conftest import http_session, remember
from tests.server.conftest import Account, Live, add_account, run_live, server_settings


@dataclass
class Two:
    live: Live
    alice: Account
    bob: Account


@pytest.fixture
def two(home: Path) -> Iterator[Two]:
    app = create_app(home, server_settings(single_user=False), skills=Skills())
    alice, bob = add_account(app, "alice"), add_account(app, "bob")
    for live in run_live(app):
        yield Two(live, alice, bob)


def text_of(result: object) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))  # type: ignore[attr-defined]


async def test_each_token_sees_only_its_owners_memories(home: Path, two: Two) -> None:
    remember(home, "My sister Ana lives in Lisbon.", user_id=two.alice.user_id)
    async with http_session(two.live.url, two.alice.token) as alice:
        tools = {t.name for t in (await alice.list_tools()).tools}
        assert {"memory_search", "memory_forget", "calendar_events", "send_mail"} <= tools
        found = await alice.call_tool("memory_search", {"query": "Ana Lisbon"})
        assert "Lisbon" in text_of(found)
        await alice.call_tool("memory_remember", {"text": "I take my coffee black."})
    async with http_session(two.live.url, two.bob.token) as bob:
        found = await bob.call_tool("memory_search", {"query": "Ana Lisbon coffee"})
        assert "Lisbon" not in text_of(found) and "coffee" not in text_of(found)
        listed = await bob.call_tool("memory_list", {})
        assert text_of(listed) == "Nothing remembered yet."
        shown = await bob.call_tool("memory_show", {"memory_id": 1})
        assert shown.is_error  # alice's memory #1 does not exist for bob


async def test_a_pending_forget_is_the_owners_alone(home: Path, two: Two) -> None:
    [ana] = remember(home, "My sister Ana lives in Lisbon.", user_id=two.alice.user_id)
    async with http_session(two.live.url, two.alice.token) as alice:
        asked = await alice.call_tool("memory_forget", {"memory_ids": [ana]})
    action = asked.structured_content["action_id"]
    async with httpx.AsyncClient(base_url=two.live.url) as api:
        pending = await api.get("/api/actions", headers=two.alice.auth)
        theirs = await api.get("/api/actions", headers=two.bob.auth)
        assert action in pending.text
        assert action not in theirs.text
        stolen = await api.post(f"/api/actions/{action}/confirm", headers=two.bob.auth)
        assert stolen.status_code == 404
        confirmed = await api.post(f"/api/actions/{action}/confirm", headers=two.alice.auth)
        assert confirmed.status_code == 200, confirmed.text
    async with http_session(two.live.url, two.alice.token) as alice:
        listed = await alice.call_tool("memory_list", {})
    assert text_of(listed) == "Nothing remembered yet."


async def test_profile_resource_is_per_user(two: Two) -> None:
    async with http_session(two.live.url, two.bob.token) as bob:
        profile = await bob.read_resource("os1://profile")
    assert '"user_name": null' in profile.contents[0].text  # type: ignore[union-attr]


async def test_no_token_or_a_bad_one_is_refused(two: Two) -> None:
    async with httpx.AsyncClient(base_url=two.live.url) as api:
        bare = await api.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        forged = await api.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Authorization": "Bearer os1_not-a-real-token"},
        )
    assert bare.status_code == 401 and forged.status_code == 401
    assert bare.headers["www-authenticate"] == "Bearer"


def test_os1_as_a_client_uses_another_os1_over_http(tmp_path: Path, two: Two) -> None:
    # OS1's own MCP client, pointed at this server's /mcp with alice's token.
    client_home = tmp_path / "client"
    client_home.mkdir()
    server = {"url": f"{two.live.url}/mcp", "token": two.alice.token}
    (client_home / "config.toml").write_text(tomli_w.dumps({"mcp": {"servers": {"os1": server}}}))
    shown = os1(client_home, "mcp", "servers")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "mcp_os1_memory_search  read-only" in shown.stdout
    assert "mcp_os1_memory_forget  asks you first" in shown.stdout
    config = os1(client_home, "config", "show")
    assert two.alice.token not in config.stdout + config.stderr
    assert "mcp" in config.stdout


async def test_single_user_mode_serves_the_local_user_without_a_token(home: Path) -> None:
    remember(home, "My sister Ana lives in Lisbon.")
    app = create_app(home, server_settings(), skills=Skills())
    for live in run_live(app):
        async with http_session(live.url, None) as session:
            found = await session.call_tool("memory_search", {"query": "Ana"})
        assert "Lisbon" in text_of(found)
