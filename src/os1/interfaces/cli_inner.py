"""`os1 threads list|close ID`: what the companion means to ask about; `os1 story`: our story."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from os1.interfaces.app import App

if TYPE_CHECKING:
    from os1.inner.life import InnerLife

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
