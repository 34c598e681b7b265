"""OS1 as an OpenAI-compatible model, so any OpenAI client can talk with the companion.

The last user message is the turn; the companion answers with its own persona, memory and
stored history, so earlier messages in the request are the client's copy of the context
and are not stored again. Which conversation a request continues:
`X-OS1-Conversation: <id>` if sent, else one conversation per `user` field, else a new one.
The conversation used comes back in the `X-OS1-Conversation` response header.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from os1.errors import NotFound
from os1.events import Event, TextDelta, TurnDone, TurnError
from os1.server.auth import CallerDep
from os1.server.errors import BadRequest, error_body
from os1.server.hub import UserRuntime
from os1.server.routes.api import TurnFailed
from os1.server.state import MAX_ID, server_of

router = APIRouter(tags=["openai"])

MODEL_ID = "os1"
CONVERSATIONS_KEY = "openai_conversations"  # profile: the `user` field → conversation id


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens…: the companion decides
    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=10_000)
    stream: bool = False
    user: str | None = Field(None, max_length=200)


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    if message.content is None:
        return ""
    return "".join(p.text or "" for p in message.content if p.type == "text")


@router.get("/v1/models")
async def models(caller: CallerDep) -> dict[str, Any]:
    """The one model: the companion itself."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "os1"}],
    }


def _conversation(rt: UserRuntime, header: str | None, user_field: str | None) -> int:
    store = rt.store
    if header is not None:
        try:
            wanted = int(header)
            if not 1 <= wanted <= MAX_ID:
                raise ValueError(header)
        except ValueError:
            raise BadRequest(
                f"X-OS1-Conversation must be a conversation id, not {header[:40]!r}"
            ) from None
        return store.get_conversation(wanted).id
    if not user_field:
        return store.create_conversation().id
    known = dict(store.profile_value(CONVERSATIONS_KEY) or {})
    conv_id = known.get(user_field)
    if isinstance(conv_id, int):
        try:
            return store.get_conversation(conv_id).id
        except NotFound:
            pass  # forgotten: start again
    conv_id = store.create_conversation().id
    known[user_field] = conv_id
    store.set_profile(CONVERSATIONS_KEY, known)
    return conv_id


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(
    body: ChatRequest,
    caller: CallerDep,
    request: Request,
    x_os1_conversation: Annotated[str | None, Header(max_length=40)] = None,
) -> JSONResponse | StreamingResponse:
    """Chat with the companion (streaming as server-sent events, or not)."""
    if body.model != MODEL_ID:
        raise NotFound(f"no model {body.model!r}", hint=f"This server has one model: {MODEL_ID!r}.")
    last = body.messages[-1]
    if last.role != "user":
        raise BadRequest(
            "the last message must be the user's", hint="OS1 answers the last user message."
        )
    text = _text(last)
    hub = server_of(request).hub
    hub.check_text(text)
    if not text.strip():
        raise BadRequest("the last message is empty", hint="Say something.")
    conv = await hub.run(
        caller.user_id, lambda rt: _conversation(rt, x_os1_conversation, body.user)
    )
    events = hub.turn(caller.user_id, text, conv)
    first = await anext(events)
    if isinstance(first, TurnError):
        await events.aclose()
        raise TurnFailed(first)
    headers = {"X-OS1-Conversation": str(conv)}
    created = int(time.time())
    count = hub.model.count_tokens
    if not body.stream:
        collected = [first] + [e async for e in events]
        for event in collected:
            if isinstance(event, TurnError):
                raise TurnFailed(event)
        done = next(e for e in collected if isinstance(e, TurnDone))
        prompt_tokens, completion_tokens = count(text), count(done.text)
        return JSONResponse(
            {
                "id": f"chatcmpl-{done.message_id}",
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": done.text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
            headers=headers,
        )
    return StreamingResponse(
        _sse(first, events, conv, created),
        media_type="text/event-stream",
        headers={**headers, "Cache-Control": "no-cache"},
    )


async def _sse(
    first: Event, events: AsyncIterator[Event], conv: int, created: int
) -> AsyncIterator[str]:
    chunk_id = f"chatcmpl-c{conv}-{time.time_ns()}"

    def chunk(delta: dict[str, str], finish: str | None = None) -> str:
        data = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    async def all_events() -> AsyncIterator[Event]:
        yield first
        async for event in events:
            yield event

    yield chunk({"role": "assistant", "content": ""})
    try:
        async for event in all_events():
            if isinstance(event, TextDelta):
                yield chunk({"content": event.text})
            elif isinstance(event, TurnError):
                body = error_body(event.code, event.message, event.hint)
                yield f"data: {json.dumps(body, ensure_ascii=False)}\n\n"
                return
            elif isinstance(event, TurnDone):
                yield chunk({}, "stop")
        yield "data: [DONE]\n\n"
    finally:
        await events.aclose()  # type: ignore[attr-defined]
