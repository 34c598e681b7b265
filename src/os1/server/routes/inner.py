"""The inner life over HTTP, for the web app's pages: our story, the journal, open threads,
the companion's own self (to see, edit and reset), and a piece of music of our time. Every
route reads and writes only the logged-in user's data."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from os1.inner import compose as music
from os1.inner import journal, story
from os1.inner.life import InnerLife
from os1.inner.self import KINDS, MAX_CLAIM_CHARS, Self
from os1.memory.store import MemoryStore
from os1.server.auth import CallerDep
from os1.server.errors import BadRequest
from os1.server.hub import UserRuntime
from os1.server.state import MAX_ID, server_of

router = APIRouter(tags=["inner life"])
T = TypeVar("T")

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_CLAIM_CHARS)]
Why = Annotated[str, Field(max_length=MAX_CLAIM_CHARS)]
Reason = Annotated[str, Field(max_length=500)]


class MomentOut(BaseModel):
    day: str
    kind: str
    text: str


class EntryOut(BaseModel):
    id: int
    day: str
    text: str
    sources: list[str]


class ThreadOut(BaseModel):
    id: int
    topic: str
    question: str
    due: str
    state: str


class ClaimOut(BaseModel):
    id: int
    kind: str
    text: str
    why: str
    conversation_id: int | None
    source: str
    since: str


class SelfOut(BaseModel):
    version: int
    claims: list[ClaimOut]


class NewClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    text: Text
    why: Why = ""
    reason: Reason = ""


class ClaimChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text | None = None
    why: Why | None = None
    kind: str | None = None
    reason: Reason = ""


class Reset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=0, le=MAX_ID)
    reason: Reason = ""


class ComposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    day: date | None = None


def _memories(rt: UserRuntime) -> MemoryStore:
    if rt.memory is None:
        raise BadRequest(
            "long-term memory is switched off on this server, and the journal lives there",
            hint="The admin can turn it on with `os1 config set memory true`.",
        )
    return rt.memory.store


def _self_out(me: Self) -> dict[str, Any]:
    return {"version": me.version, "claims": [c.as_dict() for c in me.claims()]}


async def _run(request: Request, user_id: str, work: Callable[[UserRuntime], T]) -> T:
    return await server_of(request).hub.run(user_id, work)


@router.get("/api/inner/story", response_model=list[MomentOut])
async def our_story(caller: CallerDep, request: Request) -> list[dict[str, str]]:
    """Our story: the day we met, firsts, anniversaries, oldest first."""

    def read(rt: UserRuntime) -> list[dict[str, str]]:
        today = InnerLife(rt.store, rt.settings).today
        return [m.as_dict() for m in story.timeline(rt.store, today)]

    return await _run(request, caller.user_id, read)


@router.get("/api/inner/journal", response_model=list[EntryOut])
async def journal_entries(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    """The companion's journal, oldest first, each entry with the memories it was written from."""
    result: list[dict[str, Any]] = await _run(
        request, caller.user_id, lambda rt: [e.as_dict() for e in journal.entries(_memories(rt))]
    )
    return result


@router.delete("/api/inner/journal/{entry_id}", status_code=204)
async def delete_entry(caller: CallerDep, request: Request, entry_id: ItemId) -> Response:
    """Delete an entry; that day is not written about again."""
    await _run(
        request, caller.user_id, lambda rt: journal.delete(rt.store, _memories(rt), entry_id)
    )
    return Response(status_code=204)


@router.get("/api/inner/threads", response_model=list[ThreadOut])
async def open_threads(
    caller: CallerDep,
    request: Request,
    all: Annotated[bool, Query(description="Closed threads too")] = False,
) -> list[dict[str, Any]]:
    """What the companion means to ask about once its day has passed."""

    def read(rt: UserRuntime) -> list[dict[str, Any]]:
        life = InnerLife(rt.store, rt.settings)
        return [t.as_dict() for t in life.threads(include_closed=all)]

    return await _run(request, caller.user_id, read)


@router.post("/api/inner/threads/{thread_id}/close", response_model=ThreadOut)
async def close_thread(caller: CallerDep, request: Request, thread_id: ItemId) -> dict[str, Any]:
    """Close a thread: the companion will not ask about it."""
    return await _run(
        request,
        caller.user_id,
        lambda rt: InnerLife(rt.store, rt.settings).close(thread_id).as_dict(),
    )


@router.get("/api/inner/self", response_model=SelfOut)
async def the_self(
    caller: CallerDep,
    request: Request,
    version: Annotated[int | None, Query(ge=0, le=MAX_ID, description="As it was then")] = None,
) -> dict[str, Any]:
    """The companion's own self: interests, opinions and why, curiosities, how it sees you two."""

    def read(rt: UserRuntime) -> dict[str, Any]:
        me = Self(rt.store)
        at = me.version if version is None else version
        return {"version": at, "claims": [c.as_dict() for c in me.claims(at=at)]}

    return await _run(request, caller.user_id, read)


@router.get("/api/inner/self/history")
async def self_history(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    """Every change to the self, with its reason."""
    return await _run(
        request, caller.user_id, lambda rt: [v.as_dict() for v in Self(rt.store).history()]
    )


@router.post("/api/inner/self/claims", response_model=SelfOut, status_code=201)
async def add_claim(body: NewClaim, caller: CallerDep, request: Request) -> dict[str, Any]:
    def add(rt: UserRuntime) -> dict[str, Any]:
        me = Self(rt.store)
        me.add(body.kind, body.text, why=body.why, reason=body.reason or "added by the user")
        return _self_out(me)

    return await _run(request, caller.user_id, add)


@router.patch("/api/inner/self/claims/{claim_id}", response_model=SelfOut)
async def change_claim(
    body: ClaimChange, caller: CallerDep, request: Request, claim_id: ItemId
) -> dict[str, Any]:
    def change(rt: UserRuntime) -> dict[str, Any]:
        me = Self(rt.store)
        me.edit(
            claim_id,
            text=body.text,
            why=body.why,
            kind=body.kind,
            reason=body.reason or "edited by the user",
        )
        return _self_out(me)

    return await _run(request, caller.user_id, change)


@router.delete("/api/inner/self/claims/{claim_id}", response_model=SelfOut)
async def remove_claim(caller: CallerDep, request: Request, claim_id: ItemId) -> dict[str, Any]:
    def remove(rt: UserRuntime) -> dict[str, Any]:
        me = Self(rt.store)
        me.remove(claim_id, reason="removed by the user")
        return _self_out(me)

    return await _run(request, caller.user_id, remove)


@router.post("/api/inner/self/reset", response_model=SelfOut)
async def reset_self(body: Reset, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Return to an earlier version (0: empty); the reset is a version too, so undoable."""

    def reset(rt: UserRuntime) -> dict[str, Any]:
        me = Self(rt.store)
        me.reset(body.version, reason=body.reason)
        return _self_out(me)

    return await _run(request, caller.user_id, reset)


@router.post(
    "/api/inner/compose",
    responses={200: {"content": {"audio/wav": {}, "audio/midi": {}}}},
    response_class=Response,
)
async def compose(body: ComposeIn, caller: CallerDep, request: Request) -> Response:
    """A short piano piece of our time (or one conversation or day): WAV when the server has
    fluidsynth and a sound font, else the MIDI file, with the reason in `X-OS1-Not-Rendered`."""

    def make(rt: UserRuntime) -> tuple[bytes, str, dict[str, str]]:
        piece = music.compose(
            music.arc(rt.store, conversation_id=body.conversation_id, day=body.day)
        )
        with tempfile.TemporaryDirectory(prefix="os1-compose-") as folder:
            midi, wav = FilePath(folder) / "piece.mid", FilePath(folder) / "piece.wav"
            music.write_midi(piece, midi)
            why_not = music.render(midi, wav)
            about = {
                "X-OS1-Key": f"{piece.key} {piece.mode}",
                "X-OS1-Tempo": str(piece.bpm),
                "X-OS1-Seconds": f"{piece.seconds:.1f}",
            }
            if why_not is not None:
                return midi.read_bytes(), "audio/midi", {**about, "X-OS1-Not-Rendered": why_not}
            return wav.read_bytes(), "audio/wav", about

    data, media, headers = await _run(request, caller.user_id, make)
    name = "piece.wav" if media == "audio/wav" else "piece.mid"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(data, media_type=media, headers=headers)
