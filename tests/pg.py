"""A real, throw-away PostgreSQL for the tests (a pytest plugin: `pytest_plugins = ["tests.pg"]`).

`postgres_admin_url` starts one cluster per test session (initdb + pg_ctl on a free port, its
data and socket in a temporary folder), creates a database and removes everything at the end.
`postgres_url`, what OS1 connects to, is a database of that cluster owned by an ordinary role,
so row-level security binds it as it would a deployment.
pg_ctl refuses to run as root, so as root the server runs as the `postgres` user. Without
PostgreSQL's binaries the tests that need it skip, unless OS1_REQUIRE_POSTGRES is set
(`make test` sets it): then they fail, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

DATABASE = "os1_test"
_required = False


def pytest_configure(config: pytest.Config) -> None:
    # Read once at start-up: the suite's autouse fixture clears OS1_* variables per test.
    global _required
    _required = bool(os.environ.get("OS1_REQUIRE_POSTGRES"))


def postgres_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL's server programs (initdb, pg_ctl)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One PostgreSQL server in a folder of its own, run as the `postgres` user under root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="os1-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.sockets.mkdir()
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            for path in (self.root, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}\n{log}")

    def start(self) -> str:
        # C locale: text compares bytewise, as SQLite's does; no fsync: a test cluster is
        # thrown away, and durability costs seconds here.
        self.run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        return self.url(DATABASE)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# The role OS1 connects as in the tests, as it should be deployed: an ordinary role owning its
# database, so row-level security binds it (a superuser passes every policy).
APP_ROLE = "os1_app"


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """The session's PostgreSQL as its superuser: for tests that set up or inspect the server
    itself, never for OS1's own connections."""
    bindir = postgres_bin()
    if bindir is None:
        reason = "PostgreSQL is not installed (no initdb); `make test` installs it"
        if _required:
            pytest.fail(f"{reason}, and OS1_REQUIRE_POSTGRES is set", pytrace=False)
        pytest.skip(reason)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        reason = "psycopg is not installed: pip install -e '.[test]'"
        if _required:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    cluster = Cluster(bindir)
    try:
        url = cluster.start()
    except Exception:
        cluster.stop()
        raise
    try:
        yield url
    finally:
        from os1.storage.postgres import close_pools

        close_pools()
        cluster.stop()


def app_database(admin_url: str) -> str:
    """A database on the server of `admin_url` (a superuser's), owned by an ordinary role
    without SUPERUSER or BYPASSRLS (CREATEDB, so tests can make databases of their own):
    the URL OS1 should connect with, as a deployment would. Row-level security binds it."""
    import psycopg

    server = admin_url.rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS")
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
    if available:
        # pgvector is not a trusted extension: an administrator creates it, here in the
        # template, so every database the role makes has it, as a deployment would.
        with psycopg.connect(server + "/template1", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {APP_ROLE} OWNER {APP_ROLE}")
    return server.replace("://postgres@", f"://{APP_ROLE}@", 1) + f"/{APP_ROLE}"


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> str:
    """A database of the session's PostgreSQL as OS1 connects to it (`app_database`)."""
    return app_database(postgres_admin_url)
