"""Helpers shared by tests in every folder: running `os1`, free ports, waiting, the database.

`os1()` runs the command in this process through click's CliRunner: the same code path as a
user's shell, without a Python start-up per call. `os1_process()` starts a real process, for
the tests that need one (a pty, Ctrl-C, kill -9, `os1 serve`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlean as sqlite3  # the same SQLite library as the app: two in one process corrupt WAL locks
from click.testing import CliRunner

ONBOARDING_ANSWERS = "Sam\nA people person\nMy new job\nTo feel less scattered\nbright\n"


@dataclass(frozen=True)
class Ran:
    """What a finished `os1` command left: the fields of `subprocess.CompletedProcess`."""

    returncode: int
    stdout: str
    stderr: str


def os1(
    home: Path,
    *args: str,
    model: str = "scripted:echo",
    input: str | None = None,
    **env: str,
) -> Ran:
    """Runs `os1 --home HOME ARGS…` in this process, with OS1_MODEL set to `model`."""
    from os1.interfaces.cli import cli

    runner = CliRunner()
    # CliRunner sets these for the call and restores the test's environment afterwards; a
    # None removes a variable, so no OS1_ setting leaks in from the test that called it.
    environ: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OS1_")}
    environ.update(OS1_MODEL=model, COLUMNS="200", **env)
    result = runner.invoke(
        cli, ["--home", str(home), *args], input=input or "", env=environ, prog_name="os1"
    )
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        # An unexpected exception shows as it would in a terminal: a traceback, exit code 1.
        stderr += "".join(traceback.format_exception(result.exception))
    return Ran(result.exit_code, result.stdout, stderr)


def os1_process(
    home: Path,
    *args: str,
    model: str = "scripted:echo",
    input: str | None = None,
    timeout: float = 60,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Runs `os1` as its own process, for what only a real process shows."""
    return subprocess.run(
        [sys.executable, "-m", "os1", "--home", str(home), *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        env=process_env(model, **env),
    )


def process_env(model: str, **extra: str) -> dict[str, str]:
    """The environment for an `os1` process: the test's, less OS1_ settings, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    env.update(OS1_MODEL=model, COLUMNS="200", **extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stored_messages(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "os1.db") as db:
        rows = db.execute("SELECT role, content, status FROM messages ORDER BY id").fetchall()
    db.close()  # `with` commits; it does not close
    return rows


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
