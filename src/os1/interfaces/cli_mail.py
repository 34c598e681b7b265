"""`os1 mail …`: accounts, triage, read, draft; send, archive and delete only after the user
answers "y" on a terminal to a prompt that shows exactly what will happen."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from os1.errors import OS1Error
from os1.interfaces.app import App
from os1.skills import SkillContext
from os1.skills.mail import state
from os1.skills.mail.boxes import build_message
from os1.skills.mail.config import account, mail_settings
from os1.skills.mail.state import MailRef
from os1.skills.mail.tools import (
    check_mail,
    draft_reply,
    find_mail,
    move_now,
    prepare,
    read_mail,
    send_now,
    send_warning,
)


class NotConfirmed(OS1Error):
    exit_code = 8
    code = "not_confirmed"
    default_hint = "Run it in a terminal and answer y; this confirmation can't be skipped."


def _skill_context(
    ctx: click.Context, *, memory: bool = False, model: bool = False
) -> SkillContext:
    """Only what the command needs: loading the embedder or a model costs seconds."""
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    skill_ctx = SkillContext(
        store=app.store,
        settings=app.settings,
        home=app.home,
        memory=app.memory if memory and app.settings.memory else None,
        model=app.model if model else None,
    )
    prepare(skill_ctx)
    return skill_ctx


def _confirm(question: str) -> bool:
    """Ask on the terminal; without one, refuse: no flag or pipe can answer for the user."""
    if not sys.stdin.isatty():
        raise NotConfirmed("nothing was done: this needs your answer on a terminal")
    answer = click.prompt(f"{question} [y/N]", default="", show_default=False)
    return answer.strip().lower() in ("y", "yes")


@click.group()
def mail() -> None:
    """Read, sort and answer mail; sending, archiving and deleting always ask first."""


@mail.command("accounts")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def accounts(ctx: click.Context, as_json: bool) -> None:
    """The mail accounts that are set up (never their passwords)."""
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    found = mail_settings(app.settings).accounts
    if as_json:
        click.echo(json.dumps([a.public() for a in found.values()]))
        return
    if not found:
        click.echo("No mail account is set up: add one under [mail.accounts.<name>].")
        return
    for acct in found.values():
        shown = acct.public()
        where = f"{shown['host']}:{shown['port']}" if acct.kind == "imap" else acct.path
        extra = f", password: {shown['password']}" if acct.kind == "imap" else ""
        smtp = f", sends via {shown['smtp']}" if shown["smtp"] else ""
        click.echo(
            f"{acct.name}: {acct.kind} {where} ({acct.address or 'no address'}{extra}{smtp})"
        )


@mail.command("triage")
@click.option("--account", "account_name", default="", help="Which account.")
@click.option("--limit", type=int, default=0, help="How many of the newest mails.")
@click.option("--important", is_flag=True, help="Only what is important.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def triage(
    ctx: click.Context, account_name: str, limit: int, important: bool, as_json: bool
) -> None:
    """Sort the inbox into important, later and can go, with a reason for each."""
    output = check_mail.func(
        _skill_context(ctx), account_name, "important" if important else "all", limit
    )
    click.echo(json.dumps(output.data, ensure_ascii=False) if as_json else output.text)


@mail.command("read")
@click.argument("which", default="")
@click.option("--from", "sender", default="", help="The newest mail from this name or address.")
@click.option("--account", "account_name", default="")
@click.pass_context
def read(ctx: click.Context, which: str, sender: str, account_name: str) -> None:
    """Read a mail (a number from the last triage, or --from someone) and its thread."""
    click.echo(read_mail.func(_skill_context(ctx, memory=True), which, sender, account_name).text)


@mail.command("draft")
@click.argument("words", nargs=-1)
@click.option("--to", "to", default="", help="Answer the newest mail from this name or address.")
@click.option("--say", "say", default="", help="What the reply should say, in your words.")
@click.option("--account", "account_name", default="")
@click.pass_context
def draft(ctx: click.Context, words: tuple[str, ...], to: str, say: str, account_name: str) -> None:
    """Draft a reply in your voice: `os1 mail draft N "text"` answers mail N of the last
    triage (or `--to Amy --say "text"`); nothing is sent: see `os1 mail send`."""
    which, said = _which_and_text(words)
    if said and say:
        raise click.UsageError('say what the reply should say once: as "text" or with --say')
    say = say or said
    if not say.strip():
        raise click.UsageError('what should the reply say? e.g. os1 mail draft 1 "yes, I\'m in"')
    output = asyncio.run(
        draft_reply.func(_skill_context(ctx, model=True), say, to, which, account_name)
    )
    # The chat's "say send it" line doesn't apply here: the command to send it does.
    click.echo("\n".join(output.text.splitlines()[:-1]).rstrip())
    click.echo(f"\nSend it with: os1 mail send {output.data['draft']}")


def _which_and_text(words: tuple[str, ...]) -> tuple[str, str]:
    """`N "text"`, `"text"` or `N`: a leading number is the mail, the rest is the reply."""
    if words and words[0].strip().lstrip("#").isdigit():
        return words[0].strip(), " ".join(words[1:]).strip()
    return "", " ".join(words).strip()


@mail.command("send")
@click.argument("draft_id", type=int)
@click.pass_context
def send(ctx: click.Context, draft_id: int) -> None:
    """Send a draft, after showing exactly what will go out and asking you."""
    skill_ctx = _skill_context(ctx)
    found = state.draft(skill_ctx.store, draft_id)
    if found is None:
        raise OS1Error(f"there is no draft #{draft_id}", hint="`os1 mail draft` makes one.")
    if found.status != "draft":
        raise OS1Error(f"draft #{draft_id} was already sent", hint="Nothing was sent again.")
    acct = account(skill_ctx.settings, found.account)
    preview = build_message(acct, found.to, found.subject, found.body)
    click.echo(f"From: {preview['From']}\nTo: {found.to}\nSubject: {found.subject}\n")
    click.echo(found.body)
    click.echo("")
    warning = send_warning(
        skill_ctx, {"to": found.to, "account_name": found.account, "draft_id": found.id}
    )
    if warning:
        click.echo(f"Warning: {warning}.\n")
    if not _confirm("Send this mail?"):
        click.echo("Cancelled; nothing was sent.")
        ctx.exit(1)
    click.echo(send_now(skill_ctx, found.to, found.subject, found.body, found.id))


def _move(ctx: click.Context, which: str, sender: str, verb: str) -> None:
    skill_ctx = _skill_context(ctx)
    found = find_mail(skill_ctx, which, sender)
    ref = MailRef.of(found.mail)
    target = found.account.archive_folder if verb == "archive" else found.account.trash_folder
    click.echo(f"From: {ref.shown}\nSubject: {ref.subject}")
    if not _confirm(f"Move this mail to {target}?"):
        click.echo("Cancelled; nothing was moved.")
        ctx.exit(1)
    click.echo(move_now(skill_ctx, ref, target, "archived" if verb == "archive" else "deleted"))


@mail.command("archive")
@click.argument("which", default="")
@click.option("--from", "sender", default="", help="The newest mail from this sender.")
@click.pass_context
def archive(ctx: click.Context, which: str, sender: str) -> None:
    """Archive a mail, after asking you."""
    _move(ctx, which, sender, "archive")


@mail.command("delete")
@click.argument("which", default="")
@click.option("--from", "sender", default="", help="The newest mail from this sender.")
@click.pass_context
def delete(ctx: click.Context, which: str, sender: str) -> None:
    """Move a mail to the trash, after asking you."""
    _move(ctx, which, sender, "delete")
