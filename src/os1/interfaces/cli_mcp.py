"""`os1 mcp`: serve OS1 to an MCP host over stdio; `os1 mcp servers`: the MCP servers OS1 uses."""

from __future__ import annotations

import click

from os1.interfaces.app import App


@click.group(invoke_without_command=True)
@click.pass_context
def mcp(ctx: click.Context) -> None:
    """Serve your memory, calendar, reminders, notes and mail to an MCP host (over stdio).

    Add it to the host's configuration as the command `os1` with the argument `mcp`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from os1.mcp.stdio import serve_stdio

    serve_stdio(ctx.ensure_object(App))


@mcp.command("servers")
@click.pass_context
def servers(ctx: click.Context) -> None:
    """List the MCP servers in [mcp.servers] and the tools each one offers OS1."""
    from rich.console import Console
    from rich.markup import escape

    from os1.mcp.client import discover, run_apart, tool_name
    from os1.mcp.config import mcp_settings

    out = Console(highlight=False)
    config = mcp_settings(ctx.ensure_object(App).settings)
    if not config.servers:
        out.print("No MCP servers configured. Add one as [mcp.servers.NAME] in config.toml.")
        return
    found = run_apart(lambda: discover(config))
    for server in found:
        where = server.config.url or " ".join([server.config.command or "", *server.config.args])
        out.print(f"[bold]{escape(server.name)}[/]  {escape(where)}")
        if server.error:
            out.print(f"  [red]{escape(server.error)}[/]")
            continue
        if not server.tools:
            out.print("  (no tools)")
        for t in server.tools:
            ro = bool(t.annotations and t.annotations.read_only_hint)
            mark = "read-only" if ro else "asks you first"
            out.print(f"  {escape(tool_name(server.name, t.name))}  [dim]{mark}[/]")
    if any(s.error for s in found):
        ctx.exit(1)
