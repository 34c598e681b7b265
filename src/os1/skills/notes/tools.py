"""Notes tools: search them (answers cite the file), write a new one, sync the index."""

from __future__ import annotations

import re
from pathlib import Path

from os1.memory.recall import fts_query
from os1.memory.store import Memory, MemoryStore
from os1.skills.base import SkillContext, ToolError, ToolOutput, tool
from os1.skills.notes.index import (
    SOURCE_PREFIX,
    cited_file,
    note_memories,
    prepare,
    sync_notes,
)

SNIPPET_CHARS = 240
MAX_NOTE_CHARS = 100_000
# Hits below either bar are noise (an unrelated note's embedding is never quite orthogonal).
MIN_SCORE = 0.3
RELATIVE_SCORE = 0.4


def _snippet(memory: Memory, query: str) -> str:
    text = re.sub(r"^Note [^:]*: ", "", memory.text)
    terms = [t for t in re.findall(r"\w+", query.lower()) if len(t) > 2]
    lowered = text.lower()
    at = min((lowered.find(t) for t in terms if t in lowered), default=0)
    start = max(0, at - SNIPPET_CHARS // 3)
    piece = " ".join(text[start : start + SNIPPET_CHARS].split())
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _note_file(memory: Memory) -> str | None:
    return next((f for s in memory.sources if (f := cited_file(s))), None)


def find_in_notes(ctx: SkillContext, query: str, k: int = 5) -> list[tuple[str, Memory]]:
    """The best note chunks for a query, as (file, memory), one or more per file."""
    found: list[Memory] = []
    if ctx.memory is not None:
        # Normal recall (semantic and lexical), keeping what came from notes.
        hits = [h for h in ctx.memory.recall.search(query, k=60) if _note_file(h.memory)]
        best = max((h.score for h in hits), default=0.0)
        # Recall always ranks something first; a search must also be able to find nothing.
        floor = max(MIN_SCORE, RELATIVE_SCORE * best)
        found = [h.memory for h in hits if h.score >= floor]
    if len(found) < k:
        found += _lexical_notes(note_memories(ctx), query, k * 2)
    seen: set[int] = set()
    results: list[tuple[str, Memory]] = []
    for memory in found:
        path = _note_file(memory)
        if path and memory.id not in seen:
            seen.add(memory.id)
            results.append((path, memory))
    return results[:k]


def _lexical_notes(memories: MemoryStore, query: str, limit: int) -> list[Memory]:
    match = fts_query(query)
    if match is None:
        return []
    return memories.lexical_from(match, SOURCE_PREFIX, limit)


@tool
def search_notes(ctx: SkillContext, query: str) -> ToolOutput:
    """Search the user's notes folder; answers quote snippets and name the file.

    Args:
        query: What to look for, e.g. "tea Amy likes".
    """
    if not query.strip():
        raise ToolError("search for what?", hint="Say some words to look for in your notes.")
    sync_notes(ctx)  # cheap when nothing changed (size and mtime), and never stale
    hits = find_in_notes(ctx, query)
    if not hits:
        return ToolOutput(f"Nothing in your notes about “{query.strip()}”.", data=[])
    lines = [f"From your notes about “{query.strip()}”:"]
    lines += [f"- {path}: {_snippet(memory, query)}" for path, memory in hits]
    data = [{"file": path, "memory_id": m.id} for path, m in hits]
    # Note text is file content: quoted data, never instructions.
    return ToolOutput("\n".join(lines), data=data, untrusted=True)


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:6]
    return "-".join(words) or "note"


def write_note(ctx: SkillContext, text: str, title: str | None = None) -> Path:
    """A new Markdown file in the notes folder (never overwriting one); returns its path."""
    body = text.strip()
    if not body:
        raise ToolError("the note is empty", hint="Say what to note.")
    if len(body) > MAX_NOTE_CHARS:
        raise ToolError("that note is too long to write here", hint="Save it as a file instead.")
    folder = prepare(ctx)
    day = ctx.now().strftime("%Y-%m-%d")
    stem = f"{day}-{_slug(title or body)}"
    heading = (title or body.split("\n", 1)[0])[:80].strip()
    content = f"# {heading}\n\n{body}\n"
    for n in range(1, 1000):
        path = folder / (f"{stem}.md" if n == 1 else f"{stem}-{n}.md")
        try:
            with path.open("x", encoding="utf-8") as f:  # "x": an existing note stays as it is
                f.write(content)
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise ToolError(f"can't write the note: {exc.strerror or exc}") from None
    raise ToolError("too many notes with that name today", hint="Give it a title.")


@tool(writes_recall=True, confirm="write this note:\n\n{text}\n\n(that is the whole note)")
def add_note(ctx: SkillContext, text: str, title: str | None = None) -> str:
    """Write a new note (a new Markdown file in the notes folder) and index it.

    Args:
        text: What to note.
        title: A short title, if the user gave one.
    """
    path = write_note(ctx, text, title)
    report = sync_notes(ctx, only=[path])
    if report.failed:
        raise ToolError(f"the note was written but not indexed: {report.failed[0][1]}")
    return f"Noted. It's in your notes as {path.name}."


@tool
def notes_sync(ctx: SkillContext) -> str:
    """Re-read the notes folder so recall follows added, changed and removed files."""
    return sync_notes(ctx).summary()


TOOLS = [search_notes, add_note, notes_sync]
__all__ = ["TOOLS", "find_in_notes", "write_note"]
