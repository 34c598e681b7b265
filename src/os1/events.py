"""The typed event stream of one conversation turn.

A turn is an async iterator of these events; the CLI, the web socket and the HTTP API are
only different renderings of it. Every event serialises to JSON with a `type` tag.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class TurnStarted(_Event):
    """The user's message is durably stored; the model has not been called yet."""

    type: Literal["turn_started"] = "turn_started"
    conversation_id: int
    user_message_id: int


class TextDelta(_Event):
    type: Literal["text_delta"] = "text_delta"
    text: str


class SafetyNotice(_Event):
    """A policy in code (not the model) decided part of this reply."""

    type: Literal["safety"] = "safety"
    kind: Literal["crisis", "ai_disclosure"]


class MemoryRecalled(_Event):
    """Memories put into the prompt for this reply (filled in by the memory layer)."""

    type: Literal["memory_recalled"] = "memory_recalled"
    memories: list[dict[str, object]]


class ToolCall(_Event):
    """A tool is about to run (or, with a side effect, to wait for confirmation)."""

    type: Literal["tool_call"] = "tool_call"
    call_id: str
    name: str
    arguments: dict[str, object]
    side_effect: bool = False


class ConfirmationRequired(_Event):
    """A side effect waits for the user to confirm this exact call (by its id)."""

    type: Literal["confirm"] = "confirm"
    call_id: str
    name: str
    summary: str
    arguments: dict[str, object]


class ToolResult(_Event):
    type: Literal["tool_result"] = "tool_result"
    call_id: str
    name: str = ""
    output: str
    ok: bool = True
    status: Literal["done", "failed", "declined", "expired"] = "done"


class Notification(_Event):
    """The companion speaks first: a reminder, a check-in, a nudge before an event."""

    type: Literal["notification"] = "notification"
    kind: str
    text: str
    conversation_id: int
    message_id: int
    due_at: str | None = None
    late: bool = False


class TurnDone(_Event):
    type: Literal["done"] = "done"
    conversation_id: int
    message_id: int
    text: str
    status: Literal["complete", "cancelled"]
    finish_reason: str = "stop"


class TurnError(_Event):
    """The turn failed; the user's message is still stored."""

    type: Literal["error"] = "error"
    code: str
    message: str
    hint: str = ""
    message_id: int | None = None


Event = Annotated[
    TurnStarted
    | TextDelta
    | SafetyNotice
    | MemoryRecalled
    | ToolCall
    | ConfirmationRequired
    | ToolResult
    | Notification
    | TurnDone
    | TurnError,
    Field(discriminator="type"),
]

event_adapter: TypeAdapter[Event] = TypeAdapter(Event)
