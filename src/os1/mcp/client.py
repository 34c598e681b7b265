"""Other MCP servers' tools, offered to OS1's model through the ordinary tool path.

Each remote tool becomes a `Tool` like a skill's: its schema is the server's, its output is
outside text (`untrusted`: quoted for the model, and no tool is offered after it in that
turn), and a tool the server does not annotate read-only waits for the user's confirmation.
A server that is down or slow is a `ToolError` with a clear message: the turn goes on.
Each call opens its own short connection, so a server that restarts is simply used again.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import mcp_types as types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from pydantic import BaseModel, ConfigDict

from mcp import ClientSession, StdioServerParameters
from os1.config import Settings
from os1.mcp.config import McpServerConfig, McpSettings, mcp_settings
from os1.skills import Skills
from os1.skills.base import SkillContext, Tool, ToolError, Toolkit, ToolOutput
from os1.skills.untrusted import clean_untrusted

log = logging.getLogger("os1.mcp")
T = TypeVar("T")
# A tool's description comes from the other server, so it is outside text too: kept short.
DESCRIPTION_CHARS = 300
OUTPUT_CHARS = 20_000


@asynccontextmanager
async def connect(config: McpServerConfig) -> AsyncIterator[ClientSession]:
    """An initialised session with one server (a child process, or an HTTP endpoint)."""
    if config.url is not None:
        headers = dict(config.headers)
        if config.token is not None:
            headers["Authorization"] = f"Bearer {config.token.get_secret_value()}"
        async with create_mcp_http_client(headers=headers) as http:
            async with streamable_http_client(config.url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    yield session
        return
    assert config.command is not None
    params = StdioServerParameters(
        command=os.path.expanduser(config.command), args=config.args, env=config.env
    )
    with open(os.devnull, "w") as errlog:  # its chatter is not ours to show
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


async def _with_server(
    name: str,
    config: McpServerConfig,
    timeout: float,
    work: Callable[[ClientSession], Awaitable[T]],
) -> T:
    try:
        with anyio.fail_after(config.timeout or timeout):
            async with connect(config) as session:
                return await work(session)
    except TimeoutError:
        raise ToolError(
            f"the MCP server {name!r} did not answer within {config.timeout or timeout:g} s",
            hint="It may be busy or stuck; try again later, or raise [mcp] timeout.",
        ) from None
    except ToolError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken server is the user's to hear about
        raise ToolError(
            f"the MCP server {name!r} is not available: {_reason(exc)}",
            hint=f"Check [mcp.servers.{name}] in the config, and that the server runs.",
        ) from None


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return (str(exc) or type(exc).__name__)[:200]


async def list_server_tools(name: str, config: McpServerConfig, timeout: float) -> list[types.Tool]:
    async def work(session: ClientSession) -> list[types.Tool]:
        return list((await session.list_tools()).tools)

    return await _with_server(name, config, timeout, work)


async def call_server_tool(
    name: str, config: McpServerConfig, timeout: float, tool: str, arguments: dict[str, Any]
) -> types.CallToolResult:
    async def work(session: ClientSession) -> types.CallToolResult:
        return await session.call_tool(tool, arguments)

    return await _with_server(name, config, timeout, work)


class _Arguments(BaseModel):
    """Whatever the other server's schema says; it checks its own arguments."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class McpTool(Tool):
    """A remote tool: the other server's schema, its output always outside text."""

    input_schema: dict[str, Any] | None = None

    def schema(self) -> dict[str, Any]:
        parameters = dict(self.input_schema or {"type": "object", "properties": {}})
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            },
        }

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(arguments, dict):
            raise ToolError(f"{self.name}: the arguments must be an object")
        missing = [k for k in (self.input_schema or {}).get("required", []) if k not in arguments]
        if missing:
            raise ToolError(f"{self.name}: bad {missing[0]}: Field required")
        return dict(arguments)


def tool_name(server: str, tool: str) -> str:
    """A name the tools API accepts (letters, digits, _ and -; at most 64)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"mcp_{server}_{tool}")[:64]


def remote_tool(server: str, config: McpServerConfig, timeout: float, found: types.Tool) -> Tool:
    read_only = bool(found.annotations and found.annotations.read_only_hint)

    async def call(ctx: SkillContext, **arguments: Any) -> ToolOutput:
        result = await call_server_tool(server, config, timeout, found.name, arguments)
        text = "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))
        if not text and result.structured_content is not None:
            text = str(result.structured_content)
        text = text[:OUTPUT_CHARS] or "(no text)"
        if result.is_error:
            raise ToolError(f"{server} says: {clean_untrusted(text)[:500]}")
        return ToolOutput(text=text, untrusted=True)

    description = clean_untrusted(found.description or found.name)[:DESCRIPTION_CHARS]
    return McpTool(
        name=tool_name(server, found.name),
        description=f"(from the MCP server “{server}”) {description}",
        func=call,
        params=_Arguments,
        side_effect=not read_only,
        input_schema=dict(found.input_schema),
    )


@dataclass
class ServerTools:
    name: str
    config: McpServerConfig
    tools: list[types.Tool]
    error: str | None = None


async def discover(settings: McpSettings) -> list[ServerTools]:
    """Every configured server and its tools (or why it gave none), asked at once."""
    found: dict[str, ServerTools] = {}

    async def one(name: str, config: McpServerConfig) -> None:
        try:
            tools = await list_server_tools(name, config, settings.timeout)
            found[name] = ServerTools(name, config, tools)
        except ToolError as exc:
            found[name] = ServerTools(name, config, [], exc.message)

    async with anyio.create_task_group() as group:
        for name, config in settings.servers.items():
            group.start_soon(one, name, config)
    return [found[name] for name in settings.servers]


def run_apart(fn: Callable[[], Awaitable[T]]) -> T:
    """Run async work to the end on its own loop and thread: callers may be inside a loop."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = anyio.run(fn)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="os1-mcp-discover", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def mcp_toolkit(settings: Settings) -> Toolkit:
    """The configured servers' tools as one toolkit; a server that is down adds none."""
    config = mcp_settings(settings)
    tools: list[Tool] = []
    for server in run_apart(lambda: discover(config)):
        if server.error:
            log.warning("MCP server %s: %s", server.name, server.error)
        for found in server.tools:
            tools.append(remote_tool(server.name, server.config, config.timeout, found))
    return Toolkit(name="mcp", tools=tools)


def with_mcp_tools(skills: Skills, settings: Settings) -> Skills:
    """The skills plus the configured MCP servers' tools."""
    if any(kit.name == "mcp" for kit in skills.toolkits):
        return skills
    return Skills([*skills.toolkits, mcp_toolkit(settings)])
