"""`os1 actions`: see the side effects waiting for confirmation, and confirm or decline them."""

from __future__ import annotations

import asyncio
import dataclasses

import click
from rich.console import Console

from os1.events import ToolResult, TurnError
from os1.interfaces.app import App
from os1.interfaces.render import render_turn
from os1.skills.runner import expire_pending, pending_ttl
from os1.storage.base import ToolCallRecord

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# Longest summary shown in a list line: `os1 actions show ID` has the whole of it.
LINE_CHARS = 100


@click.group()
def actions() -> None:
    """Actions OS1 proposed (sending, deleting, changing a calendar) and their outcome."""


def _line(record: ToolCallRecord) -> str:
    """One line per action: id, status, when, what (shortened)."""
    what = " ".join(record.summary.split())
    if len(what) > LINE_CHARS:
        what = what[: LINE_CHARS - 1] + "…"
    when = record.created_at[:16].replace("T", " ")
    return f"{record.id}  {record.status:<8}  {when}  {what}"


@actions.command("list")
@click.option("--all", "show_all", is_flag=True, help="Show decided actions too.")
@click.pass_context
def actions_list(ctx: click.Context, show_all: bool) -> None:
    """List actions waiting for your confirmation (or all of them), one line each."""
    app: App = ctx.ensure_object(App)
    expire_pending(app.store, pending_ttl(app.settings))
    records = app.store.tool_calls(status=None if show_all else "pending")
    if not records:
        out.print("nothing is waiting for your confirmation" if not show_all else "no actions")
        return
    for record in records:
        out.print(_line(record), markup=False, soft_wrap=True)


@actions.command("show")
@click.argument("call_id")
@click.pass_context
def actions_show(ctx: click.Context, call_id: str) -> None:
    """Show one action in full: exactly what would be done, and its outcome."""
    app: App = ctx.ensure_object(App)
    expire_pending(app.store, pending_ttl(app.settings))
    record = app.store.get_tool_call(call_id)
    out.print(f"{record.id}  {record.status}  {record.created_at[:19]}", markup=False)
    out.print(record.summary, markup=False, soft_wrap=True)
    if record.output:
        out.print(f"\n{record.output}", markup=False, soft_wrap=True)


def _decide(app: App, call_id: str, approve: bool, *, quiet: bool = False) -> int:
    """Confirm or decline one action; the exit code it deserves."""
    companion = app.companion()
    outcome: list[ToolResult] = []

    async def run() -> TurnError | None:
        async def watched():  # type: ignore[no-untyped-def]
            async for event in companion.decide(call_id, approve):
                if isinstance(event, ToolResult):
                    outcome.append(event)
                yield event

        if quiet:
            errors = [e async for e in watched() if isinstance(e, TurnError)]
            return errors[-1] if errors else None
        final = await render_turn(watched(), out, err)
        return final if isinstance(final, TurnError) else None

    error = asyncio.run(run())
    if error is not None:
        return 7 if error.code == "not_found" else 2
    if outcome and outcome[0].status in ("failed", "expired"):
        return 1  # it did not happen: say so to scripts too
    return 0


@actions.command("confirm")
@click.argument("call_id")
@click.pass_context
def actions_confirm(ctx: click.Context, call_id: str) -> None:
    """Confirm one pending action by its id: only then does it run, once."""
    ctx.exit(_decide(ctx.ensure_object(App), call_id, True))


@actions.command("decline")
@click.argument("call_id", required=False)
@click.option("--all", "decline_all", is_flag=True, help="Decline every pending action.")
@click.pass_context
def actions_decline(ctx: click.Context, call_id: str | None, decline_all: bool) -> None:
    """Decline one pending action (or --all of them): it never runs."""
    app: App = ctx.ensure_object(App)
    if decline_all == bool(call_id):
        raise click.UsageError("give one action id, or --all (not both)")
    if call_id:
        ctx.exit(_decide(app, call_id, False))
    expire_pending(app.store, pending_ttl(app.settings))
    waiting = app.store.tool_calls(status="pending")
    if not waiting:
        out.print("nothing is waiting for your confirmation")
        return
    declined = 0
    for record in waiting:
        if _decide(app, record.id, False, quiet=True) == 0:
            declined += 1
            out.print(_line(dataclasses.replace(record, status="declined")), markup=False)
    out.print(f"Declined {declined} pending action(s); nothing was done.")
    if declined < len(waiting):
        ctx.exit(2)  # decided elsewhere in the meantime
