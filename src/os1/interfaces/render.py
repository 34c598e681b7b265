"""Rendering a turn's event stream in the terminal."""

from __future__ import annotations

from collections.abc import AsyncIterator

from rich.console import Console
from rich.markup import escape

from os1.events import Event, MemoryRecalled, SafetyNotice, TextDelta, TurnDone, TurnError


async def render_turn(
    events: AsyncIterator[Event], out: Console, err: Console, speaker: str | None = None
) -> TurnDone | TurnError | None:
    """Stream the reply to `out`, errors to `err`; return the final event."""
    started = False
    final: TurnDone | TurnError | None = None
    async for event in events:
        if isinstance(event, TextDelta):
            if not started and speaker:
                out.print(f"[bold magenta]{escape(speaker)}[/]: ", end="")
            started = True
            out.print(event.text, end="", markup=False, highlight=False, soft_wrap=True)
        elif isinstance(event, SafetyNotice) and event.kind == "crisis":
            err.print("[dim](a safety policy wrote this reply, not the model)[/]")
        elif isinstance(event, MemoryRecalled) and speaker:
            n = len(event.memories)
            err.print(f"[dim](remembering {n} {'thing' if n == 1 else 'things'})[/]")
        elif isinstance(event, TurnDone):
            final = event
        elif isinstance(event, TurnError):
            final = event
            if started:
                out.print()
            print_error(err, event.message, event.hint)
            started = False
    if started:
        out.print()
    return final


def print_error(err: Console, message: str, hint: str = "") -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err.print(f"[dim]hint: {escape(hint)}[/]", highlight=False)
