"""`os1 models`: what the machine can run, switching to it, and downloading a better one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from os1.config import DEFAULT_MODEL, Settings, set_config_value
from os1.errors import ModelNotFound, OS1Error
from os1.interfaces.app import App
from os1.models import available_backends
from os1.models.catalog import CatalogModel, Machine, catalog, lookup, recommend
from os1.models.discovery import Found, best, discover, model_dirs
from os1.models.pull import pull, resolve

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def app_of(ctx: click.Context) -> App:
    app: App = ctx.ensure_object(App)
    return app


def find_local(app: App, settings: Settings | None = None) -> list[Found]:
    """Every model on this machine or its local servers, best first."""
    settings = settings or app.settings
    return discover(settings.probe_servers, model_dirs(app.home, settings.model_dirs))


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List models: backends, local servers, GGUF files on disk; `use` and `pull` them."""
    if ctx.invoked_subcommand is not None:
        return
    app = app_of(ctx)
    settings = app.settings
    rows: dict[str, dict[str, Any]] = {}
    for _name, backend in sorted(available_backends().items()):
        for info in backend(settings).list_models():
            rows[info.spec] = {**asdict(info), "spec": info.spec, "found": False}
    found = find_local(app, settings)
    for m in found:
        row = rows.setdefault(m.spec, {**asdict(m.info()), "spec": m.spec})
        row.update(found=True, **m.as_json())
    for row in rows.values():
        row["current"] = row["spec"] == settings.model
    if as_json:
        click.echo(json.dumps(list(rows.values())))
        return
    table = Table("model", "description", "status")
    for row in rows.values():
        current = " [green](current)[/]" if row["current"] else ""
        status = "ready" if row["available"] else f"[yellow]unavailable[/] {escape(row['detail'])}"
        table.add_row(escape(row["spec"]) + current, escape(row["description"]), status)
    out.print(table)
    top = best(found)
    if top is not None and top.spec != settings.model:
        out.print(f"Best found: [bold]{escape(top.name)}[/] {escape(top.where())}")
    out.print(
        "Switch with [bold]os1 models use NAME[/]; get a better one: [bold]os1 models recommend[/]"
    )


# -- use ------------------------------------------------------------------------------------


def resolve_use(app: App, name: str, found: list[Found] | None = None) -> tuple[str, str | None]:
    """The `model` setting (and server base URL) that NAME stands for."""
    backend, colon, rest = name.partition(":")
    if colon and backend in available_backends():
        if found is None and backend == "openai":
            found = find_local(app)  # which local server offers it, if one does
        match = next((m for m in (found or []) if m.spec == name), None)
        return name, match.base_url if match else None
    if found is None:
        found = find_local(app)
    lowered = name.lower()
    for m in found:
        if lowered in (m.name.lower(), Path(m.name).stem.lower(), (m.path or "").lower()):
            return m.spec, m.base_url
    known = lookup(name)
    if known is not None:
        path = app.home / "models" / known.hf_file
        if path.is_file():
            return f"llamacpp:{path}", None
        raise ModelNotFound(
            f"{known.name} is not downloaded yet", hint=f"Run `os1 models pull {known.name}`."
        )
    path = Path(name).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return f"llamacpp:{path.resolve()}", None
    raise ModelNotFound(
        f"no model called {name!r} on this machine",
        hint="See `os1 models` for what is here, or `os1 models pull NAME` to download one.",
    )


def switch_to(app: App, spec: str, base_url: str | None) -> None:
    set_config_value(app.home, "model", spec)
    if base_url:
        set_config_value(app.home, "openai_base_url", base_url)
    app.reload_settings()  # a chat that follows setup talks to the chosen model
    where = f" at {base_url}" if base_url else ""
    out.print(f"model = {escape(spec)}{escape(where)}")
    if os.environ.get("OS1_MODEL"):
        err.print("[yellow]note:[/] OS1_MODEL is set in your environment and overrides this")


@models.command("use")
@click.argument("name")
@click.pass_context
def models_use(ctx: click.Context, name: str) -> None:
    """Switch to NAME: a model `os1 models` found, a pulled catalog model, or a GGUF path."""
    app = app_of(ctx)
    switch_to(app, *resolve_use(app, name))


# -- pull and recommend ---------------------------------------------------------------------


def download(app: App, name: str) -> Path:
    """Pull NAME into the OS1 home's models folder, with a progress bar."""
    source = resolve(name, app.settings.hf_endpoint)
    err.print(f"Downloading {escape(source.filename)} from {escape(source.url)}")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(source.filename, total=None)

        def report(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        try:
            path = pull(source, app.home / "models", progress=report)
        except KeyboardInterrupt:
            bar.stop()
            err.print("[dim]download paused — run the same command again to resume[/]")
            raise
    out.print(f"installed {escape(str(path))}")
    return path


@models.command("pull")
@click.argument("name")
@click.option("--use", "use_it", is_flag=True, help="Switch to the model once it is installed.")
@click.pass_context
def models_pull(ctx: click.Context, name: str, use_it: bool) -> None:
    """Download a model: a catalog NAME, hf:OWNER/REPO/FILE.gguf, or a URL of a .gguf file.

    An interrupted download resumes when run again; nothing is installed until the whole
    file arrived and its checksum matches.
    """
    app = app_of(ctx)
    path = download(app, name)
    if use_it:
        switch_to(app, f"llamacpp:{path}", None)
    else:
        out.print(f"Use it with [bold]os1 models use {escape(path.name)}[/]")


def describe(m: CatalogModel) -> str:
    return (
        f"{m.title} — {m.size_bytes / 1e9:.1f} GB download, needs about {m.ram_gb:g} GB of "
        f"RAM, licence {m.license}"
    )


@models.command("recommend")
@click.option("--json", "as_json", is_flag=True)
@click.option("--yes", is_flag=True, help="Download it without asking.")
@click.pass_context
def models_recommend(ctx: click.Context, as_json: bool, yes: bool) -> None:
    """Recommend a model for this machine's memory, cores and GPU, and offer to download it."""
    app = app_of(ctx)
    machine = Machine.this()
    pick = recommend(machine)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "machine": asdict(machine),
                    "recommended": asdict(pick) if pick else None,
                    "catalog": [asdict(m) for m in catalog()],
                }
            )
        )
        return
    if pick is None:
        out.print(f"This machine ({machine.describe()}) is best served by the embedded model.")
        return
    out.print(f"For this machine ({machine.describe()}): [bold]{escape(describe(pick))}[/]")
    if (app.home / "models" / pick.hf_file).is_file():
        out.print(f"Already downloaded: [bold]os1 models use {pick.name}[/]")
        return
    if yes or click.confirm("Download it now?", default=False, err=True):
        path = download(app, pick.name)
        switch_to(app, f"llamacpp:{path}", None)


# -- first run ------------------------------------------------------------------------------


def offer_better_model(app: App, ask: Callable[[str], str]) -> None:
    """During setup, ask once: switch to the best model found, or download a fitting one.

    Only when the embedded default is in use; answers that are not a clear yes change nothing.
    """
    try:
        if app.settings.model != DEFAULT_MODEL:
            return
        top = best(find_local(app))
        if top is not None:
            out.print(
                f"[bold magenta]I found {escape(top.name)} {escape(top.where())} — a better "
                "mind than the tiny one I came with. Use it? [Y/n][/]"
            )
            if _answer(ask) in ("", "y", "yes"):
                switch_to(app, top.spec, top.base_url)
            return
        pick = recommend(Machine.this())
        if pick is None or (app.home / "models" / pick.hf_file).is_file():
            return
        out.print(
            f"[bold magenta]I could think better with {escape(describe(pick))}. "
            "Download it now? [y/N][/]"
        )
        if _answer(ask) in ("y", "yes"):
            switch_to(app, f"llamacpp:{download(app, pick.name)}", None)
    except OS1Error as exc:
        err.print(f"[yellow]{escape(exc.message)}[/] [dim]{escape(exc.hint)}[/]")


def _answer(ask: Callable[[str], str]) -> str:
    try:
        return ask(">").strip().lower()
    except (click.Abort, EOFError):
        return "n"
