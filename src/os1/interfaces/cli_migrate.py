"""`os1 migrate --to postgresql://…`: copy this home's store into PostgreSQL, verified."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.interfaces.app import App
from os1.storage import is_postgres_url


@click.command()
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The PostgreSQL database to copy into: postgresql://user:password@host/db",
)
@click.pass_context
def migrate(ctx: click.Context, target: str) -> None:
    """Copy every user's conversations, profile, tool calls, memories and skills' tables
    (mail, reminders, notes, calendar, letters, accounts: whatever a component keeps) into
    PostgreSQL.

    Each table is checked after the copy by row count and checksum; any difference keeps
    nothing. Running it again finds the data there and changes nothing; a database holding
    other data is refused. Stop OS1 first, then set `database_url` to the same URL.
    """
    from os1.errors import ConfigError
    from os1.storage.postgres import redact
    from os1.storage.transfer import copy_home

    if not is_postgres_url(target):
        raise ConfigError(
            f"{target!r} is not a PostgreSQL URL", hint="Use postgresql://user:password@host/db."
        )
    app = ctx.ensure_object(App)
    out = Console(highlight=False)
    report = copy_home(app.home, target)
    table = Table("table", "rows", "sha-256", box=None)
    for t in report.tables:
        table.add_row(t.table, str(t.rows), t.checksum[:16])
    out.print(table)
    where = escape(redact(target))
    if report.already_there:
        out.print(f"{where} already holds exactly this data: nothing copied.")
    else:
        total = sum(t.rows for t in report.tables)
        out.print(f"Copied {total} rows into {where}; counts and checksums match.")
    out.print("To use it, set database_url (or OS1_DATABASE_URL) to this URL.")
