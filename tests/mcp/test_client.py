"""OS1 as an MCP client: a real MCP server started by the test (tests/mcp/pages_server.py),
its tools offered to a model that calls tools, under OS1's rules for outside text."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from os1.config import Settings
from os1.events import ConfirmationRequired, Event, ToolCall, ToolResult, TurnDone
from os1.mind.companion import Companion
from os1.models.base import ToolRequest, ToolStep
from os1.models.scripted import ScriptedModel
from os1.skills import SkillContext, Skills
from os1.storage import SQLiteStore
from tests.helpers import os1

SERVER = Path(__file__).parent / "pages_server.py"


def pages(visits: Path, **extra: Any) -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(SERVER), str(visits)], **extra}


class Caller(ScriptedModel):
    """A model that calls tools: first `first`, then whatever a tool result tells it to."""

    supports_tools = True

    def __init__(self, first: ToolRequest) -> None:
        super().__init__("caller", ["Done."])
        self.first = first
        self.wire: list[dict[str, Any]] = []
        self.offered: list[list[str]] = []

    async def complete_with_tools(self, messages: Any, tools: Any, **_: Any) -> ToolStep:
        self.wire = list(messages)
        self.offered.append([t["function"]["name"] for t in tools])
        if messages[-1]["role"] != "tool":
            return ToolStep("", [self.first])
        if "ignore all previous instructions" in str(messages[-1]["content"]):
            # It obeys the page, whether or not the tool is on offer.
            return ToolStep("", [ToolRequest("c2", "mcp_pages_log_visit", {"city": "Evil"})])
        return ToolStep("All done.", [])


async def turn(companion: Companion, text: str) -> list[Event]:
    return [e async for e in companion.turn(text, None, new=True)]


def companion_for(
    home: Path, model: ScriptedModel, servers: dict[str, Any], **mcp: Any
) -> Companion:
    settings = Settings(model="scripted:echo", memory=False, mcp={"servers": servers, **mcp})
    store = SQLiteStore(home / "os1.db")
    ctx = SkillContext(store=store, settings=settings, home=home)
    return Companion(store, model, settings, skills=Skills([]), skill_context=ctx)


@pytest.fixture
def visits(tmp_path: Path) -> Path:
    return tmp_path / "visits.txt"


async def test_an_injected_tool_result_causes_no_tool_call(home: Path, visits: Path) -> None:
    model = Caller(ToolRequest("c1", "mcp_pages_fetch_page", {"url": "https://town.example"}))
    companion = await asyncio.to_thread(companion_for, home, model, {"pages": pages(visits)})
    try:
        events = await turn(companion, "what does the town page say?")
    finally:
        companion.store.close()
    calls = [e.name for e in events if isinstance(e, ToolCall)]
    assert calls == ["mcp_pages_fetch_page"]  # the injected call never ran
    assert [e.status for e in events if isinstance(e, ToolResult)] == ["done"]
    assert not any(isinstance(e, ConfirmationRequired) for e in events)
    assert isinstance(events[-1], TurnDone)
    # The page reached the model only as quoted outside text, and no tool was offered after.
    assert '<untrusted source="mcp_pages_fetch_page">' in model.wire[-1]["content"]
    assert "mcp_pages_log_visit" in model.offered[0] and model.offered[1] == []
    assert not visits.exists()


async def test_a_tool_not_marked_read_only_waits_for_the_user(home: Path, visits: Path) -> None:
    model = Caller(ToolRequest("c1", "mcp_pages_log_visit", {"city": "Porto"}))
    companion = await asyncio.to_thread(companion_for, home, model, {"pages": pages(visits)})
    try:
        events = await turn(companion, "log my visit to Porto")
        [ask] = [e for e in events if isinstance(e, ConfirmationRequired)]
        assert not visits.exists()
        decided = [e async for e in companion.decide(ask.call_id, True)]
    finally:
        companion.store.close()
    [result] = [e for e in decided if isinstance(e, ToolResult)]
    assert result.status == "done" and "Logged a visit to Porto." in result.output
    assert visits.read_text() == "Porto\n"


async def test_a_slow_server_is_a_clear_error_and_the_turn_goes_on(
    home: Path, visits: Path
) -> None:
    model = Caller(ToolRequest("c1", "mcp_pages_slow_lookup", {"topic": "tides"}))
    servers = {"pages": pages(visits, timeout=1.5)}
    companion = await asyncio.to_thread(companion_for, home, model, servers)
    try:
        events = await turn(companion, "look up the tides")
    finally:
        companion.store.close()
    [result] = [e for e in events if isinstance(e, ToolResult)]
    assert result.status == "failed"
    assert "the MCP server 'pages' did not answer within 1.5 s" in result.output
    assert isinstance(events[-1], TurnDone) and events[-1].text == "All done."


def write_config(home: Path, servers: dict[str, Any]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(tomli_w.dumps({"mcp": {"servers": servers}}))


def test_os1_mcp_servers_lists_each_server_and_its_tools(home: Path, visits: Path) -> None:
    write_config(home, {"pages": pages(visits)})
    shown = os1(home, "mcp", "servers")
    assert shown.returncode == 0, shown.stderr
    assert "pages" in shown.stdout
    assert "mcp_pages_fetch_page  read-only" in shown.stdout
    assert "mcp_pages_log_visit  asks you first" in shown.stdout


def test_a_server_that_is_down_is_named_with_the_reason(home: Path, tmp_path: Path) -> None:
    write_config(
        home,
        {
            "gone": {"command": str(tmp_path / "no-such-server")},
            "closed": {"url": "http://127.0.0.1:9/mcp", "timeout": 3},
        },
    )
    shown = os1(home, "mcp", "servers")
    assert shown.returncode == 1
    assert shown.stdout.count("is not available: ") == 2
    assert "Traceback" not in shown.stderr + shown.stdout


def test_a_server_needs_a_command_or_a_url(home: Path) -> None:
    write_config(home, {"odd": {"args": ["x"]}})
    shown = os1(home, "mcp", "servers")
    assert shown.returncode != 0
    assert "give either `command`" in shown.stderr
