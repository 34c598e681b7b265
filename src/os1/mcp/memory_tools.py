"""The user's long-term memory as typed tools, for MCP hosts: search, remember, list, show,
and forget (which waits for the user's confirmation in OS1, like every destructive action)."""

from __future__ import annotations

from typing import Literal

from os1.errors import NotFound
from os1.memory import LongTermMemory
from os1.memory.forgetting import scrub
from os1.memory.store import NewMemory
from os1.skills.base import SkillContext, Tool, ToolError, Toolkit, ToolOutput, tool

Kind = Literal["episode", "fact", "event", "preference", "reflection"]
# Where a memory told through MCP came from, kept with it like every other source.
MCP_SOURCE = "mcp:remember"


def _memory(ctx: SkillContext) -> LongTermMemory:
    if ctx.memory is None:
        raise ToolError("long-term memory is off", hint="Turn it on with `memory = true`.")
    return ctx.memory


def _line(memory_id: int, kind: str, text: str) -> str:
    return f"#{memory_id} ({kind}) {text}"


@tool
def memory_search(ctx: SkillContext, query: str, k: int = 8) -> ToolOutput:
    """Search what OS1 remembers about the user (words and meaning; dates understood).

    Args:
        query: what to look for
        k: how many memories at most
    """
    mem = _memory(ctx)
    mem.consolidate()  # everything gets its embedding before we search
    hits = mem.recall.search(query, k=max(1, min(k, 50)))
    data = [{"id": h.memory.id, "kind": h.memory.kind, "text": h.memory.text} for h in hits]
    if not hits:
        return ToolOutput("No memories match.", data=data)
    text = "\n".join(_line(h.memory.id, h.memory.kind, h.memory.text) for h in hits)
    return ToolOutput(text, data=data)


@tool
def memory_remember(ctx: SkillContext, text: str, kind: Kind = "fact") -> str:
    """Remember something about the user (kept with its source, shown and forgettable in OS1).

    Args:
        text: what to remember, as one self-contained sentence
        kind: fact, event, preference, reflection or episode
    """
    body = text.strip()
    if not body:
        raise ToolError("there is nothing to remember", hint="Give the text to remember.")
    new_id = _memory(ctx).store.add(
        NewMemory(kind=kind, text=body, sources=(MCP_SOURCE,), speaker="user", importance=0.6)
    )
    if new_id is None:
        return "I already remember that."
    return f"Remembered as #{new_id}."


@tool
def memory_list(ctx: SkillContext, kind: Kind | None = None, limit: int = 50) -> ToolOutput:
    """List what OS1 remembers, newest last.

    Args:
        kind: only this kind of memory
        limit: how many at most
    """
    mem = _memory(ctx)
    memories = mem.store.list(kind, limit=None)[-max(1, min(limit, 500)) :]
    data = [{"id": m.id, "kind": m.kind, "text": m.text} for m in memories]
    if not memories:
        return ToolOutput("Nothing remembered yet.", data=data)
    return ToolOutput("\n".join(_line(m.id, m.kind, m.text) for m in memories), data=data)


@tool
def memory_show(ctx: SkillContext, memory_id: int) -> ToolOutput:
    """Show one memory in full: its text, kind, dates and where it came from.

    Args:
        memory_id: the memory's number
    """
    m = _memory(ctx).store.get(memory_id)
    shown = m.as_dict()
    lines = [_line(m.id, m.kind, m.text)]
    for key in ("said_at", "happened_at", "subject", "superseded_by"):
        if shown.get(key) is not None:
            lines.append(f"{key}: {shown[key]}")
    lines.append("sources: " + ", ".join(shown["sources"]))
    return ToolOutput("\n".join(lines), data=shown)


@tool(side_effect=True, confirm="forget memories {memory_ids} and everything derived from them")
def memory_forget(ctx: SkillContext, memory_ids: list[int]) -> str:
    """Forget memories and everything derived from them; only after the user confirms in OS1.

    Args:
        memory_ids: the numbers of the memories to forget
    """
    mem = _memory(ctx)
    if not memory_ids:
        raise ToolError("which memories?", hint="Give their numbers.")
    for memory_id in memory_ids:
        mem.store.get(memory_id)  # a clear error for an unknown id, before anything goes
    removed = mem.store.forget(memory_ids)
    if removed:
        scrub(mem.store.db)  # no bytes of the forgotten rows left in the file or its log
    return f"Forgot {len(removed)} memor{'y' if len(removed) == 1 else 'ies'}."


TOOLS: list[Tool] = [memory_search, memory_remember, memory_list, memory_show, memory_forget]
toolkit = Toolkit(name="memory", tools=list(TOOLS))


def core_tool(name: str) -> Tool:
    """A memory tool by name (for confirming a pending `memory_forget` outside MCP)."""
    for found in TOOLS:
        if found.name == name:
            return found
    raise NotFound(f"no tool named {name!r}")
