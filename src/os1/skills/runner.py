"""Running tool calls inside a conversation, with the confirmation rule enforced in one place.

A call without side effects runs at once. A call with side effects is stored as *pending* and
announced with a `ConfirmationRequired` event; it runs only when `decide(call_id, True)` is
called for that exact id, and a stored status change (pending → running) makes it run at most
once, whichever interface confirms. Every call and its outcome is kept in the conversation.
A tool that writes where recall reads (`writes_recall`, a note) is confirmed the same way when
the model asks for it; recognised in the user's own words (an intent) it runs at once.

A confirmation is for the moment it was asked: after `pending_action_ttl_hours` a pending call
expires and can only be asked for again, so old proposals don't pile up waiting for a "yes".
Text a tool marks untrusted is cleaned (`clean_untrusted`) before anyone sees it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Literal

from os1.config import Settings
from os1.errors import NotFound, OS1Error
from os1.events import ConfirmationRequired, Event, ToolCall, ToolResult
from os1.skills import Skills
from os1.skills.base import PlannedCall, SkillContext, Tool, ToolError, ToolOutput
from os1.skills.untrusted import clean_untrusted
from os1.storage.base import Store, ToolCallRecord

# How much of a tool's output is kept in the conversation record.
RECORD_CHARS = 20_000


class ToolRunner:
    def __init__(self, skills: Skills, ctx: SkillContext) -> None:
        self.skills = skills
        self.ctx = ctx
        self.outputs: list[ToolOutput] = []
        self.pending: list[ToolCallRecord] = []

    async def run(
        self, conversation_id: int, calls: list[PlannedCall], origin: Literal["intent", "model"]
    ) -> AsyncIterator[Event]:
        for planned in calls:
            async for event in self.run_one(conversation_id, planned, origin):
                yield event

    async def run_one(
        self,
        conversation_id: int,
        planned: PlannedCall,
        origin: Literal["intent", "model"],
    ) -> AsyncIterator[Event]:
        store = self.ctx.store
        call_id = "call_" + uuid.uuid4().hex[:16]
        try:
            tool = self.skills.get(planned.tool)
            arguments = tool.validate(planned.arguments)
        except OS1Error as exc:
            self.outputs.append(ToolOutput(text=exc.message))
            yield ToolResult(
                call_id=call_id, name=planned.tool, output=exc.message, ok=False, status="failed"
            )
            return
        summary = tool.summary(arguments)
        confirm = tool.confirm_first(origin)
        if confirm and tool.warn is not None:
            warning = tool.warn(self.ctx, arguments)
            if warning:
                summary += f"\n\nWarning: {_sentence(warning)}"
        if confirm:
            expire_pending(store, pending_ttl(self.ctx.settings))
        record = ToolCallRecord(
            id=call_id,
            conversation_id=conversation_id,
            name=tool.name,
            arguments=arguments,
            side_effect=confirm,
            origin=origin,
            summary=summary,
            status="pending" if confirm else "running",
            created_at=_now(),
        )
        store.add_tool_call(record)
        yield ToolCall(call_id=call_id, name=tool.name, arguments=arguments, side_effect=confirm)
        if confirm:
            self.pending.append(record)
            yield ConfirmationRequired(
                call_id=call_id, name=tool.name, summary=summary, arguments=arguments
            )
            return
        yield await self._execute(record)

    async def decide(self, call_id: str, approve: bool) -> ToolResult:
        """Confirm or decline one pending call; raises NotFound for another user's id."""
        store = self.ctx.store
        record = store.get_tool_call(call_id)
        if record.status == "expired":
            raise ToolError(
                "that action has expired and can't be confirmed any more",
                hint="Ask for it again if you still want it.",
            )
        if record.status != "pending":
            raise ToolError(
                f"that action is already {record.status}",
                hint="Only a pending action can be confirmed or declined, and only once.",
            )
        ttl = pending_ttl(self.ctx.settings)
        if _age(record.created_at) > ttl:
            if not store.claim_tool_call(call_id, "pending", "expired"):
                raise ToolError("that action was already decided")
            return self._finish(record, "expired", expired_text(ttl))
        if not approve:
            if not store.claim_tool_call(call_id, "pending", "declined"):
                raise ToolError("that action was already decided")
            return self._finish(record, "declined", "Cancelled; nothing was done.")
        if not store.claim_tool_call(call_id, "pending", "running"):
            raise ToolError("that action was already decided")
        return await self._execute(record)

    # -- MCP: a pending memory_forget asked for by an MCP host is confirmed here, by a
    # companion whose skills don't include the memory tools.
    def _tool(self, name: str) -> Tool:
        try:
            return self.skills.get(name)
        except NotFound:
            from os1.mcp.memory_tools import core_tool

            return core_tool(name)

    # -- end MCP

    async def _execute(self, record: ToolCallRecord) -> ToolResult:
        tool = self._tool(record.name)
        ctx = dataclasses.replace(self.ctx, conversation_id=record.conversation_id)
        try:
            output = await tool.run(ctx, record.arguments)
        except OS1Error as exc:
            output = ToolOutput(text=_sentence(exc.message) + (f" {exc.hint}" if exc.hint else ""))
            self.outputs.append(output)
            return self._finish(record, "failed", output.text)
        if output.untrusted:
            output = dataclasses.replace(output, text=clean_untrusted(output.text))
        self.outputs.append(output)
        return self._finish(record, "done", output.text, untrusted=output.untrusted)

    def _finish(
        self,
        record: ToolCallRecord,
        status: Literal["done", "failed", "declined", "expired"],
        text: str,
        *,
        untrusted: bool = False,
    ) -> ToolResult:
        store = self.ctx.store
        store.finish_tool_call(record.id, status, text[:RECORD_CHARS])
        store.add_message(
            record.conversation_id,
            "tool",
            text[:RECORD_CHARS],
            meta={
                "call_id": record.id,
                "name": record.name,
                "status": status,
                "untrusted": untrusted,
            },
        )
        return ToolResult(
            call_id=record.id, name=record.name, output=text, ok=status == "done", status=status
        )


def pending_ttl(settings: Settings) -> timedelta:
    return timedelta(hours=settings.pending_action_ttl_hours)


def expired_text(ttl: timedelta) -> str:
    hours = ttl.total_seconds() / 3600
    age = f"{hours:g} hour{'' if hours == 1 else 's'}"
    return (
        f"That action has expired: it was asked for more than {age} ago, so nothing was done. "
        "Ask me again if you still want it."
    )


def expire_pending(store: Store, ttl: timedelta) -> list[ToolCallRecord]:
    """Mark every pending call older than `ttl` expired; returns the ones it expired."""
    expired = []
    for record in store.tool_calls(status="pending"):
        if _age(record.created_at) > ttl and store.claim_tool_call(record.id, "pending", "expired"):
            store.finish_tool_call(record.id, "expired", expired_text(ttl))
            expired.append(record)
    return expired


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _age(stamp: str) -> timedelta:
    then = datetime.fromisoformat(stamp)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return datetime.now(UTC) - then


def _sentence(text: str) -> str:
    """End a message with a full stop, so a hint after it reads as a second sentence."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?…:)" else text + "."


def confirmation_prompt(summaries: list[str]) -> str:
    if len(summaries) == 1:
        return f"Shall I {summaries[0]}? Please confirm."
    listed = "\n".join(f"- {s}" for s in summaries)
    return f"Shall I do these? Please confirm each:\n{listed}"


__all__ = ["ToolRunner", "confirmation_prompt", "expire_pending", "pending_ttl"]
