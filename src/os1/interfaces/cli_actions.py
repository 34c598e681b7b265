"""`os1 actions`: see the side effects waiting for confirmation, and confirm or decline one."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.events import ToolResult, TurnError
from os1.interfaces.app import App
from os1.interfaces.render import render_turn

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@click.group()
def actions() -> None:
    """Actions OS1 proposed (sending, deleting, changing a calendar) and their outcome."""


@actions.command("list")
@click.option("--all", "show_all", is_flag=True, help="Show decided actions too.")
@click.pass_context
def actions_list(ctx: click.Context, show_all: bool) -> None:
    """List actions waiting for your confirmation (or all of them)."""
    app: App = ctx.ensure_object(App)
    records = app.store.tool_calls(status=None if show_all else "pending")
    if not records:
        out.print("nothing is waiting for your confirmation" if not show_all else "no actions")
        return
    table = Table("id", "status", "what", "asked at")
    for r in records:
        table.add_row(r.id, r.status, escape(r.summary), r.created_at[:19])
    out.print(table)


def _decide(ctx: click.Context, call_id: str, approve: bool) -> None:
    app: App = ctx.ensure_object(App)
    companion = app.companion()
    outcome: list[ToolResult] = []

    async def run() -> TurnError | None:
        async def watched():  # type: ignore[no-untyped-def]
            async for event in companion.decide(call_id, approve):
                if isinstance(event, ToolResult):
                    outcome.append(event)
                yield event

        final = await render_turn(watched(), out, err)
        return final if isinstance(final, TurnError) else None

    error = asyncio.run(run())
    if error is not None:
        ctx.exit(7 if error.code == "not_found" else 2)
    if outcome and outcome[0].status == "failed":
        ctx.exit(1)  # confirmed, but the action itself failed: say so to scripts too


@actions.command("confirm")
@click.argument("call_id")
@click.pass_context
def actions_confirm(ctx: click.Context, call_id: str) -> None:
    """Confirm one pending action by its id: only then does it run, once."""
    _decide(ctx, call_id, True)


@actions.command("decline")
@click.argument("call_id")
@click.pass_context
def actions_decline(ctx: click.Context, call_id: str) -> None:
    """Decline one pending action: it never runs."""
    _decide(ctx, call_id, False)
