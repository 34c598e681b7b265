"""The `os1` command line: chat, one-shot `say`, setup, history, models, config, persona."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.config import CONFIG_FILE, Settings, set_config_value
from os1.errors import ConfigError, OS1Error, exit_code_for
from os1.events import ConfirmationRequired, MemoryRecalled, TurnDone, TurnError, TurnStarted
from os1.interfaces.app import App
from os1.interfaces.render import print_error, render_notification, render_turn
from os1.mind import onboarding
from os1.mind import persona as keys
from os1.mind.companion import Companion
from os1.mind.outbox import notifier
from os1.mind.persona import Identity, default_persona_text
from os1.storage.base import StoredMessage

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


# Command groups that live in their own modules, imported only when used: every `os1`
# process would otherwise import every skill, the server and the voice engines at start-up.
LAZY_COMMANDS = {
    "actions": "os1.interfaces.cli_actions:actions",
    "calendar": "os1.interfaces.cli_calendar:calendar",
    "journal": "os1.interfaces.cli_inner:journal",  # inner life
    "compose": "os1.interfaces.cli_inner:compose",  # inner life
    "letters": "os1.interfaces.cli_letters:letters",
    "listen": "os1.interfaces.cli_voice:listen",
    "mail": "os1.interfaces.cli_mail:mail",
    "mcp": "os1.interfaces.cli_mcp:mcp",
    "memory": "os1.interfaces.cli_memory:memory",
    "migrate": "os1.interfaces.cli_migrate:migrate",
    "models": "os1.interfaces.cli_models:models",
    "notes": "os1.interfaces.cli_calendar:notes",
    "remind": "os1.interfaces.cli_reminders:remind",
    "reminders": "os1.interfaces.cli_reminders:reminders",
    "self": "os1.interfaces.cli_inner:self_group",  # inner life
    "serve": "os1.interfaces.cli_server:serve",
    "speak": "os1.interfaces.cli_voice:speak",
    "story": "os1.interfaces.cli_inner:story",  # inner life
    "threads": "os1.interfaces.cli_inner:threads",  # inner life
    "users": "os1.interfaces.cli_server:users",
    "voice": "os1.interfaces.cli_voice:voice",
}


class OS1Group(click.Group):
    """Turns expected failures into one clear line and an exit code, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in LAZY_COMMANDS:
            module, _, attr = LAZY_COMMANDS[cmd_name].partition(":")
            found = getattr(importlib.import_module(module), attr)
            assert isinstance(found, click.Command)  # a wrong table entry is a bug, not input
        return found

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OS1Error as exc:
            print_error(err, exc.message, exc.hint)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print()
            ctx.exit(130)
        except OSError as exc:
            if exc.errno == 28:  # ENOSPC
                print_error(err, "the disk is full", "Free some space, or move OS1 with --home.")
                ctx.exit(5)
            raise


def app_of(ctx: click.Context) -> App:
    app: App = ctx.ensure_object(App)
    return app


@click.group(cls=OS1Group, invoke_without_command=True)
@click.option(
    "--home",
    envvar="OS1_HOME",
    type=click.Path(file_okay=False),
    help="Folder for everything OS1 keeps (default: your XDG data folder). Env: OS1_HOME.",
)
@click.version_option(package_name="os1")
@click.pass_context
def cli(ctx: click.Context, home: str | None) -> None:
    """OS1 — a private AI companion that listens, understands and knows you."""
    app = App.at(home)
    ctx.obj = app
    ctx.call_on_close(app.close)
    if ctx.invoked_subcommand is None:
        ctx.invoke(chat)


# -- talking ------------------------------------------------------------------------------


@cli.command()
@click.option("--new", is_flag=True, help="Start a new conversation instead of resuming.")
@click.option("--conversation", "-c", type=int, help="Resume this conversation.")
@click.pass_context
def chat(ctx: click.Context, new: bool, conversation: int | None) -> None:
    """Talk with your companion (streams replies; /help for commands)."""
    app = app_of(ctx)
    settings = app.settings  # fail on bad config before anything else
    if not Identity.load(app.store).onboarded:
        run_onboarding(app)
    with asyncio.Runner() as runner:
        model = app.model
        identity = Identity.load(app.store)
        with err.status(f"Waking {identity.companion_name} up — loading {model.name}…"):
            runner.run(model.load())
        companion = app.companion(background=True)
        conv = companion.conversation_for(conversation, new)
        _show_recent(app, conv, identity)
        err.print(f"[dim]{settings.model} · conversation {conv} · /help for commands[/]")
        you = identity.user_name or "you"
        from os1.interfaces.services import BackgroundServices

        # Reminders and check-ins arrive while the chat is open, printed as they come. The
        # chat listens before the scheduler starts: its first tick runs at once, on its own
        # thread, and a reminder delivered before anyone listened was never printed.
        stop_listening = notifier.subscribe(
            app.store.user_id,
            lambda note: render_notification(note, out, identity.companion_name),
        )
        try:
            services = BackgroundServices(
                app.open_store, settings, app.home, notes=companion.skill_context
            ).start()
            try:
                _chat_loop(app, runner, companion, conv, identity, you)
            finally:
                services.stop()
        finally:
            stop_listening()


def _chat_loop(
    app: App,
    runner: asyncio.Runner,
    companion: Companion,
    conv: int,
    identity: Identity,
    you: str,
) -> None:
    """Read, answer, and ask before any side effect, until the user leaves."""
    while True:
        try:
            line = out.input(f"[bold cyan]{escape(you)}[/]> ")
        except EOFError:
            out.print()
            break
        except KeyboardInterrupt:
            err.print("\n[dim](type /quit or press Ctrl-D to leave)[/]")
            continue
        text = line.strip()
        if text.startswith("/"):
            conv_or_quit = _slash(app, text, conv)
            if conv_or_quit is None:
                break
            conv = conv_or_quit
            continue
        if not text:
            continue
        asks: list[ConfirmationRequired] = []
        try:
            runner.run(
                render_turn(companion.turn(text, conv), out, err, identity.companion_name, asks)
            )
            for ask in asks:
                approve = _ask_confirmation(ask.summary)
                runner.run(
                    render_turn(
                        companion.decide(ask.call_id, approve),
                        out,
                        err,
                        identity.companion_name,
                    )
                )
        except KeyboardInterrupt:
            out.print()
            err.print("[dim](reply cancelled — what was said is kept)[/]")


def _ask_confirmation(summary: str) -> bool:
    """Ask about one exact action; anything but an explicit yes is a no."""
    try:
        answer = out.input(f"[bold yellow]Confirm[/]: {escape(summary)}? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        out.print()
        return False
    return answer.strip().lower() in ("y", "yes")


HELP = """[bold]/new[/]          start a new conversation
[bold]/history[/]      list conversations
[bold]/open ID[/]      resume conversation ID
[bold]/help[/]         this help
[bold]/quit[/]         leave (Ctrl-D works too; Ctrl-C stops a reply)"""


def _slash(app: App, text: str, conv: int) -> int | None:
    command, _, arg = text.partition(" ")
    if command in ("/quit", "/exit", "/q"):
        return None
    if command == "/new":
        new = app.store.create_conversation().id
        err.print(f"[dim]new conversation {new}[/]")
        return new
    if command == "/history":
        _conversation_table(app)
        return conv
    if command == "/open" and arg.strip().isdigit():
        try:
            opened = app.store.get_conversation(int(arg)).id
        except OS1Error as exc:
            print_error(err, exc.message, exc.hint)
            return conv
        _show_recent(app, opened, Identity.load(app.store))
        return opened
    if command != "/help":
        err.print(f"[yellow]unknown command {escape(command)}[/]")
    out.print(HELP)
    return conv


def _speaker(message: StoredMessage, identity: Identity) -> tuple[str, str]:
    """Who said it, and a mark for anything but a complete message."""
    who = identity.companion_name if message.role == "assistant" else identity.user_name or "you"
    mark = "" if message.status == "complete" else f" [yellow]({message.status})[/]"
    return escape(who), mark


def _show_recent(app: App, conv: int, identity: Identity, last: int = 6) -> None:
    for message in app.store.messages(conv, last=last):
        who, mark = _speaker(message, identity)
        out.print(f"[dim]{who}: {escape(message.content)}[/]{mark}")


@cli.command()
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--new", is_flag=True, help="Say it in a new conversation.")
@click.option("--conversation", "-c", type=int, help="Say it in this conversation.")
@click.pass_context
def say(ctx: click.Context, text: str, as_json: bool, new: bool, conversation: int | None) -> None:
    """Say one thing and print the reply (for scripts; never asks for input).

    TEXT of '-' reads the message from standard input. Exit codes: 0 replied, 2 bad input,
    3 bad config, 4 model failed, 5 storage failed, 6 message too long, 7 not found.
    """
    app = app_of(ctx)
    if text == "-":
        text = sys.stdin.read()
    app.settings  # noqa: B018 — validate config before loading anything
    companion = app.companion()
    result: dict[str, Any] = {}
    # The memories the reply used (recalled into the prompt, or quoted in a memory answer).
    memories: list[dict[str, Any]] = []

    asks: list[ConfirmationRequired] = []

    async def run() -> TurnDone | TurnError | None:
        final: TurnDone | TurnError | None = None
        if as_json:
            async for event in companion.turn(text, conversation, new=new):
                if isinstance(event, TurnStarted):
                    result.update(event.model_dump(exclude={"type"}))
                elif isinstance(event, ConfirmationRequired):
                    asks.append(event)
                elif isinstance(event, MemoryRecalled):
                    memories.extend(event.memories)
                elif isinstance(event, TurnDone | TurnError):
                    final = event
            return final
        return await render_turn(
            companion.turn(text, conversation, new=new), out, err, confirmations=asks
        )

    final = asyncio.run(run())
    if as_json:
        if isinstance(final, TurnDone):
            result.update(message_id=final.message_id, reply=final.text, status=final.status)
        elif isinstance(final, TurnError):
            result["error"] = final.model_dump(exclude={"type"})
        result["pending"] = [a.model_dump(exclude={"type"}) for a in asks]
        result["memories"] = memories
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        # `say` never asks for input: a side effect waits until confirmed by its id.
        for ask in asks:
            err.print(
                f"[yellow]waiting for your confirmation:[/] {escape(ask.summary)} — "
                f"`os1 actions confirm {ask.call_id}` or `os1 actions decline {ask.call_id}`"
            )
    sys.stdout.flush()
    if companion.memory is not None and isinstance(final, TurnDone):
        companion.memory.consolidate()  # after the reply is out: off the hot path
    if isinstance(final, TurnError):
        ctx.exit(exit_code_for(final.code))


# -- setup and identity ---------------------------------------------------------------------


def run_onboarding(app: App, prompt: Callable[[str], str] | None = None) -> Identity:
    ask = prompt or (lambda q: click.prompt(q, default="", show_default=False))
    out.print(f"\n{onboarding.WELCOME}\n")
    answers: dict[str, str] = {}
    for question in onboarding.QUESTIONS:
        out.print(f"[bold magenta]{escape(question.prompt)}[/]")
        answers[question.key] = ask(">")
    identity, intro = onboarding.finish(app.store, answers)
    out.print(f"\n[bold magenta]{escape(identity.companion_name)}[/]: {escape(intro)}\n")
    from os1.interfaces.cli_models import offer_better_model

    offer_better_model(app, ask)
    return identity


@cli.command()
@click.pass_context
def setup(ctx: click.Context) -> None:
    """Meet your companion (again): a few questions, then it chooses its own name."""
    run_onboarding(app_of(ctx))


@cli.group()
def persona() -> None:
    """See and edit who your companion is."""


@persona.command("show")
@click.pass_context
def persona_show(ctx: click.Context) -> None:
    """Show the companion's name, what it knows from setup, and its persona text."""
    app = app_of(ctx)
    identity = Identity.load(app.store)
    profile = app.store.profile()
    out.print(f"[bold]name:[/] {escape(identity.companion_name)}")
    if profile.get(keys.NAME_REASON):
        out.print(f"[bold]why:[/] {escape(profile[keys.NAME_REASON])}")
    out.print(f"[bold]your name:[/] {escape(identity.user_name or '(not set)')}")
    out.print(f"[bold]voice:[/] {identity.voice}")
    for key, answer in identity.answers.items():
        out.print(f"[bold]{escape(key)}:[/] {escape(answer)}")
    source = "edited" if identity.persona_text else "default"
    out.print(f"[bold]persona ({source}):[/]")
    out.print(identity.persona_text or default_persona_text(), markup=False)


@persona.command("edit")
@click.option("--file", "path", type=click.File("r"), help="Read the persona from a file.")
@click.pass_context
def persona_edit(ctx: click.Context, path: Any) -> None:
    """Edit the persona text (in $EDITOR, or from --file)."""
    app = app_of(ctx)
    current = Identity.load(app.store).persona_text or default_persona_text()
    text = path.read() if path else click.edit(current, extension=".md")
    if text is None or not text.strip():
        err.print("[dim]persona unchanged[/]")
        return
    app.store.set_profile(keys.PERSONA_TEXT, text)
    out.print("persona saved")


@persona.command("reset")
@click.pass_context
def persona_reset(ctx: click.Context) -> None:
    """Go back to the default persona text (name and answers stay)."""
    app_of(ctx).store.delete_profile(keys.PERSONA_TEXT)
    out.print("persona reset to the default")


EDITABLE = {
    "companion_name": keys.COMPANION_NAME,
    "user_name": keys.USER_NAME,
    "voice": keys.VOICE,
}


@persona.command("set")
@click.argument("field", type=click.Choice(sorted([*EDITABLE, *onboarding.answer_keys()])))
@click.argument("value")
@click.pass_context
def persona_set(ctx: click.Context, field: str, value: str) -> None:
    """Change the companion's name, your name, the voice, or a setup answer."""
    store = app_of(ctx).store
    if field == "voice" and value not in onboarding.VOICES:
        raise click.BadParameter(f"choose one of {', '.join(onboarding.VOICES)}")
    if field in EDITABLE:
        store.set_profile(EDITABLE[field], value)
    else:
        answers = Identity.load(store).answers
        answers[field] = value
        store.set_profile(keys.ANSWERS, answers)
    out.print(f"{field} = {value}")


# -- history --------------------------------------------------------------------------------


@cli.command()
@click.argument("conversation_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def history(ctx: click.Context, conversation_id: int | None, as_json: bool, limit: int) -> None:
    """List conversations, or show one."""
    app = app_of(ctx)
    if conversation_id is None:
        if as_json:
            rows = [_asdict(c) for c in app.store.list_conversations(limit)]
            click.echo(json.dumps(rows, ensure_ascii=False))
        else:
            _conversation_table(app, limit)
        return
    conv = app.store.get_conversation(conversation_id)
    messages = app.store.messages(conv.id)
    if as_json:
        click.echo(
            json.dumps(
                {**_asdict(conv), "messages": [_asdict(m) for m in messages]}, ensure_ascii=False
            )
        )
        return
    identity = Identity.load(app.store)
    out.print(f"[bold]{escape(conv.title or '(untitled)')}[/] [dim]#{conv.id}[/]")
    for m in messages:
        who, mark = _speaker(m, identity)
        out.print(
            f"[dim]{m.created_at[:16].replace('T', ' ')}[/] [bold]{who}[/]{mark}: "
            f"{escape(m.content)}"
        )


def _asdict(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def _conversation_table(app: App, limit: int = 50) -> None:
    conversations = app.store.list_conversations(limit)
    if not conversations:
        out.print("No conversations yet. Start one with `os1 chat`.")
        return
    table = Table("id", "title", "messages", "last active")
    for c in conversations:
        table.add_row(
            str(c.id),
            c.title or "(untitled)",
            str(c.message_count),
            c.updated_at[:16].replace("T", " "),
        )
    out.print(table)


# -- models and config ----------------------------------------------------------------------


@cli.group(invoke_without_command=True)
@click.pass_context
def config(ctx: click.Context) -> None:
    """Show or change settings (stored in config.toml in the OS1 home)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(config_show)


@config.command("show")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def config_show(ctx: click.Context, as_json: bool = False) -> None:
    """Show the settings in effect (secrets masked)."""
    shown = app_of(ctx).settings.public_dict()
    if as_json:
        click.echo(json.dumps(shown))
        return
    for key, value in shown.items():
        out.print(f"[bold]{key}[/] = {escape(repr(value))}")


@config.command("get")
@click.argument("key")
@click.pass_context
def config_get(ctx: click.Context, key: str) -> None:
    """Print one setting: a top-level KEY or a section's `section.key`."""
    try:
        click.echo(app_of(ctx).settings.public_dict()[key])
    except KeyError:
        known = ", ".join(sorted(Settings.model_fields))
        raise ConfigError(f"unknown setting {key!r}", hint=f"Known settings: {known}") from None


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
def config_set(ctx: click.Context, key: str, value: str) -> None:
    """Set KEY to VALUE, checked before it is saved."""
    app = app_of(ctx)
    settings = set_config_value(app.home, key, value)
    out.print(f"{key} = {escape(repr(settings.public_dict()[key]))}")


@config.command("unset")
@click.argument("key")
@click.pass_context
def config_unset(ctx: click.Context, key: str) -> None:
    """Return KEY to its default."""
    set_config_value(app_of(ctx).home, key, None)
    out.print(f"{key} reset")


@config.command("path")
@click.pass_context
def config_path(ctx: click.Context) -> None:
    """Print where OS1 keeps its data and settings."""
    app = app_of(ctx)
    click.echo(
        f"home: {app.home}\nconfig: {app.home / CONFIG_FILE}\ndatabase: {app.home / 'os1.db'}"
    )


def main() -> None:
    cli(prog_name="os1")
