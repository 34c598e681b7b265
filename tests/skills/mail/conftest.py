"""Real mail servers for the mail tests: Dovecot (IMAP) from a throw-away config and aiosmtpd
(SMTP), both on 127.0.0.1; plus Maildirs on disk and a builder for test mails."""

from __future__ import annotations

import imaplib
import itertools
import mailbox
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from os1.config import Settings
from os1.skills import SkillContext
from os1.storage import SQLiteStore
from tests.helpers import free_port

NOBODY = 65534
NOW = datetime.fromisoformat("2026-11-30T09:00:00+00:00")
USER_ADDRESS = "sam@home.example"
USERS = 400


def make_mail(
    sender: str = "Amy Lee <amy@friends.example>",
    to: str = USER_ADDRESS,
    subject: str = "Hello",
    body: str = "Hi Sam,\n\nHow are you?\n\nAmy",
    *,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    date: datetime = NOW,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id or make_msgid(domain="test.example")
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


# -- Dovecot -------------------------------------------------------------------------------


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen[bytes]
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_user(self) -> tuple[str, str]:
        """A fresh user of its own for each test (made before start: Dovecot reads the users
        file once a second at most, so users added later may not log in at once)."""
        n = next(self.counter)
        if n > USERS:
            raise RuntimeError("out of test users: raise USERS")
        return f"user{n}", f"pw-user{n}-secret"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="os1-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    os.chown(root / "mail", NOBODY, NOBODY)
    lines = []
    for n in range(1, USERS + 1):
        home = root / "mail" / f"user{n}"
        home.mkdir()
        os.chown(home, NOBODY, NOBODY)
        lines.append(f"user{n}:{{PLAIN}}pw-user{n}-secret:{NOBODY}:{NOBODY}::{home}::\n")
    (root / "users").write_text("".join(lines))
    port = free_port()
    (root / "dovecot.conf").write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    process = subprocess.Popen(
        ["/usr/sbin/dovecot", "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"dovecot did not start: {err}") from None
            time.sleep(0.05)
    yield Dovecot(root, port, process)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class ImapAccount:
    port: int
    username: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port)
        conn.login(self.username, self.password)
        return conn

    def deliver(self, *mails: bytes, folder: str = "INBOX") -> None:
        conn = self.connect()
        try:
            conn.create(folder)
            for raw in mails:
                conn.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
        finally:
            conn.logout()

    def snapshot(self) -> dict[str, list[tuple[str, bytes, str]]]:
        """Every folder's mails (uid, bytes, flags): to prove nothing changed."""
        conn = self.connect()
        found: dict[str, list[tuple[str, bytes, str]]] = {}
        try:
            _, listing = conn.list()
            for line in listing:
                name = line.decode().rsplit(' "." ', 1)[-1].strip().strip('"')
                conn.select(f'"{name}"', readonly=True)
                _, data = conn.uid("SEARCH", "ALL")
                mails = []
                for uid in (data[0] or b"").split():
                    _, parts = conn.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                    meta = parts[0][0].decode()
                    mails.append(
                        (uid.decode(), parts[0][1], meta.split("FLAGS (")[1].split(")")[0])
                    )
                found[name] = mails
        finally:
            conn.logout()
        return found

    def uids(self, folder: str = "INBOX") -> list[str]:
        conn = self.connect()
        try:
            status, _ = conn.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return []
            _, data = conn.uid("SEARCH", "ALL")
            return [u.decode() for u in (data[0] or b"").split()]
        finally:
            conn.logout()


@pytest.fixture
def imap(dovecot: Dovecot) -> ImapAccount:
    name, password = dovecot.add_user()
    return ImapAccount(dovecot.port, name, password)


# -- SMTP ----------------------------------------------------------------------------------


class Collecting:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    handler: Collecting

    @property
    def received(self) -> list[tuple[str, list[str], bytes]]:
        return self.handler.received


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    handler = Collecting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(port, handler)
    controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.handler.received.clear()
    return smtp_server


# -- settings and context ------------------------------------------------------------------


def imap_settings(imap: ImapAccount, smtp: SmtpServer | None, **extra: Any) -> Settings:
    account: dict[str, Any] = {
        "kind": "imap",
        "host": "127.0.0.1",
        "port": imap.port,
        "ssl": False,
        "username": imap.username,
        "password": imap.password,
        "address": USER_ADDRESS,
        "display_name": "Sam",
    }
    if smtp is not None:
        account.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)
    return Settings(
        model="scripted:echo",
        max_reply_tokens=64,
        mail={"accounts": {"home": account}, **extra},
    )


def maildir_settings(path: Path, smtp: SmtpServer | None = None, **extra: Any) -> Settings:
    account: dict[str, Any] = {"kind": "maildir", "path": str(path), "address": USER_ADDRESS}
    if smtp is not None:
        account.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)
    return Settings(
        model="scripted:echo", max_reply_tokens=64, mail={"accounts": {"local": account}, **extra}
    )


def make_maildir(path: Path, *mails: bytes) -> mailbox.Maildir:
    box = mailbox.Maildir(path, create=True)
    for raw in mails:
        box.add(raw)
    return box


def context(store: SQLiteStore, settings: Settings, home: Path, **extra: Any) -> SkillContext:
    return SkillContext(store=store, settings=settings, home=home, clock=lambda: NOW, **extra)


def mail_companion(
    store: SQLiteStore,
    settings: Settings,
    home: Path,
    model: Any = None,
    memory: Any = None,
) -> Any:
    from os1.mind.companion import Companion
    from os1.models.scripted import ScriptedModel
    from os1.skills import Skills
    from os1.skills.mail import toolkit

    model = model or ScriptedModel()
    return Companion(
        store,
        model,
        settings,
        memory=memory,
        skills=Skills([toolkit]),
        skill_context=context(store, settings, home, model=model, memory=memory),
    )


def say(companion: Any, text: str) -> list[Any]:
    import asyncio

    async def run() -> list[Any]:
        return [e async for e in companion.turn(text)]

    return asyncio.run(run())


def decide(companion: Any, call_id: str, approve: bool) -> list[Any]:
    import asyncio

    async def run() -> list[Any]:
        return [e async for e in companion.decide(call_id, approve)]

    return asyncio.run(run())


def reply_of(events: list[Any]) -> str:
    from os1.events import TurnDone, TurnError

    last = events[-1]
    if isinstance(last, TurnError):
        return f"ERROR {last.message} {last.hint}"
    assert isinstance(last, TurnDone), last
    return last.text
