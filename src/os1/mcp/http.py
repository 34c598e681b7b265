"""`/mcp` under `os1 serve`: the same MCP server over streamable HTTP, each request acting
for the owner of its API token (`Authorization: Bearer os1_…`), exactly as the REST API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from os1.errors import OS1Error
from os1.events import Event
from os1.mcp.server import UserParts, build_server, with_memory_tools
from os1.server.auth import identify
from os1.server.errors import error_response, status_for
from os1.server.hub import Hub
from os1.skills import SkillContext, Skills

# Where the authenticated user travels with the request, from the door to the tool.
USER_KEY = "os1.user_id"


def _here(make: Callable[[], AsyncIterator[Event]]) -> AsyncIterator[Event]:
    return make()


async def _in_thread(fn: Callable[[], str]) -> str:
    return await asyncio.to_thread(fn)


class McpEndpoint:
    """The ASGI app at /mcp: authenticates each request, then hands it to the SDK."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._skills: Skills | None = None
        # Stateless: every request stands alone, so each one is authenticated on its own
        # and no session outlives the token that opened it.
        self.manager = StreamableHTTPSessionManager(
            app=build_server(self._user), stateless=True, json_response=True
        )

    @property
    def skills(self) -> Skills:
        if self._skills is None:
            self._skills = with_memory_tools(self.hub.skills)
        return self._skills

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    @contextlib.asynccontextmanager
    async def _user(self, ctx: ServerRequestContext[Any, Any]) -> AsyncIterator[UserParts]:
        request = ctx.request
        user_id = request.scope.get(USER_KEY) if request is not None else None
        if not isinstance(user_id, str):
            raise PermissionError("an unauthenticated MCP request")  # never reached: see __call__
        hub = self.hub
        async with hub.use(user_id) as runtime:
            ctx_ = SkillContext(
                store=runtime.store,
                settings=runtime.settings,
                home=runtime.home,
                memory=runtime.memory,
                model=hub.model,
            )
            # The tool runs on the server's loop like any turn (its blocking tools go to
            # threads inside the runner); reading a resource is blocking work for a thread.
            yield UserParts(skills=self.skills, ctx=ctx_, stream=_here, call=_in_thread)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            caller = identify(HTTPConnection(scope))
        except OS1Error as exc:
            response = error_response(status_for(exc), exc.code, exc.message, exc.hint or "")
            if response.status_code == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        scope[USER_KEY] = caller.user_id
        await self.manager.handle_request(scope, receive, send)
