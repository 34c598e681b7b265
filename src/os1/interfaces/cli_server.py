"""`os1 serve` (the web app and API) and `os1 users …` (accounts and API tokens)."""

from __future__ import annotations

import json
import resource
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.interfaces.app import App
from os1.server.users import LOCAL_USER, Users, purge_user_data
from os1.storage.sqlite import SQLiteStore

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _app(ctx: click.Context) -> App:
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    return app


def _users(ctx: click.Context) -> Users:
    return Users(_app(ctx).store)


def _raise_file_limit() -> None:
    """Every open socket and each user's database connection is a file descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, log_level: str) -> None:
    """Serve the web app, the API and an OpenAI-compatible /v1."""
    import uvicorn

    from os1.server import create_app
    from os1.server.state import Server

    app = _app(ctx)
    application = create_app(app.home, app.settings, host=host)
    server: Server = application.state.os1
    shown = f"[{host}]" if ":" in host else host
    err.print(f"OS1 on http://{shown}:{port}/  (API schema: /openapi.json, OpenAI clients: /v1)")
    if server.single_user:
        err.print(
            "[dim]single-user mode: no login, only this machine can connect "
            "(until an account is added with `os1 users add`)[/]"
        )
    else:
        count = len(server.users.list_users())
        why = (
            " (single-user mode ends once an account exists)" if server.single_user_allowed else ""
        )
        err.print(f"[dim]login required; {count} user(s){why} — add more with `os1 users add`[/]")
        if count == 0:
            err.print("[yellow]nobody can log in yet:[/] run `os1 users add NAME` first")
    _raise_file_limit()
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level=log_level,
        # Browsers' keep-alive pings are enough; a proxy in front may set its own limits.
        ws_ping_interval=30,
        ws_ping_timeout=30,
        server_header=False,
    )


@click.group()
def users() -> None:
    """Accounts for `os1 serve` (needed when it listens beyond this machine)."""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.UsageError("no terminal to ask for a password: use --password-stdin")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option(
    "--local",
    "owns_local",
    is_flag=True,
    help="This account gets the data the CLI uses (user id 'local').",
)
@click.pass_context
def users_add(ctx: click.Context, username: str, password_stdin: bool, owns_local: bool) -> None:
    """Add an account (you are asked for its password)."""
    password = _password(password_stdin)
    user = _users(ctx).add(username, password, user_id=LOCAL_USER if owns_local else None)
    out.print(f"added {escape(user.username)} (id {user.id})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def users_list(ctx: click.Context, as_json: bool) -> None:
    """List accounts."""
    found = _users(ctx).list_users()
    if as_json:
        click.echo(json.dumps([{**u.public(), "created_at": u.created_at} for u in found]))
        return
    if not found:
        out.print("No users yet: `os1 users add NAME`.")
        return
    table = Table("username", "id", "created")
    for u in found:
        table.add_row(escape(u.username), u.id, u.created_at[:16].replace("T", " "))
    out.print(table)


@users.command("remove")
@click.argument("username")
@click.option("--keep-data", is_flag=True, help="Remove the account but keep its data.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def users_remove(ctx: click.Context, username: str, keep_data: bool, yes: bool) -> None:
    """Remove an account, its tokens and sessions, and (unless --keep-data) all its data."""
    registry = _users(ctx)
    user = registry.get(username)
    what = "the account" if keep_data else "the account and everything OS1 keeps for it"
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("removing cannot be undone: confirm with --yes")
        click.confirm(f"Remove {what} ({username})?", abort=True)
    registry.remove(username)
    if not keep_data:
        store = SQLiteStore(_app(ctx).store.path, user.id)
        try:
            removed = purge_user_data(store)
        finally:
            store.close()
        rows = sum(v for k, v in removed.items() if k != "memories")
        out.print(f"removed {escape(username)}: {removed['memories']} memories, {rows} rows")
    else:
        out.print(f"removed {escape(username)} (data kept under id {user.id})")


@users.command("token")
@click.argument("username")
@click.option("--name", "label", default="api", show_default=True, help="What it is for.")
@click.option("--list", "list_only", is_flag=True, help="List tokens (never their secrets).")
@click.option("--revoke", type=int, help="Revoke the token with this id.")
@click.pass_context
def users_token(
    ctx: click.Context, username: str, label: str, list_only: bool, revoke: int | None
) -> None:
    """Make a personal API token (shown once), list tokens, or revoke one."""
    registry = _users(ctx)
    if revoke is not None:
        registry.revoke_token(username, revoke)
        out.print(f"revoked token {revoke}")
        return
    if list_only:
        table = Table("id", "name", "created", "last used")
        for t in registry.tokens(username):
            table.add_row(str(t.id), escape(t.name), t.created_at[:16], (t.last_used_at or "")[:16])
        out.print(table)
        return
    info, secret = registry.create_token(username, label)
    err.print(f"token {info.id} for {escape(username)} — shown only now, keep it safe:")
    click.echo(secret)


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.pass_context
def users_passwd(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a new password (logs that user out everywhere)."""
    _users(ctx).set_password(username, _password(password_stdin))
    out.print(f"password changed for {escape(username)}")
