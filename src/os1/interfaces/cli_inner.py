"""`os1 threads list|close ID`: what the companion means to ask about; `os1 story`: our story;
`os1 journal list|show ID|delete ID`: what the companion wrote about each day; `os1 self
show|history|edit|reset`: the companion's own self; `os1 compose`: a piece of music of our
time."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from os1.interfaces.app import App

if TYPE_CHECKING:
    from os1.inner.life import InnerLife
    from os1.inner.self import Claim, Self
    from os1.memory.store import MemoryStore

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


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
        state = f"{t.state} by a check-in" if t.asked_via == "proactive" else t.state
        out.print(
            f"[bold]{t.id}[/]  {escape(t.topic)}  [dim]{state}, ask after {when}[/]  "
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
    by = our_journal.written_by(ctx.ensure_object(App).store, found.day)
    out.print(f"[bold]{found.id}[/]  {found.day}  [dim]{by}[/]\n{escape(found.text)}")
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


# -- the self ------------------------------------------------------------------------------


@click.group("self")
def self_group() -> None:
    """The companion's own self: its interests, opinions, curiosities, how it sees you two.
    Yours to see, correct and reset."""


def _self(ctx: click.Context) -> Self:
    from os1.inner.self import Self

    app: App = ctx.ensure_object(App)
    return Self(app.store)


def _print_claim(claim: Claim) -> None:
    why = f"  [dim]because {escape(claim.why)}[/]" if claim.why else ""
    where = f"conversation {claim.conversation_id}" if claim.conversation_id else claim.source
    out.print(f"[bold]{claim.id}[/]  [cyan]{claim.kind}[/]  {escape(claim.text)}{why}")
    out.print(f"     [dim]from {escape(where)}, {claim.since[:16].replace('T', ' ')}[/]")


@self_group.command("show")
@click.option("--version", "at", type=int, help="As it was at this version.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show_self(ctx: click.Context, at: int | None, as_json: bool) -> None:
    """What the companion has come to be, each claim with where it came from."""
    me = _self(ctx)
    claims = me.claims(at=at)
    if as_json:
        shown = {
            "version": me.version if at is None else at,
            "claims": [c.as_dict() for c in claims],
        }
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    if not claims:
        out.print(
            "Nothing yet: the self grows from what you share, or add to it with "
            "`os1 self edit --add KIND --text ...`."
        )
        return
    for claim in claims:
        _print_claim(claim)
    out.print(f"[dim]version {me.version if at is None else at}[/]")


@self_group.command("history")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def self_history(ctx: click.Context, as_json: bool) -> None:
    """Every change to the self, with its reason: any of them can be returned to."""
    found = _self(ctx).history()
    if as_json:
        click.echo(json.dumps([v.as_dict() for v in found], indent=2, ensure_ascii=False))
        return
    if not found:
        out.print("No changes yet.")
        return
    for v in found:
        what = v.after or v.before or {}
        about = f" {v.claim_id}: {escape(str(what.get('text', '')))}" if v.claim_id else ""
        out.print(
            f"[bold]v{v.number}[/]  [dim]{v.at[:16].replace('T', ' ')} {v.by}[/]  "
            f"{v.change}{about}  [dim]({escape(v.reason)})[/]"
        )


@self_group.command("edit")
@click.argument("claim_id", type=int, required=False)
@click.option("--add", "add_kind", help="Add a claim of this kind (interest, opinion, …).")
@click.option("--text", help="What the claim says.")
@click.option("--why", help="Why the companion holds it.")
@click.option("--kind", help="Change the claim's kind.")
@click.option("--remove", is_flag=True, help="Remove the claim.")
@click.option("--reason", default="", help="Why you changed it (kept in the history).")
@click.pass_context
def edit_self(
    ctx: click.Context,
    claim_id: int | None,
    add_kind: str | None,
    text: str | None,
    why: str | None,
    kind: str | None,
    remove: bool,
    reason: str,
) -> None:
    """Add (`--add KIND --text ...`), change (`ID --text/--why/--kind`) or remove (`ID
    --remove`) one claim. Every change is kept as a new version."""
    from os1.inner.self import SelfError

    me = _self(ctx)
    if add_kind is not None:
        if claim_id is not None or text is None:
            raise SelfError(
                "--add takes --text and no claim id",
                hint="os1 self edit --add opinion --text '...' --why '...'",
            )
        added = me.add(add_kind, text, why=why or "", reason=reason or "added by the user")
        out.print(f"Added claim {added.id} (version {me.version}).")
        return
    if claim_id is None:
        raise SelfError("which claim?", hint="give its id (`os1 self show`) or --add KIND.")
    if remove:
        gone = me.remove(claim_id, reason=reason or "removed by the user")
        out.print(f"Removed claim {gone.id} (version {me.version}).")
        return
    me.edit(claim_id, text=text, why=why, kind=kind, reason=reason or "edited by the user")
    out.print(f"Changed claim {claim_id} (version {me.version}).")


@self_group.command("reset")
@click.argument("version", type=int)
@click.option("--reason", default="", help="Why (kept in the history).")
@click.pass_context
def reset_self(ctx: click.Context, version: int, reason: str) -> None:
    """Return the self to an earlier VERSION (0: empty). The reset is itself a version, so it
    can be undone the same way."""
    me = _self(ctx)
    claims = me.reset(version, reason=reason)
    out.print(
        f"The self is as it was at version {version}: {len(claims)} claim"
        f"{'' if len(claims) == 1 else 's'} (now version {me.version})."
    )


# -- a photograph in music -------------------------------------------------------------------


@click.command()
@click.option("--conversation", "-c", "conversation_id", type=int, help="Of this conversation.")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Of this day (YYYY-MM-DD).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("piece.wav"),
    show_default=True,
    help="A .wav (the .mid is written beside it) or a .mid.",
)
@click.option("--soundfont", type=click.Path(dir_okay=False, path_type=Path), help="An .sf2.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def compose(
    ctx: click.Context,
    conversation_id: int | None,
    day: datetime | None,
    output: Path,
    soundfont: Path | None,
    as_json: bool,
) -> None:
    """A short piano piece, a photograph of our time (or of one conversation or day): its key,
    tempo and melody follow how you felt. The same time together always gives the same piece."""
    from os1.inner import compose as music

    app: App = ctx.ensure_object(App)
    piece = music.compose(
        music.arc(app.store, conversation_id=conversation_id, day=day.date() if day else None)
    )
    midi = output if output.suffix.lower() in (".mid", ".midi") else output.with_suffix(".mid")
    music.write_midi(piece, midi)
    why_not = None if midi == output else music.render(midi, output, soundfont)
    written = [str(midi)] + ([] if midi == output or why_not else [str(output)])
    if as_json:
        shown = {**piece.summary(), "files": written, "not_rendered": why_not}
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    out.print(
        f"{escape(piece.title.capitalize())}: {piece.key} {piece.mode}, {piece.bpm} bpm, "
        f"{piece.seconds:.0f} s. Wrote {escape(', '.join(written))}."
    )
    if why_not:
        err.print(f"No audio: {why_not}. The MIDI file plays in any MIDI player.")
