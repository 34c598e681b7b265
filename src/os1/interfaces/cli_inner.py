"""`os1 threads list|close ID`: what the companion means to ask about; `os1 story`: our story;
`os1 journal list|show ID|delete ID`: what the companion wrote about each day."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from os1.interfaces.app import App

if TYPE_CHECKING:
    from os1.inner.life import InnerLife
    from os1.memory.store import MemoryStore

out = Console(highlight=False)


def _life(ctx: click.Context) -> InnerLife:
    from os1.inner.life import InnerLife

    app: App = ctx.ensure_object(App)
    return InnerLife(app.store, app.settings)


@click.group()
def threads() -> None:
    """Things you said were coming up, that the companion will ask about once they've passed."""


@threads.command("list")
@click.option("--all", "show_all", is_flag=True, help="Closed threads too.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_threads(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List open threads (and, with --all, closed ones)."""
    life = _life(ctx)
    found = life.threads(include_closed=show_all)
    if as_json:
        click.echo(json.dumps([t.as_dict() for t in found], indent=2))
        return
    if not found:
        out.print("No open threads.")
        return
    for t in found:
        when = t.due[:16].replace("T", " ")
        out.print(
            f"[bold]{t.id}[/]  {escape(t.topic)}  [dim]{t.state}, ask after {when}[/]  "
            f"{escape(t.question)}"
        )


@threads.command("close")
@click.argument("thread_id", type=int)
@click.pass_context
def close_thread(ctx: click.Context, thread_id: int) -> None:
    """Close a thread: the companion will not ask about it."""
    life = _life(ctx)
    closed = life.close(thread_id)
    out.print(f"Closed thread {closed.id}: {escape(closed.topic)}.")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def story(ctx: click.Context, as_json: bool) -> None:
    """Our story: the day we met, firsts, anniversaries."""
    from os1.inner import story as our_story

    life = _life(ctx)
    moments = our_story.timeline(life.store, life.today)
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in moments], indent=2))
        return
    for m in moments:
        out.print(f"[bold]{m.day.isoformat()}[/]  {escape(m.text)}")


@click.group()
def journal() -> None:
    """The companion's journal: a few lines about each day with you, written once it ends."""


def _journal_memories(ctx: click.Context) -> MemoryStore:
    from os1.memory.store import MemoryStore

    app: App = ctx.ensure_object(App)
    return MemoryStore(app.store)


@journal.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_journal(ctx: click.Context, as_json: bool) -> None:
    """List journal entries, oldest first."""
    from os1.inner import journal as our_journal

    found = our_journal.entries(_journal_memories(ctx))
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in found], indent=2, ensure_ascii=False))
        return
    if not found:
        out.print("No journal entries yet.")
        return
    for e in found:
        out.print(f"[bold]{e.id}[/]  [dim]{e.day}[/]  {escape(e.text)}")


@journal.command("show")
@click.argument("entry_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show_journal(ctx: click.Context, entry_id: int, as_json: bool) -> None:
    """One journal entry and the memories it was written from."""
    from os1.inner import journal as our_journal

    found = our_journal.entry(_journal_memories(ctx), entry_id)
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
        return
    out.print(f"[bold]{found.id}[/]  {found.day}\n{escape(found.text)}")
    out.print(f"[dim]sources: {', '.join(escape(s) for s in found.sources)}[/]")


@journal.command("delete")
@click.argument("entry_id", type=int)
@click.pass_context
def delete_journal(ctx: click.Context, entry_id: int) -> None:
    """Delete a journal entry; that day is not written about again."""
    from os1.inner import journal as our_journal

    app: App = ctx.ensure_object(App)
    gone = our_journal.delete(app.store, _journal_memories(ctx), entry_id)
    out.print(f"Deleted journal entry {gone.id} ({gone.day}).")
