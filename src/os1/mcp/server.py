"""OS1 as an MCP server: the user's memory and a chosen set of skill tools, their schemas
derived from the same typed functions the companion uses, and two read-only resources.

Every call runs through `ToolRunner` with origin "model", so the rule is the one of every
other interface: a call with a side effect (forgetting, sending, adding to the calendar) is
stored as a pending action that the user confirms in OS1 (`os1 actions confirm ID`); nothing
an MCP host says can confirm it. The user is whoever the transport says (`UserParts`): the
local user over stdio, the token's owner over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

import os1
from os1.errors import OS1Error
from os1.events import ConfirmationRequired, Event, ToolResult
from os1.mcp import memory_tools
from os1.mind.persona import Identity, system_prompt
from os1.skills import PlannedCall, SkillContext, Skills, quote_untrusted
from os1.skills.runner import ToolRunner
from os1.storage.base import Store

# The conversation that holds calls made by MCP hosts (and their pending actions).
CONVERSATION_KEY = "mcp_conversation"
CONVERSATION_TITLE = "From MCP hosts"


@dataclass(frozen=True)
class Exposed:
    """A tool offered to MCP hosts, with hints that describe it truthfully. "Read-only"
    means nothing changes outside OS1's own bookkeeping (which mail was listed last)."""

    name: str
    read_only: bool
    destructive: bool = False
    open_world: bool = False
    title: str | None = None


EXPOSED = (
    Exposed("memory_search", read_only=True, title="Search memories"),
    Exposed("memory_list", read_only=True, title="List memories"),
    Exposed("memory_show", read_only=True, title="Show a memory"),
    Exposed("memory_remember", read_only=False, title="Remember something"),
    Exposed("memory_forget", read_only=False, destructive=True, title="Forget memories"),
    Exposed("calendar_events", read_only=True, open_world=True, title="Calendar events"),
    Exposed("calendar_free", read_only=True, open_world=True, title="Free time"),
    Exposed("calendar_add", read_only=False, open_world=True, title="Add a calendar event"),
    Exposed("list_reminders", read_only=True, title="List reminders"),
    Exposed("set_reminder", read_only=False, title="Set a reminder"),
    Exposed("search_notes", read_only=True, title="Search notes"),
    Exposed("add_note", read_only=False, title="Add a note"),
    Exposed("check_mail", read_only=True, open_world=True, title="Check mail"),
    # Reading notes facts from the mail into memory: not read-only.
    Exposed("read_mail", read_only=False, open_world=True, title="Read a mail"),
    Exposed("summarize_mail", read_only=True, open_world=True, title="Summarise a mail"),
    Exposed("draft_reply", read_only=False, open_world=True, title="Draft a reply"),
    # Sending adds a mail (nothing is destroyed), but only once the user confirms in OS1.
    Exposed("send_mail", read_only=False, open_world=True, title="Send a mail"),
)

PROFILE_URI = "os1://profile"
PERSONA_URI = "os1://persona"


@dataclass
class UserParts:
    """One user's parts for one request, and how to run async work on them."""

    skills: Skills
    ctx: SkillContext
    # Runs an async generator that uses this user's parts (on the server, and over stdio,
    # simply on the running loop: the parts move their blocking work to threads).
    stream: Callable[[Callable[[], AsyncIterator[Event]]], AsyncIterator[Event]]
    # Runs blocking work on this user's store (a worker thread on the server).
    call: Callable[[Callable[[], str]], Awaitable[str]]


UserSource = Callable[[ServerRequestContext[Any, Any]], AbstractAsyncContextManager[UserParts]]


def with_memory_tools(skills: Skills) -> Skills:
    """The skills plus the memory tools (unless a toolkit already has them)."""
    if any(kit.name == memory_tools.toolkit.name for kit in skills.toolkits):
        return skills
    return Skills([*skills.toolkits, memory_tools.toolkit])


def exposed_tools(skills: Skills) -> list[types.Tool]:
    """The MCP descriptions of the exposed tools these skills have, schemas derived."""
    listed = []
    for exposed in EXPOSED:
        found = skills.tools.get(exposed.name)
        if found is None:
            continue
        schema = found.params.model_json_schema()
        schema.pop("title", None)
        listed.append(
            types.Tool(
                name=found.name,
                title=exposed.title,
                description=found.description,
                input_schema=schema,
                annotations=types.ToolAnnotations(
                    title=exposed.title,
                    read_only_hint=exposed.read_only,
                    destructive_hint=exposed.destructive,
                    idempotent_hint=exposed.read_only,
                    open_world_hint=exposed.open_world,
                ),
            )
        )
    return listed


def mcp_conversation(store: Store) -> int:
    return store.ensure_conversation(CONVERSATION_KEY, CONVERSATION_TITLE)


async def call_tool(parts: UserParts, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    """Run one exposed tool for this user, under the confirmation rule."""
    if name not in {e.name for e in EXPOSED} or name not in parts.skills.tools:
        return _error(f"no tool named {name!r}")
    runner = ToolRunner(parts.skills, parts.ctx)

    async def run() -> AsyncIterator[Event]:
        # This user's skill tables, up to date, and the conversation the call is kept in:
        # store work, on a thread so the server's one loop never waits on it.
        await asyncio.to_thread(parts.skills.prepare, parts.ctx)
        conversation = await asyncio.to_thread(mcp_conversation, parts.ctx.store)
        async for event in runner.run_one(conversation, PlannedCall(name, arguments), "model"):
            yield event

    events = [event async for event in parts.stream(run)]
    for event in events:
        if isinstance(event, ConfirmationRequired):
            text = (
                f"Waiting for the user's confirmation in OS1: {event.summary}\n"
                f"Nothing happens until they confirm it there (`os1 actions confirm "
                f"{event.call_id}`, or in the OS1 app)."
            )
            return types.CallToolResult(
                content=[types.TextContent(text=text)],
                structured_content={"status": "pending", "action_id": event.call_id},
            )
    result = next((e for e in events if isinstance(e, ToolResult)), None)
    if result is None:
        return _error(f"{name} gave no result")
    output = runner.outputs[-1] if runner.outputs else None
    text = result.output
    if output is not None and output.untrusted:
        text = quote_untrusted(text, name)
    structured: dict[str, Any] = {"status": result.status}
    if output is not None and output.data is not None and result.ok:
        structured["data"] = _jsonable(output.data)
    return types.CallToolResult(
        content=[types.TextContent(text=text)],
        structured_content=structured,
        is_error=not result.ok,
    )


def _jsonable(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def profile_text(store: Store) -> str:
    identity = Identity.load(store)
    return json.dumps(
        {
            "user_name": identity.user_name,
            "companion_name": identity.companion_name,
            "voice": identity.voice,
            "answers": identity.answers,
            "onboarded": identity.onboarded,
        },
        ensure_ascii=False,
        indent=2,
    )


def persona_text(store: Store) -> str:
    return system_prompt(Identity.load(store), date.today())


RESOURCES = (
    types.Resource(
        uri=PROFILE_URI,
        name="profile",
        title="Your profile",
        description="What OS1 knows about you from setup: your name, answers, the voice.",
        mime_type="application/json",
    ),
    types.Resource(
        uri=PERSONA_URI,
        name="persona",
        title="The companion's persona",
        description="How the companion is asked to be, as it reads it.",
        mime_type="text/markdown",
    ),
)


def build_server(user: UserSource) -> Server[Any]:
    """The MCP server; `user` gives the caller's parts for each request."""

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        async with user(ctx) as parts:
            return types.ListToolsResult(tools=exposed_tools(parts.skills))

    async def on_call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        async with user(ctx) as parts:
            try:
                return await call_tool(parts, params.name, dict(params.arguments or {}))
            except OS1Error as exc:
                message = exc.message.rstrip(".") + "."
                return _error(message + (f" {exc.hint}" if exc.hint else ""))

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=list(RESOURCES))

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        readers = {PROFILE_URI: profile_text, PERSONA_URI: persona_text}
        reader = readers.get(str(params.uri))
        if reader is None:
            raise ValueError(f"no resource {params.uri}")
        async with user(ctx) as parts:
            store = parts.ctx.store
            text = await parts.call(lambda: reader(store))
        shown = next(r for r in RESOURCES if r.uri == str(params.uri))
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(uri=shown.uri, mime_type=shown.mime_type, text=text)
            ]
        )

    return Server(
        "os1",
        version=os1.__version__,
        instructions="The user's companion OS1: their memories, calendar, reminders, notes and "
        "mail. Actions with side effects wait for the user's confirmation in OS1.",
        on_list_tools=list_tools,
        on_call_tool=on_call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )
