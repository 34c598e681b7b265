"""`os1 memory …`: see, search, correct, forget, export and import what OS1 knows."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.interfaces.app import App
from os1.memory import LongTermMemory
from os1.memory.forgetting import Forgotten, forget_everywhere, scrub
from os1.memory.importers import parse_file
from os1.memory.store import KINDS, NewMemory, dumps

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _memory(ctx: click.Context) -> LongTermMemory:
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    return app.memory


@click.group()
def memory() -> None:
    """See, search, correct, forget, export and import what OS1 remembers."""


@memory.command("list")
@click.option("--kind", type=click.Choice(KINDS), help="Only this kind of memory.")
@click.option("--all", "include_all", is_flag=True, help="Include superseded (old) versions.")
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_memories(
    ctx: click.Context, kind: Any, include_all: bool, limit: int | None, as_json: bool
) -> None:
    """List memories, oldest first."""
    mem = _memory(ctx)
    mem.consolidate()
    memories = mem.store.list(kind, include_superseded=include_all, limit=limit)
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in memories], ensure_ascii=False))
        return
    if not memories:
        out.print("Nothing remembered yet.")
        return
    table = Table("id", "kind", "memory", "when", "sources")
    for m in memories:
        text = m.text if len(m.text) <= 90 else m.text[:87] + "…"
        if m.superseded_by:
            text = f"[strike]{escape(text)}[/] → #{m.superseded_by}"
        else:
            text = escape(text)
        when = (m.happened_at or m.said_at or "")[:10]
        table.add_row(str(m.id), m.kind, text, when, str(len(m.sources)))
    out.print(table)


@memory.command("search")
@click.argument("query", required=False)
@click.option("--k", "k", default=10, show_default=True, help="How many hits.")
@click.option("--queries", type=click.File("r"), help="One query per line ('-' for stdin).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx: click.Context, query: str | None, k: int, queries: Any, as_json: bool) -> None:
    """Search memories (hybrid lexical + semantic, dates understood). No model is called."""
    if (query is None) == (queries is None):
        raise click.UsageError("give a QUERY or --queries FILE (not both)")
    mem = _memory(ctx)
    mem.consolidate()  # everything gets its embedding before we search
    if queries is not None:
        for line in queries:
            q = line.rstrip("\n")
            if not q.strip():
                continue
            hits = mem.recall.search(q, k=k)
            click.echo(
                json.dumps({"query": q, "hits": [_hit(h) for h in hits]}, ensure_ascii=False)
            )
        return
    assert query is not None
    hits = mem.recall.search(query, k=k)
    if as_json:
        click.echo(json.dumps([_hit(h) for h in hits], ensure_ascii=False))
        return
    if not hits:
        out.print("No memories match.")
        return
    for h in hits:
        out.print(f"[dim]#{h.memory.id} {h.score:.4f}[/] {escape(h.memory.text)}")


def _hit(hit: Any) -> dict[str, Any]:
    return {"id": hit.memory.id, "text": hit.memory.text, "score": round(hit.score, 6),
            "sources": hit.sources}  # fmt: skip


@memory.command("show")
@click.argument("memory_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, memory_id: int, as_json: bool) -> None:
    """One memory with its sources and its history of corrections."""
    mem = _memory(ctx)
    m = mem.store.get(memory_id)
    older = [o for o in mem.store.list(include_superseded=True) if o.superseded_by == m.id]
    if as_json:
        click.echo(json.dumps({**m.as_dict(), "supersedes": [o.id for o in older]}))
        return
    out.print(f"[bold]#{m.id}[/] {m.kind}: {escape(m.text)}")
    for label, value in (("said", m.said_at), ("happened", m.happened_at), ("speaker", m.speaker),
                         ("importance", m.importance)):  # fmt: skip
        if value is not None:
            out.print(f"  {label}: {escape(str(value))}")
    out.print(f"  sources: {', '.join(escape(s) for s in m.as_dict()['sources'])}")
    if m.superseded_by:
        out.print(f"  [yellow]superseded by #{m.superseded_by}[/]")
    for o in older:
        out.print(f"  replaces #{o.id}: [strike]{escape(o.text)}[/]")


@memory.command("edit")
@click.argument("memory_id", type=int)
@click.argument("text")
@click.pass_context
def edit(ctx: click.Context, memory_id: int, text: str) -> None:
    """Correct a memory: the new text wins in recall, the old one stays as history."""
    mem = _memory(ctx)
    old = mem.store.get(memory_id)
    if not text.strip():
        raise click.BadParameter("the new text is empty")
    new_id = mem.store.add(
        NewMemory(
            kind=old.kind if old.kind != "episode" else "fact",
            text=text.strip(),
            sources=(*old.sources, "user:edit"),
            speaker=old.speaker,
            subject=old.subject,
            attribute=old.attribute,
            said_at=old.said_at,
            happened_at=old.happened_at,
            session=old.session,
            importance=max(old.importance, 0.6),
        )
    )
    assert new_id is not None
    mem.store.supersede(old.id, new_id)
    out.print(f"#{old.id} corrected as #{new_id}")


@memory.command("forget")
@click.argument("memory_ids", type=int, nargs=-1)
@click.option("--about", help="Forget every copy of everything that mentions this.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def forget(ctx: click.Context, memory_ids: tuple[int, ...], about: str | None, yes: bool) -> None:
    """Forget memories and everything derived from them (facts, index entries, the turns)."""
    if not memory_ids and not about:
        raise click.UsageError("give memory ids or --about TEXT")
    mem = _memory(ctx)
    for memory_id in memory_ids:
        mem.store.get(memory_id)  # a clear error for an unknown id, before anything goes
    what = f"everything about {about!r}" if about else f"{len(memory_ids)} memories"
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("forgetting cannot be undone: confirm with --yes")
        click.confirm(f"Forget {what} and everything derived from it?", abort=True)
    removed = mem.store.forget(memory_ids) if memory_ids else []
    # --about reaches every copy: turns, titles, setup answers, reminders, tool calls.
    done = forget_everywhere(mem.store, about) if about else Forgotten()
    if removed and not done.total:
        scrub(mem.store.db)  # no bytes of the forgotten rows left in the file or its log
    done.memories += len(removed)
    out.print(f"forgot {done.summary() or 'nothing'}")


@memory.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File.")
@click.pass_context
def export(ctx: click.Context, output: str | None) -> None:
    """Write everything OS1 knows about you as JSON."""
    mem = _memory(ctx)
    mem.consolidate()
    text = dumps(mem.store.export())
    if output:
        tmp = Path(output + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
        err.print(f"exported to {output}")
    else:
        click.echo(text)


@memory.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "jsonl", "chatgpt"]), default="auto")
@click.pass_context
def import_(ctx: click.Context, path: Path, fmt: str) -> None:
    """Import a transcript (JSON Lines) or a ChatGPT export (conversations.json or .zip)."""
    mem = _memory(ctx)
    kind, messages = parse_file(path, fmt)  # type: ignore[arg-type]
    added = mem.import_messages(messages)
    with err.status(f"Remembering {added} messages…"):
        mem.consolidate()
    out.print(f"imported {added} new messages from {path.name} ({kind}); "
              f"{len(messages) - added} were already known")  # fmt: skip


@memory.command("consolidate")
@click.pass_context
def consolidate(ctx: click.Context) -> None:
    """Derive facts and embed new memories now (normally done in the background)."""
    out.print(f"processed {_memory(ctx).consolidate()} memories")
