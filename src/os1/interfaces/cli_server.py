"""`os1 serve` (the web app and API) and `os1 users …` (accounts and API tokens)."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.config import Settings
from os1.interfaces.app import App
from os1.server.users import LOCAL_USER, Users, purge_user_data
from os1.storage import Store, database_url_of, is_postgres_url, open_store

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _app(ctx: click.Context) -> App:
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    return app


def _store(ctx: click.Context, user_id: str) -> Store:
    """A store of the server's database (PostgreSQL when `database_url` names one)."""
    app = _app(ctx)
    return open_store(app.home, user_id, database_url_of(app.settings))


def _users(ctx: click.Context) -> Users:
    users = Users(_store(ctx, "server"))
    ctx.call_on_close(users.store.close)
    return users


def _raise_file_limit() -> None:
    """Every open socket and each user's database connection is a file descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


UVICORN_OPTIONS: dict[str, Any] = {
    # Browsers' keep-alive pings are enough; a proxy in front may set its own limits.
    "ws_ping_interval": 30,
    "ws_ping_timeout": 30,
    "server_header": False,
    # No permessage-deflate on the sockets: a frame is a few tokens of JSON, which deflate
    # barely shrinks, and each socket would keep a compressor's window for as long as it is
    # open (thousands are held). Node's `ws` leaves it off by default for the same reasons.
    "ws_per_message_deflate": False,
}
# A worker that fails sooner than this after starting is not restarted: it would fail again.
STEADY_SECONDS = 10.0
FORWARDED = {signal.SIGTERM, signal.SIGINT}


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker processes on one port (more than one needs PostgreSQL: database_url).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the web app, the API and an OpenAI-compatible /v1."""
    app = _app(ctx)
    if workers > 1 and not is_postgres_url(database_url_of(app.settings)):
        # SQLite is one file on one machine with one writer at a time: processes would queue
        # on its write lock, and notifications and the scheduler's election need PostgreSQL.
        raise click.UsageError(
            "--workers above 1 needs PostgreSQL: set database_url (or OS1_DATABASE_URL) to "
            "postgresql://…; with SQLite one process serves everyone (`os1 migrate --to` "
            "copies this home's data across)."
        )
    shown = f"[{host}]" if ":" in host else host
    if workers == 1:
        _serve_one(app, host, port, log_level, shown)
    else:
        _serve_many(app, host, port, log_level, shown, workers)


def _serve_one(app: App, host: str, port: int, log_level: str, shown: str) -> None:
    import uvicorn

    from os1.server import create_app
    from os1.server.state import Server

    application = create_app(app.home, app.settings, host=host)
    server: Server = application.state.os1
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
    uvicorn.run(application, host=host, port=port, log_level=log_level, **UVICORN_OPTIONS)


def _serve_many(app: App, host: str, port: int, log_level: str, shown: str, workers: int) -> None:
    """Fork `workers` processes that accept on one listening socket, each with its own app
    (its own event loop, model and database pool), and restart any that dies."""
    from os1.storage.postgres import close_pools

    users = Users(open_store(app.home, "server", database_url_of(app.settings)))
    try:
        count = len(users.list_users())
    finally:
        users.store.close()
    err.print(
        f"OS1 on http://{shown}:{port}/ with {workers} workers  "
        "(API schema: /openapi.json, OpenAI clients: /v1)"
    )
    err.print(f"[dim]login required; {count} user(s) — add more with `os1 users add`[/]")
    if count == 0:
        err.print("[yellow]nobody can log in yet:[/] run `os1 users add NAME` first")
    _raise_file_limit()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=2048)
    listener.set_inheritable(True)
    # A pool's threads and connections do not survive a fork: each worker opens its own.
    close_pools()
    children: dict[int, float] = {}  # pid → when it started
    stopping = False

    def start_worker() -> None:
        # Signals wait until the worker has its own handlers: one arriving just after the
        # fork must not run the parent's handler in the worker (and be lost there).
        signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        if stopping:  # asked to stop while the workers were being started
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
            return
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                _run_worker(app.home, app.settings, host, listener, log_level)
                code = 0
            finally:
                os._exit(code)
        # Known before a pending stop signal is handled, so that it reaches this one too.
        children[pid] = time.monotonic()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        start_worker()
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        started = children.pop(pid, None)
        if started is None or stopping:
            continue
        code = os.waitstatus_to_exitcode(status)
        # One that failed on its own right at start (bad settings, database unreachable)
        # would only fail again; one killed by a signal (the OOM killer, an operator) is not
        # a start-up failure and is replaced.
        if code > 0 and time.monotonic() - started < STEADY_SECONDS:
            err.print(f"[red]worker {pid} ended at start-up (exit {code}); stopping[/]")
            failed = True
            stop(signal.SIGTERM, None)
            continue
        # The others go on serving (any worker serves any user); this one is replaced.
        err.print(f"[yellow]worker {pid} ended (exit {code}); starting another[/]")
        start_worker()
    listener.close()
    if failed:
        raise SystemExit(1)


def _run_worker(
    home: Path, settings: Settings, host: str, listener: socket.socket, log_level: str
) -> None:
    import uvicorn

    from os1.server import create_app

    # The parent's handlers forward signals to workers; a worker's own are uvicorn's.
    for number in FORWARDED:
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
    application = create_app(home, settings, host=host)
    config = uvicorn.Config(application, log_level=log_level, **UVICORN_OPTIONS)
    uvicorn.Server(config).run(sockets=[listener])


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
        store = _store(ctx, user.id)
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
