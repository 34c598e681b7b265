"""The user in control of what OS1 remembers: list, search, correct, forget, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from os1.memory import LongTermMemory
from os1.memory.about import KNOWLEDGE_KINDS, about_you
from os1.memory.store import KINDS, Memory, MemoryKind, NewMemory
from os1.mind.persona import Identity
from os1.server.auth import CallerDep
from os1.server.errors import BadRequest
from os1.server.hub import UserRuntime
from os1.server.state import MAX_ID, server_of

router = APIRouter(tags=["memory"])

MemoryId = Annotated[int, Path(ge=1, le=MAX_ID)]


class MemoryOut(BaseModel):
    id: int
    kind: str
    text: str
    sources: list[str]
    said_at: str | None
    happened_at: str | None
    speaker: str | None
    importance: float
    superseded_by: int | None
    created_at: str


class HitOut(BaseModel):
    id: int
    kind: str
    text: str
    score: float
    sources: list[str]
    said_at: str | None


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class Forgotten(BaseModel):
    forgotten: list[int]


def _memory(rt: UserRuntime) -> LongTermMemory:
    if rt.memory is None:
        raise BadRequest(
            "long-term memory is switched off on this server",
            hint="The admin can turn it on with `os1 config set memory true`.",
        )
    return rt.memory


@router.get("/api/memories", response_model=list[MemoryOut])
async def memories(
    caller: CallerDep,
    request: Request,
    kind: MemoryKind | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    all: Annotated[bool, Query(description="Include superseded versions")] = False,
) -> list[dict[str, Any]]:
    """Memories, oldest first."""

    def read(rt: UserRuntime) -> list[dict[str, Any]]:
        found = _memory(rt).store.list(kind, include_superseded=all, limit=offset + limit)
        return [m.as_dict() for m in found[offset:]]

    return await server_of(request).hub.run(caller.user_id, read)


@router.get("/api/memories/search", response_model=list[HitOut])
async def search(
    caller: CallerDep,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, object]]:
    """Hybrid lexical + semantic search; no model is called."""
    if not q.strip():
        raise BadRequest("the search is empty", hint="Give some words to look for.")

    def find(rt: UserRuntime) -> list[dict[str, object]]:
        mem = _memory(rt)
        mem.consolidate()  # the newest turns get their embeddings before we search
        return [h.as_dict() for h in mem.recall.search(q, k=k)]

    return await server_of(request).hub.run(caller.user_id, find)


class KnownOut(BaseModel):
    id: int
    ids: list[int] = Field(description="Every stored memory that says this")
    kind: str
    text: str = Field(description="Said to the user: 'Your sister is called Anna.'")
    person: str | None = Field(description="Whom it is about; null: the user")
    said_at: str | None
    created_at: str
    sources: list[str]


# A search hit weaker than this share of the best one is noise from the semantic side.
RELEVANT_SHARE = 0.5


@router.get("/api/memories/about", response_model=list[KnownOut])
async def about(
    caller: CallerDep,
    request: Request,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    kind: MemoryKind | None = None,
    excerpts: Annotated[bool, Query(description="Include raw conversation turns")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """What I know about you: in the second person, one line per thing, grouped by person;
    with `q`, the best matches of recall's own ranking, best first."""

    def read(rt: UserRuntime) -> list[dict[str, Any]]:
        mem = _memory(rt)
        # The newest turns first become what they say (and get their embeddings): a thing
        # said a moment ago belongs on this page, whether or not background consolidation
        # has reached it yet (it holds the same lock, so this waits for it, then finishes).
        mem.consolidate()
        found: list[Memory]
        if q and q.strip():
            hits = mem.recall.search(q, k=30)
            top = hits[0].score if hits else 0.0
            found = [h.memory for h in hits if h.score >= top * RELEVANT_SHARE]
        else:
            found = mem.store.list(kind)
        if kind:
            found = [m for m in found if m.kind == kind]
        elif not excerpts:
            found = [m for m in found if m.kind in KNOWLEDGE_KINDS]
        user_name = Identity.load(rt.store).user_name
        lines = about_you(found, user_name, excerpts=excerpts or kind == "episode")
        if q and q.strip():  # rank order, not grouped
            rank = {m.id: i for i, m in enumerate(found)}
            lines.sort(key=lambda line: min(rank[i] for i in line.ids))
        return [line.as_dict() for line in lines[offset : offset + limit]]

    return await server_of(request).hub.run(caller.user_id, read)


@router.get("/api/memories/export")
async def export(caller: CallerDep, request: Request) -> StreamingResponse:
    """Everything OS1 keeps about you, as JSON Lines: a header, the profile, each memory,
    each conversation with its messages."""

    def gather(rt: UserRuntime) -> dict[str, Any]:
        mem = _memory(rt)
        mem.consolidate()
        return mem.store.export()

    data = await server_of(request).hub.run(caller.user_id, gather)

    def lines() -> Iterator[str]:
        header = {k: data[k] for k in ("format", "exported_at", "user")}
        yield json.dumps({"type": "export", **header}, ensure_ascii=False) + "\n"
        yield json.dumps({"type": "profile", "profile": data["profile"]}, ensure_ascii=False)
        yield "\n"
        for memory in data["memories"]:
            yield json.dumps({"type": "memory", **memory}, ensure_ascii=False) + "\n"
        for conversation in data["conversations"]:
            yield json.dumps({"type": "conversation", **conversation}, ensure_ascii=False) + "\n"

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="os1-export.jsonl"'},
    )


@router.get("/api/memories/{memory_id}", response_model=MemoryOut)
async def memory(caller: CallerDep, request: Request, memory_id: MemoryId) -> dict[str, Any]:
    return await server_of(request).hub.run(
        caller.user_id, lambda rt: _memory(rt).store.get(memory_id).as_dict()
    )


@router.patch("/api/memories/{memory_id}", response_model=MemoryOut)
async def correct(
    body: Correction, caller: CallerDep, request: Request, memory_id: MemoryId
) -> dict[str, Any]:
    """Correct a memory: the new text wins in recall; the old one stays as its history."""
    text = body.text.strip()
    if not text:
        raise BadRequest("the new text is empty", hint="To remove a memory, DELETE it.")

    def change(rt: UserRuntime) -> dict[str, Any]:
        store = _memory(rt).store
        old = store.get(memory_id)
        new_id = store.add(
            NewMemory(
                kind=old.kind if old.kind != "episode" else "fact",
                text=text,
                sources=(*old.sources, "user:edit"),
                speaker=old.speaker,
                subject=old.subject,
                attribute=old.attribute,
                said_at=old.said_at,
                happened_at=old.happened_at,
                session=old.session,
                importance=max(old.importance, 0.6),
            ),
            requires=old.id,
        )
        if new_id is None:  # forgotten in the meantime
            store.get(memory_id)
            raise BadRequest(f"memory {memory_id} could not be corrected")
        store.supersede(old.id, new_id)
        return store.get(new_id).as_dict()

    return await server_of(request).hub.run(caller.user_id, change)


@router.delete("/api/memories/{memory_id}", response_model=Forgotten)
async def forget(caller: CallerDep, request: Request, memory_id: MemoryId) -> dict[str, list[int]]:
    """Forget a memory and everything derived from it (facts, index entries, the turn)."""

    def drop(rt: UserRuntime) -> dict[str, list[int]]:
        store = _memory(rt).store
        store.get(memory_id)  # NotFound (404) for an unknown or another user's id
        return {"forgotten": store.forget([memory_id])}

    return await server_of(request).hub.run(caller.user_id, drop)


__all__ = ["KINDS", "router"]
