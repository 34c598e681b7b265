"""`os1 calendar …` and `os1 notes …`: the calendar and notes skills from the shell.

Typing a command is itself the user's explicit act, so nothing here asks to confirm.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from os1.errors import OS1Error
from os1.interfaces.app import App
from os1.skills import SkillContext
from os1.skills.calendar.events import LOCAL, build_event
from os1.skills.calendar.intents import clean_title
from os1.skills.calendar.remote import CalDAVCalendar, load_config, safe_url
from os1.skills.calendar.service import export_ics, import_ics, open_calendars
from os1.skills.calendar.tools import day_label, event_line
from os1.skills.calendar.when import parse_moment, parse_when, strip_when

out = Console(highlight=False)


def _context(ctx: click.Context, *, memory: bool = False) -> SkillContext:
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    settings = app.settings
    return SkillContext(
        store=app.store,
        settings=settings,
        home=app.home,
        memory=app.memory if memory and settings.memory else None,
    )


# -- calendar -----------------------------------------------------------------------------


@click.group()
def calendar() -> None:
    """Your calendars: local iCalendar and CalDAV accounts."""


def _show(ctx: click.Context, start: datetime, end: datetime, as_json: bool) -> None:
    cals = open_calendars(_context(ctx))
    events = cals.events(start, end)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "uid": e.uid,
                        "summary": e.summary,
                        "start": e.start.isoformat(),
                        "end": e.end.isoformat(),
                        "location": e.location,
                        "calendar": e.calendar,
                        "all_day": e.all_day,
                    }
                    for e in events
                ],  # fmt: skip
                ensure_ascii=False,
            )
        )
        return
    today = cals.ctx.now().astimezone(cals.zone).date()
    if not events:
        out.print("Nothing on your calendar.")
    current = None
    for e in events:
        day = max(e.start, start).date()
        if day != current:
            current = day
            out.print(f"[bold]{escape(day_label(day, today))}[/]")
        out.print(f"  {escape(event_line(e))}")
    for problem in cals.problems:
        out.print(f"[yellow]Not included:[/] {escape(problem)}")


def _today_start(ctx: click.Context) -> datetime:
    cals = open_calendars(_context(ctx))
    now = cals.ctx.now().astimezone(cals.zone)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@calendar.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def today(ctx: click.Context, as_json: bool) -> None:
    """Today's events."""
    start = _today_start(ctx)
    _show(ctx, start, start + timedelta(days=1), as_json)


@calendar.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def week(ctx: click.Context, as_json: bool) -> None:
    """The next seven days."""
    start = _today_start(ctx)
    _show(ctx, start, start + timedelta(days=7), as_json)


@calendar.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--calendar", "name", default=LOCAL, show_default=True, help="Where to put them.")
@click.pass_context
def import_(ctx: click.Context, file: Path, name: str) -> None:
    """Import the events of an .ics file (importing again replaces, never duplicates)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise OS1Error(f"can't read {file}: {exc.strerror or exc}") from None
    count = import_ics(_context(ctx), data, str(file), name)
    out.print(f"Imported {count} event{'s' if count != 1 else ''} into {escape(name)}.")


@calendar.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--calendar", "name", default=LOCAL, show_default=True)
@click.pass_context
def export(ctx: click.Context, file: Path | None, name: str) -> None:
    """Export a calendar as iCalendar to FILE (or standard output)."""
    data = export_ics(_context(ctx), name)
    if file is None:
        sys.stdout.buffer.write(data)
        return
    file.write_bytes(data)
    out.print(f"Exported {escape(name)} to {escape(str(file))}.")


@calendar.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--at", "at", help="When it starts, e.g. 'Friday 1pm' or '2026-12-04 13:00'.")
@click.option("--minutes", type=click.IntRange(1, 60 * 24 * 14), help="How long (default 60).")
@click.option("--location", help="Where.")
@click.option("--calendar", "name", help="Which calendar (default: the configured one).")
@click.pass_context
def add(
    ctx: click.Context,
    words: tuple[str, ...],
    at: str | None,
    minutes: int | None,
    location: str | None,
    name: str | None,
) -> None:
    """Add an event: `os1 calendar add lunch with Amy on Friday at 1pm`."""
    skill_ctx = _context(ctx)
    cals = open_calendars(skill_ctx)
    now = skill_ctx.now().astimezone(cals.zone)
    text = " ".join(words)
    if at:
        start, timed = parse_moment(at, now, cals.zone)
        summary, length = clean_title(text), None
    else:
        found = parse_when(text, now)
        if found is None:
            raise OS1Error(
                "when is it?", hint="Name the day and time, or use --at '2026-12-04 13:00'."
            )
        start, timed = found.start, found.timed
        summary = clean_title(strip_when(text))
        length = found.end - found.start if found.end > found.start else None
    if not summary:
        raise OS1Error("what is the event?", hint="Give it a title, e.g. 'lunch with Amy'.")
    summary = summary[0].upper() + summary[1:]
    duration = timedelta(minutes=minutes) if minutes else length or timedelta(hours=1)
    entry = (
        build_event(summary, start, start + duration, location=location)
        if timed
        else build_event(summary, start.date(), start.date() + timedelta(days=1), location=location)
    )
    target = name or cals.default
    uid = str(next(iter(entry.walk("VEVENT")))["UID"])
    cals.source(target).put(uid, entry)
    when = f"{start:%H:%M}" if timed else "all day"
    out.print(f"Added “{escape(summary)}” {escape(day_label(start.date(), now.date()))} {when}.")


@calendar.command()
@click.option("--check", is_flag=True, help="Connect and list each account's calendars.")
@click.pass_context
def accounts(ctx: click.Context, check: bool) -> None:
    """The configured calendars (passwords are never shown)."""
    skill_ctx = _context(ctx)
    config = load_config(skill_ctx.settings.calendar)
    out.print(f"local (built in){' — default' if config.default == LOCAL else ''}")
    for account_name, account in config.accounts.items():
        secret = (
            "password set" if account.password else f"keyring {account.keyring}"
            if account.keyring else "no password"
        )  # fmt: skip
        default = " — default" if config.default == account_name else ""
        out.print(
            f"{escape(account_name)}: {escape(safe_url(account.url))} as "
            f"{escape(account.username or '(anonymous)')}, {secret}{default}"
        )
        if check:
            cals = open_calendars(skill_ctx)
            source = cals.source(account_name)
            assert isinstance(source, CalDAVCalendar)
            names = ", ".join(source.calendar_names())
            out.print(f"  calendars: {escape(names)}")


# -- notes --------------------------------------------------------------------------------


@click.group()
def notes() -> None:
    """Your notes folder, kept in memory so recall finds it."""


@notes.command("sync")
@click.pass_context
def notes_sync(ctx: click.Context) -> None:
    """Index added and changed notes, forget removed ones."""
    from os1.skills.notes import sync_notes

    report = sync_notes(_context(ctx, memory=True))
    out.print(escape(report.summary()))


@notes.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def notes_list(ctx: click.Context, as_json: bool) -> None:
    """The indexed notes."""
    from os1.skills.notes import list_notes, notes_folder

    skill_ctx = _context(ctx)
    indexed = list_notes(skill_ctx)
    if as_json:
        click.echo(json.dumps([asdict(n) for n in indexed], ensure_ascii=False))
        return
    out.print(f"[dim]{escape(str(notes_folder(skill_ctx)))}[/]")
    if not indexed:
        out.print("No notes indexed yet (`os1 notes sync`).")
    for n in indexed:
        out.print(f"{escape(n.path)}  [dim]{n.size} bytes, {n.chunks} chunks[/]")


@notes.command("add")
@click.argument("words", nargs=-1, required=True)
@click.option("--title", help="A title for the note.")
@click.pass_context
def notes_add(ctx: click.Context, words: tuple[str, ...], title: str | None) -> None:
    """Write a new note (a Markdown file) and index it."""
    from os1.skills.notes import sync_notes, write_note

    skill_ctx = _context(ctx, memory=True)
    path = write_note(skill_ctx, " ".join(words), title)
    sync_notes(skill_ctx, only=[path])
    out.print(f"Noted in {escape(str(path))}.")


@notes.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def notes_search(ctx: click.Context, words: tuple[str, ...], as_json: bool) -> None:
    """Search your notes; each hit names its file."""
    from os1.skills.notes.tools import search_notes

    skill_ctx = _context(ctx, memory=True)
    if skill_ctx.memory is not None:
        skill_ctx.memory.consolidate()
    result = search_notes.func(skill_ctx, " ".join(words))
    if as_json:
        click.echo(json.dumps(result.data, ensure_ascii=False))
        return
    out.print(escape(result.text))
