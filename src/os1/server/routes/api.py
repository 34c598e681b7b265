"""REST for the web app: login, conversations, a whole turn, actions, persona, preferences."""

from __future__ import annotations

import asyncio
import math
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from os1.errors import OS1Error
from os1.events import Event, TextDelta, TurnDone, TurnError
from os1.mind import onboarding
from os1.mind import persona as keys
from os1.mind.persona import Identity, default_persona_text, system_prompt
from os1.server.auth import COOKIE, CallerDep
from os1.server.errors import AuthRequired, BadRequest, TooManyAttempts
from os1.server.hub import UserRuntime
from os1.server.security import is_https
from os1.server.state import MAX_ID, RowId, server_of
from os1.server.throttle import address_key
from os1.server.users import SESSION_TTL

router = APIRouter()

PREFERENCES_KEY = "server_preferences"


class TurnFailed(OS1Error):
    """A turn's error event, raised so the REST caller gets the matching status code."""

    def __init__(self, event: TurnError) -> None:
        super().__init__(event.message, event.hint)
        self.code = event.code


def raise_for(events: list[Event]) -> None:
    for event in events:
        if isinstance(event, TurnError):
            raise TurnFailed(event)


# -- who -----------------------------------------------------------------------------------


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: str
    username: str


class LoginOut(BaseModel):
    user: UserOut


class MeOut(UserOut):
    single_user: bool
    max_message_chars: int


@router.post("/api/login", response_model=LoginOut, tags=["account"])
async def login(body: LoginBody, request: Request) -> JSONResponse:
    """Log in with a password; sets the `os1_session` cookie (HttpOnly, SameSite=Strict,
    Secure over HTTPS). Repeated failures are answered 429 with Retry-After."""
    server = server_of(request)
    # Behind a proxy, uvicorn puts the client's own address here when it trusts the proxy
    # (--forwarded-allow-ips, 127.0.0.1 by default).
    address = address_key(request.client.host if request.client else None)
    wait = await asyncio.to_thread(server.logins.attempt, body.username, address)
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyAttempts(
            "too many failed logins",
            hint=f"Wait {seconds} seconds, then try again.",
            retry_after=seconds,
        )
    user = await asyncio.to_thread(server.users.verify, body.username, body.password)
    if user is None:
        raise AuthRequired("wrong username or password", hint="Check both and try again.")
    await asyncio.to_thread(server.logins.succeeded, body.username, address)
    secret = await asyncio.to_thread(server.users.start_session, user)
    response = JSONResponse({"user": user.public()})
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=server.hub.options.secure_cookies or is_https(request),
        path="/",
    )
    return response


@router.post("/api/logout", tags=["account"])
async def logout(request: Request) -> JSONResponse:
    """End this browser's session (safe to call when logged out)."""
    secret = request.cookies.get(COOKIE)
    if secret:
        await asyncio.to_thread(server_of(request).users.end_session, secret)
    response = JSONResponse({"ok": True})
    response.delete_cookie(
        COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=server_of(request).hub.options.secure_cookies or is_https(request),
    )
    return response


@router.get("/api/me", response_model=MeOut, tags=["account"])
async def me(caller: CallerDep, request: Request) -> dict[str, object]:
    limit = server_of(request).hub.options.max_message_chars
    return {**caller.public(), "max_message_chars": limit}


# -- conversations -------------------------------------------------------------------------


class ConversationOut(BaseModel):
    id: int
    title: str | None
    created_at: str
    updated_at: str
    message_count: int


class MessageOut(BaseModel):
    id: int
    role: str
    content: str
    status: str
    created_at: str
    meta: dict[str, Any]


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=200)


@router.get("/api/conversations", response_model=list[ConversationOut], tags=["conversations"])
async def conversations(
    caller: CallerDep, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    found = await server_of(request).hub.run(
        caller.user_id, lambda rt: rt.store.list_conversations(limit)
    )
    return [asdict(c) for c in found]


@router.post(
    "/api/conversations", response_model=ConversationOut, status_code=201, tags=["conversations"]
)
async def new_conversation(
    caller: CallerDep, request: Request, body: Annotated[NewConversation | None, Body()] = None
) -> dict[str, Any]:
    title = body.title.strip() or None if body and body.title else None
    conv = await server_of(request).hub.run(
        caller.user_id, lambda rt: rt.store.create_conversation(title)
    )
    return asdict(conv)


@router.get(
    "/api/conversations/{conversation_id}",
    response_model=ConversationOut,
    tags=["conversations"],
)
async def conversation(
    caller: CallerDep, request: Request, conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    conv = await server_of(request).hub.run(
        caller.user_id, lambda rt: rt.store.get_conversation(conversation_id)
    )
    return asdict(conv)


class ConversationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)


class ConversationDeleted(BaseModel):
    deleted: int
    forgotten: list[int] = Field(description="Memories learnt from it, forgotten with it")


@router.patch(
    "/api/conversations/{conversation_id}",
    response_model=ConversationOut,
    tags=["conversations"],
)
async def rename_conversation(
    body: ConversationChange,
    caller: CallerDep,
    request: Request,
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> dict[str, Any]:
    title = body.title.strip()
    if not title:
        raise BadRequest("the title is empty", hint="Give the conversation a name.")
    conv = await server_of(request).hub.run(
        caller.user_id, lambda rt: rt.store.rename_conversation(conversation_id, title)
    )
    return asdict(conv)


@router.delete(
    "/api/conversations/{conversation_id}",
    response_model=ConversationDeleted,
    tags=["conversations"],
)
async def delete_conversation(
    caller: CallerDep, request: Request, conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    """Delete a conversation and what was remembered from it: a transcript deleted from the
    list must not live on as conversation excerpts in memory."""

    def drop(rt: UserRuntime) -> dict[str, Any]:
        message_ids = [m.id for m in rt.store.messages(conversation_id)]  # NotFound first
        forgotten: list[int] = []
        if rt.memory is not None:
            for message_id in message_ids:
                forgotten += rt.memory.store.forget_message(message_id)
        rt.store.delete_conversation(conversation_id)
        return {"deleted": conversation_id, "forgotten": sorted(set(forgotten))}

    return await server_of(request).hub.run(caller.user_id, drop)


@router.get(
    "/api/conversations/{conversation_id}/messages",
    response_model=list[MessageOut],
    tags=["conversations"],
)
async def messages(
    caller: CallerDep,
    request: Request,
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    last: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> list[dict[str, Any]]:
    found = await server_of(request).hub.run(
        caller.user_id, lambda rt: rt.store.messages(conversation_id, last=last)
    )
    return [asdict(m) for m in found]


# -- a whole turn ---------------------------------------------------------------------------


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    conversation_id: RowId | None = None
    new: bool = False


class ChatOut(BaseModel):
    conversation_id: int
    message_id: int
    reply: str
    events: list[dict[str, Any]]


@router.post("/api/chat", response_model=ChatOut, tags=["conversations"])
async def chat(body: ChatBody, caller: CallerDep, request: Request) -> dict[str, Any]:
    """One turn, answered when complete (the WebSocket streams the same events)."""
    hub = server_of(request).hub
    events = [
        e async for e in hub.turn(caller.user_id, body.text, body.conversation_id, new=body.new)
    ]
    raise_for(events)
    done = next(e for e in events if isinstance(e, TurnDone))
    return {
        "conversation_id": done.conversation_id,
        "message_id": done.message_id,
        "reply": done.text,
        "events": [e.model_dump(mode="json") for e in events],
    }


# -- actions waiting for confirmation -------------------------------------------------------

ActionStatus = Literal["pending", "running", "done", "failed", "declined", "expired"]


CallId = Annotated[str, Path(max_length=200)]


class ActionOut(BaseModel):
    id: str
    conversation_id: int
    name: str
    arguments: dict[str, Any]
    side_effect: bool
    origin: str
    summary: str
    status: str
    created_at: str
    output: str | None
    decided_at: str | None


class DecisionOut(BaseModel):
    status: str
    output: str
    reply: str


@router.get("/api/actions", response_model=list[ActionOut], tags=["actions"])
async def actions(
    caller: CallerDep,
    request: Request,
    status: ActionStatus | None = None,
    conversation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[dict[str, Any]]:
    found = await server_of(request).hub.run(
        caller.user_id, lambda rt: rt.store.tool_calls(status, conversation_id)
    )
    return [asdict(c) for c in found]


async def _decide(request: Request, user_id: str, call_id: str, approve: bool) -> dict[str, str]:
    hub = server_of(request).hub
    events = [e async for e in hub.decide(user_id, call_id, approve)]
    raise_for(events)
    result = next((e for e in events if e.type == "tool_result"), None)
    reply = "".join(e.text for e in events if isinstance(e, TextDelta))
    return {
        "status": getattr(result, "status", "done"),
        "output": getattr(result, "output", ""),
        "reply": reply,
    }


@router.post("/api/actions/{call_id}/confirm", response_model=DecisionOut, tags=["actions"])
async def confirm(caller: CallerDep, request: Request, call_id: CallId) -> dict[str, str]:
    """Run one pending action, exactly once."""
    return await _decide(request, caller.user_id, call_id, True)


@router.post("/api/actions/{call_id}/decline", response_model=DecisionOut, tags=["actions"])
async def decline(caller: CallerDep, request: Request, call_id: CallId) -> dict[str, str]:
    return await _decide(request, caller.user_id, call_id, False)


# -- persona and preferences ----------------------------------------------------------------


class PersonaOut(BaseModel):
    companion_name: str
    user_name: str | None
    voice: str
    persona_text: str
    persona_custom: bool
    onboarded: bool
    answers: dict[str, str]
    name_reason: str | None
    rendered: str = Field(description="The persona as the companion reads it, names filled in")


class PersonaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    persona_text: str | None = Field(
        None, max_length=50_000, description="Empty: back to the default persona"
    )
    companion_name: str | None = Field(None, min_length=1, max_length=60)
    user_name: str | None = Field(None, min_length=1, max_length=60)
    voice: Literal["warm", "bright", "calm"] | None = None


def _persona(rt: UserRuntime) -> dict[str, Any]:
    identity = Identity.load(rt.store)
    return {
        "companion_name": identity.companion_name,
        "user_name": identity.user_name,
        "voice": identity.voice,
        "persona_text": identity.persona_text or default_persona_text(),
        "persona_custom": identity.persona_text is not None,
        "onboarded": identity.onboarded,
        "answers": identity.answers,
        "name_reason": rt.store.profile_value(keys.NAME_REASON),
        "rendered": system_prompt(identity, date.today()),
    }


@router.get("/api/persona", response_model=PersonaOut, tags=["persona"])
async def get_persona(caller: CallerDep, request: Request) -> dict[str, Any]:
    return await server_of(request).hub.run(caller.user_id, _persona)


@router.put("/api/persona", response_model=PersonaOut, tags=["persona"])
async def put_persona(body: PersonaBody, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Change the persona text or names; fields left out stay as they are."""
    for name in ("companion_name", "user_name"):
        value = getattr(body, name)
        if value is not None and not value.strip():
            raise BadRequest(f"{name} is empty", hint="Give a name, or leave the field out.")
    if body.voice is not None and body.voice not in onboarding.VOICES:
        raise BadRequest(f"unknown voice {body.voice!r}")

    def change(rt: UserRuntime) -> dict[str, Any]:
        # Everything is validated above, so the writes below don't stop half-way for bad input.
        if body.persona_text is not None:
            if body.persona_text.strip():
                rt.store.set_profile(keys.PERSONA_TEXT, body.persona_text)
            else:
                rt.store.delete_profile(keys.PERSONA_TEXT)
        if body.companion_name is not None:
            rt.store.set_profile(keys.COMPANION_NAME, body.companion_name.strip())
        if body.user_name is not None:
            rt.store.set_profile(keys.USER_NAME, body.user_name.strip())
        if body.voice is not None:
            rt.store.set_profile(keys.VOICE, body.voice)
        return _persona(rt)

    return await server_of(request).hub.run(caller.user_id, change)


class QuestionOut(BaseModel):
    key: str
    prompt: str


class OnboardingOut(BaseModel):
    welcome: str
    questions: list[QuestionOut]
    onboarded: bool


class OnboardingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Annotated[str, Field(max_length=2000)]] = Field(max_length=20)


class MetOut(BaseModel):
    intro: str
    persona: PersonaOut


@router.get("/api/onboarding", response_model=OnboardingOut, tags=["persona"])
async def get_onboarding(caller: CallerDep, request: Request) -> dict[str, Any]:
    """The first meeting's questions, the same the terminal asks."""
    done = await server_of(request).hub.run(
        caller.user_id, lambda rt: Identity.load(rt.store).onboarded
    )
    return {
        "welcome": onboarding.WELCOME,
        "questions": [{"key": q.key, "prompt": q.prompt} for q in onboarding.QUESTIONS],
        "onboarded": done,
    }


@router.post("/api/onboarding", response_model=MetOut, tags=["persona"])
async def post_onboarding(
    body: OnboardingBody, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """Store the answers; the companion chooses its name and introduces itself."""
    known = {q.key for q in onboarding.QUESTIONS}
    unknown = sorted(set(body.answers) - known)
    if unknown:
        raise BadRequest(f"unknown question {unknown[0]!r}", hint="Answer the questions given.")

    def meet(rt: UserRuntime) -> dict[str, Any]:
        _, intro = onboarding.finish(rt.store, dict(body.answers))
        return {"intro": intro, "persona": _persona(rt)}

    return await server_of(request).hub.run(caller.user_id, meet)


class Preferences(BaseModel):
    """What each user sets for themself; server-wide settings are the admin's config file."""

    model_config = ConfigDict(extra="forbid")
    voice_speed: float | None = Field(None, ge=0.5, le=2.0)
    theme: Literal["auto", "light", "dark"] | None = None
    speak_replies: bool | None = None


class SettingsOut(BaseModel):
    settings: dict[str, Any]
    preferences: dict[str, Any]


def preferences_of(rt: UserRuntime) -> dict[str, Any]:
    stored = rt.store.profile_value(PREFERENCES_KEY) or {}
    defaults = {"voice_speed": rt.settings.voice_speed, "theme": "auto", "speak_replies": False}
    return {**defaults, **{k: v for k, v in stored.items() if k in defaults}}


def _settings(rt: UserRuntime) -> dict[str, Any]:
    return {"settings": rt.settings.public_dict(), "preferences": preferences_of(rt)}


@router.get("/api/settings", response_model=SettingsOut, tags=["settings"])
async def get_settings(caller: CallerDep, request: Request) -> dict[str, Any]:
    """Settings in effect (secrets masked) and this user's own preferences."""
    return await server_of(request).hub.run(caller.user_id, _settings)


@router.patch("/api/settings", response_model=SettingsOut, tags=["settings"])
async def patch_settings(body: Preferences, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Change this user's preferences (only the fields sent)."""
    changes = body.model_dump(exclude_none=True)

    def change(rt: UserRuntime) -> dict[str, Any]:
        stored = dict(rt.store.profile_value(PREFERENCES_KEY) or {})
        stored.update(changes)
        rt.store.set_profile(PREFERENCES_KEY, stored)
        return _settings(rt)

    return await server_of(request).hub.run(caller.user_id, change)
