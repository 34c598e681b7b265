"""`os1 remind "…"` and `os1 reminders …`: set, list, finish and cancel reminders; see and
change when the companion may speak first; fire what is due (for cron, or to catch up)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.errors import OS1Error
from os1.interfaces.app import App
from os1.skills.base import SkillContext
from os1.skills.reminders import book
from os1.skills.reminders.policy import ProactivePolicy, policy_layers, set_policy
from os1.skills.reminders.scheduler import ReminderScheduler
from os1.skills.reminders.tools import create

out = Console(highlight=False)

_NOW_HELP = "Act as if it were this moment (ISO 8601), for scripts and tests."


def _app(ctx: click.Context) -> App:
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    return app


def _moment(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise OS1Error(f"--now {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.astimezone()


def _context(app: App, now: datetime) -> SkillContext:
    # Only what reminders use: no model or memory is loaded for a reminder.
    book.prepare(app.store)
    return SkillContext(store=app.store, settings=app.settings, home=app.home, clock=lambda: now)


@click.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--now", "now_text", hidden=True, help=_NOW_HELP)
@click.pass_context
def remind(ctx: click.Context, words: tuple[str, ...], as_json: bool, now_text: str | None) -> None:
    """Set a reminder in plain words: os1 remind "call mum on Sunday at 6"."""
    app = _app(ctx)
    text = " ".join(words)
    lowered = text.lower()
    for prefix in ("remind me to ", "remind me ", "to "):
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            break
    now = _moment(now_text)
    reminder, _ = create(_context(app, now), text)
    if as_json:
        click.echo(json.dumps(reminder.as_dict(), ensure_ascii=False))
        return
    out.print(f"Reminder {reminder.id}: {escape(book.describe(reminder, now))} ({reminder.tz})")


@click.group()
def reminders() -> None:
    """List, finish and cancel reminders; see or change the proactive policy."""


@reminders.command("list")
@click.option("--all", "include_all", is_flag=True, help="Include fired, done and cancelled.")
@click.option("--proactive", is_flag=True, help="Include planned check-ins, follow-ups, nudges.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_command(ctx: click.Context, include_all: bool, proactive: bool, as_json: bool) -> None:
    """Upcoming reminders, soonest first."""
    app = _app(ctx)
    found = book.listed(
        book.prepare(app.store), include_all=include_all, kind=None if proactive else "reminder"
    )
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in found], ensure_ascii=False))
        return
    if not found:
        out.print("No reminders.")
        return
    table = Table("id", "due", "what", "repeats", "state")
    now = datetime.now(UTC)
    for r in found:
        due = book.describe(r, now).rsplit(" — ", 1)[-1].split(" (repeats")[0]
        if r.held_until:
            due += f" (held until {r.held_until:%a %d %b %H:%M})"
        what = r.text if r.kind == "reminder" else f"[{r.kind}] {r.text}"
        repeats = book.human_rule(r.rrule) if r.rrule else ""
        table.add_row(str(r.id), escape(due), escape(what), repeats, r.state)
    out.print(table)


@reminders.command("done")
@click.argument("reminder_id", type=int)
@click.pass_context
def done_command(ctx: click.Context, reminder_id: int) -> None:
    """Mark reminder ID done: it will not fire."""
    reminder = book.finish(book.prepare(_app(ctx).store), reminder_id, "done")
    out.print(f"Reminder {reminder.id} done: {escape(reminder.text)}")


@reminders.command("cancel")
@click.argument("reminder_id", type=int)
@click.pass_context
def cancel_command(ctx: click.Context, reminder_id: int) -> None:
    """Cancel reminder ID (typing the command is the confirmation)."""
    reminder = book.finish(book.prepare(_app(ctx).store), reminder_id, "cancelled")
    out.print(f"Reminder {reminder.id} cancelled: {escape(reminder.text)}")


@reminders.command("policy")
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--reset", is_flag=True, help="Return KEY (or everything) to the config's value.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def policy_command(
    ctx: click.Context, key: str | None, value: str | None, reset: bool, as_json: bool
) -> None:
    """Show when the companion may speak first, or set KEY to VALUE for you.

    Example: os1 reminders policy quiet_hours 22:30-07:30
    """
    app = _app(ctx)
    store, settings = app.store, app.settings
    if reset:
        keys = [key] if key else list(ProactivePolicy.model_fields)
        for k in keys:
            set_policy(store, settings, k, None)
    elif key is not None:
        if value is None:
            raise click.UsageError("give a VALUE for the key (or --reset)")
        set_policy(store, settings, key, value)
    config, own = policy_layers(store, settings)
    shown: dict[str, Any] = ProactivePolicy.model_validate({**config, **own}).model_dump(
        mode="json"
    )
    if as_json:
        click.echo(json.dumps(shown))
        return
    table = Table("setting", "value", "from", "meaning")
    for name, field in ProactivePolicy.model_fields.items():
        where = "you" if name in own else "config" if name in config else "default"
        val = shown[name]
        text = ", ".join(val) if isinstance(val, list) else "off" if val is None else str(val)
        table.add_row(name, escape(text), where, escape(field.description or ""))
    out.print(table)
    out.print(
        "[dim]Reminders you set fire at their time even in quiet hours; check-ins, follow-ups"
        " and nudges wait until quiet hours end.[/]"
    )


@reminders.command("tick")
@click.option("--now", "now_text", help=_NOW_HELP)
@click.pass_context
def tick_command(ctx: click.Context, now_text: str | None) -> None:
    """Deliver everything due now, once (what `os1 serve` does every few seconds)."""
    app = _app(ctx)
    now = _moment(now_text)
    with ReminderScheduler(
        app.open_store, settings=app.settings, home=app.home, close_stores=True
    ) as scheduler:
        report = scheduler.tick(now)
    out.print(
        f"delivered {report.fired} ({report.late} late), held {report.held}, "
        f"skipped {report.skipped}, recovered {report.recovered}, planned {report.planned}"
    )
