"""`os1 letters …`: write, revise, proofread, keep and bind letters into a book."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import IO

import click
from rich.console import Console
from rich.markup import escape

from os1.interfaces.app import App
from os1.skills.base import SkillContext
from os1.skills.letters.library import Letter
from os1.skills.letters.proofread import apply, describe
from os1.skills.letters.service import Letters
from os1.skills.letters.settings import TONES, LettersSettings

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _letters(ctx: click.Context) -> Letters:
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    settings = app.settings
    section = LettersSettings.of(settings.letters)
    # Only create (and later load) the model when the letters settings would use it.
    wanted = section.model == "on" or (
        section.model == "auto" and settings.model.startswith("openai:")
    )
    return Letters(
        SkillContext(
            store=app.store,
            settings=settings,
            home=app.home,
            model=app.model if wanted else None,
        )
    )


def _read_text(value: str | None) -> str:
    """An argument, or standard input for "-"."""
    if value == "-":
        return sys.stdin.read()
    return value or ""


@click.group()
def letters() -> None:
    """Write heartfelt letters from a few notes, proofread them, and bind them into a book."""


@letters.command("list")
@click.option("--starred", is_flag=True, help="Only starred letters.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_letters(ctx: click.Context, starred: bool, as_json: bool) -> None:
    """List your letters."""
    found = _letters(ctx).library.all(starred=starred)
    if as_json:
        click.echo(json.dumps([x.as_dict() for x in found], ensure_ascii=False))
        return
    if not found:
        out.print("No letters yet. Try: os1 letters write --to Chris --about 'our anniversary' …")
        return
    for x in found:
        star = "★" if x.starred else " "
        out.print(
            f"{star} [bold]#{x.id}[/] {escape(x.title)} [dim](v{x.version}, {x.updated_at[:10]})[/]"
        )


@letters.command("show")
@click.argument("letter_id", type=int)
@click.option("--version", "version", type=int, help="An earlier version.")
@click.option("--history", is_flag=True, help="List every version and what changed.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(
    ctx: click.Context, letter_id: int, version: int | None, history: bool, as_json: bool
) -> None:
    """Show a letter (as it is now, or an earlier version)."""
    lib = _letters(ctx).library
    letter = lib.get(letter_id)
    versions = lib.versions(letter_id)
    if as_json:
        data = letter.as_dict() | {"versions": [v.__dict__ for v in versions]}
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    if history:
        for v in versions:
            out.print(f"v{v.version} {v.created_at} [dim]{v.author}[/] {escape(v.change)}")
        return
    body = letter.body
    if version is not None:
        match = [v for v in versions if v.version == version]
        if not match:
            raise click.BadParameter(f"letter #{letter_id} has versions 1–{len(versions)}")
        body = match[0].body
    out.print(
        f"[bold]#{letter.id} {escape(letter.title)}[/] [dim](version "
        f"{version or letter.version} of {len(versions)})[/]\n"
    )
    click.echo(body)


@letters.command("write")
@click.argument("notes", nargs=-1)
@click.option("--to", "recipient", default="", help="Who the letter is to.")
@click.option("--from", "sender", default="", help="Who it is from (default: you).")
@click.option("--about", "occasion", default="", help="What it is about.")
@click.option("--tone", type=click.Choice(TONES), help="How it should sound.")
@click.option("--notes-file", type=click.File("r"), help="Notes from a file ('-' for stdin).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def write(
    ctx: click.Context,
    notes: tuple[str, ...],
    recipient: str,
    sender: str,
    occasion: str,
    tone: str | None,
    notes_file: IO[str] | None,
    as_json: bool,
) -> None:
    """Write a letter from NOTES (each argument one note) and keep it."""
    text = "\n".join(notes)
    if notes_file is not None:
        text = "\n".join(x for x in (text, notes_file.read()) if x)
    letter = asyncio.run(
        _letters(ctx).write(
            notes=text, recipient=recipient, sender=sender, occasion=occasion, tone=tone
        )
    )
    _print_letter(letter, as_json)


@letters.command("revise")
@click.argument("letter_id", type=int)
@click.argument("instruction", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def revise(ctx: click.Context, letter_id: int, instruction: tuple[str, ...], as_json: bool) -> None:
    """Revise a letter: "make it warmer", "shorter", "add that …"; old versions are kept."""
    letter = asyncio.run(_letters(ctx).revise(" ".join(instruction), letter_id))
    _print_letter(letter, as_json)


@letters.command("proofread")
@click.argument("letter_id", type=int, required=False)
@click.option("--text", help="Proofread this text instead ('-' for stdin).")
@click.option(
    "--apply",
    "apply_fixes",
    is_flag=True,
    help="Make the suggested corrections (a letter gets a new version).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def proofread(
    ctx: click.Context, letter_id: int | None, text: str | None, apply_fixes: bool, as_json: bool
) -> None:
    """Proofread a letter (the latest by default) or a text: spelling, grammar, style."""
    service = _letters(ctx)
    given = _read_text(text)
    if text is not None and not given.strip():
        raise click.BadParameter("the text to proofread is empty", param_hint="--text")
    checked, found, letter = asyncio.run(service.proofread(given, letter_id))
    if as_json:
        data = {
            "letter_id": letter.id if letter else None,
            "suggestions": [s.as_dict() for s in found],
        }
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        head = f"#{letter.id} {letter.title}\n" if letter else ""
        click.echo(head + describe(checked, found, limit=200))
    if apply_fixes:
        fixed = apply(checked, found)
        if letter is None:
            click.echo("\n" + fixed)
        elif fixed != checked:
            new = service.library.revise(
                letter.id, fixed, change="proofreading", now=service.ctx.now(), author="proofreader"
            )
            err.print(f"saved as version {new.version} of letter #{new.id}")


@letters.command("star")
@click.argument("letter_id", type=int)
@click.option("--off", is_flag=True, help="Take the star away.")
@click.pass_context
def star(ctx: click.Context, letter_id: int, off: bool) -> None:
    """Star a letter (e.g. for `os1 letters book --starred`)."""
    letter = _letters(ctx).library.star(letter_id, not off)
    out.print(f"#{letter.id} {'unstarred' if off else 'starred'}")


@letters.command("delete")
@click.argument("letter_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete(ctx: click.Context, letter_id: int, yes: bool) -> None:
    """Delete a letter and all its versions."""
    lib = _letters(ctx).library
    letter = lib.get(letter_id)
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("deleting cannot be undone: confirm with --yes")
        click.confirm(f"Delete #{letter.id} {letter.title} and all its versions?", abort=True)
    lib.delete(letter_id)
    out.print(f"deleted #{letter_id}")


@letters.command("book")
@click.argument("letter_ids", type=int, nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every letter (the default).")
@click.option("--starred", is_flag=True, help="Only starred letters.")
@click.option("--title", help="The book's title.")
@click.option(
    "-o",
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the PDF (default: a new file in <home>/letters).",
)
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.pass_context
def book(
    ctx: click.Context,
    letter_ids: tuple[int, ...],
    everything: bool,
    starred: bool,
    title: str | None,
    out_path: Path | None,
    force: bool,
) -> None:
    """Bind letters (by id, the starred ones, or all) into a typeset PDF book."""
    if letter_ids and (everything or starred):
        raise click.UsageError("give letter ids, or --all, or --starred (not several)")
    service = _letters(ctx)
    chosen = service.choose(list(letter_ids), starred=starred)
    path = service.book(chosen, title=title, out=out_path, overwrite=force)
    out.print(f"{len(chosen)} letter{'s' if len(chosen) != 1 else ''} bound into {path}")


def _print_letter(letter: Letter, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(letter.as_dict(), ensure_ascii=False))
        return
    err.print(f"[dim]#{letter.id} {escape(letter.title)} (version {letter.version})[/]")
    click.echo(letter.body, nl=False)
