"""Rendering a turn's event stream in the terminal."""

from __future__ import annotations

from collections.abc import AsyncIterator

from rich.console import Console
from rich.markup import escape

from os1.events import (
    ConfirmationRequired,
    Event,
    MemoryRecalled,
    Notification,
    SafetyNotice,
    TextDelta,
    ToolCall,
    ToolResult,
    TurnDone,
    TurnError,
)


async def render_turn(
    events: AsyncIterator[Event],
    out: Console,
    err: Console,
    speaker: str | None = None,
    confirmations: list[ConfirmationRequired] | None = None,
) -> TurnDone | TurnError | None:
    """Stream the reply to `out`, errors to `err`; return the final event. Actions waiting
    for confirmation are collected into `confirmations` for the caller to ask about."""
    started = False
    final: TurnDone | TurnError | None = None
    async for event in events:
        if isinstance(event, ToolCall):
            err.print(f"[dim](using {escape(event.name)})[/]")
        elif isinstance(event, ToolResult) and not event.ok:
            err.print(f"[dim]({escape(event.name)}: {event.status})[/]")
        elif isinstance(event, ConfirmationRequired):
            if confirmations is not None:
                confirmations.append(event)
        elif isinstance(event, TextDelta):
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


def render_notification(note: Notification, out: Console, speaker: str) -> None:
    late = " [yellow](late)[/]" if note.late else ""
    out.print(f"\n[bold magenta]{escape(speaker)}[/] [dim]({escape(note.kind)})[/]{late}: ", end="")
    out.print(note.text, markup=False, highlight=False, soft_wrap=True)


def print_error(err: Console, message: str, hint: str = "") -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err.print(f"[dim]hint: {escape(hint)}[/]", highlight=False)
