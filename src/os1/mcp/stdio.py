"""`os1 mcp`: OS1 served to one desktop MCP host over stdin/stdout, as the local user."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server

from os1.events import Event
from os1.interfaces.app import App
from os1.mcp.server import UserParts, build_server, with_memory_tools


def _direct(make: Callable[[], AsyncIterator[Event]]) -> AsyncIterator[Event]:
    return make()


async def _call(fn: Callable[[], str]) -> str:
    return fn()


def local_parts(app: App) -> UserParts:
    return UserParts(
        skills=with_memory_tools(app.skills), ctx=app.skill_context(), stream=_direct, call=_call
    )


def serve_stdio(app: App) -> None:
    """Serve until the host closes stdin."""
    parts = local_parts(app)

    @contextlib.asynccontextmanager
    async def user(ctx: ServerRequestContext[Any, Any]) -> AsyncIterator[UserParts]:
        yield parts

    server = build_server(user)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)
