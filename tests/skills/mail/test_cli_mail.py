"""`os1 mail …` as a user runs it: real subprocesses, a real Maildir and SMTP server; sending
and deleting ask on the terminal and nothing can answer for the user."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import tomli_w

from tests.helpers import os1
from tests.skills.mail.conftest import (
    USER_ADDRESS,
    ImapAccount,
    SmtpServer,
    make_mail,
    make_maildir,
)

FRIEND = make_mail(
    "Amy Lee <amy@friends.example>",
    subject="Dinner on Friday?",
    body="Hi Sam,\n\nAre you free for dinner on Friday?\n\nAmy",
    message_id="<dinner@friends.example>",
)
PROMO = make_mail(
    "Shop <deals@shop.example>",
    subject="50% off everything, last chance",
    body="Shop now!",
    headers={"List-Unsubscribe": "<mailto:u@shop.example>"},
)


def configure(home: Path, maildir: Path, smtp: SmtpServer) -> None:
    home.mkdir(parents=True, exist_ok=True)
    account = {
        "kind": "maildir",
        "path": str(maildir),
        "address": USER_ADDRESS,
        "display_name": "Sam",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_starttls": False,
    }
    (home / "config.toml").write_text(tomli_w.dumps({"mail": {"accounts": {"local": account}}}))


def os1_on_a_terminal(home: Path, *args: str, answer: str) -> tuple[int, str]:
    """Run os1 with a pseudo-terminal as stdin/stdout and type `answer` at the prompt."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    env.update(OS1_MODEL="scripted:echo", COLUMNS="200")
    process = subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    # poll, not select: after a long test session descriptors may be numbered above 1024.
    watch = select.poll()
    watch.register(master, select.POLLIN)
    while time.monotonic() < deadline:
        ready = watch.poll(200)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(master, answer.encode() + b"\r")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(master)
    return process.wait(timeout=30), output.decode(errors="replace").replace("\r\n", "\n")


def test_accounts_are_listed_without_their_passwords(home: Path, imap: ImapAccount) -> None:
    home.mkdir(parents=True)
    account = {
        "kind": "imap",
        "host": "127.0.0.1",
        "port": imap.port,
        "ssl": False,
        "username": imap.username,
        "password": imap.password,
        "address": USER_ADDRESS,
    }
    (home / "config.toml").write_text(tomli_w.dumps({"mail": {"accounts": {"work": account}}}))
    shown = os1(home, "mail", "accounts")
    assert shown.returncode == 0, shown.stderr
    assert f"work: imap 127.0.0.1:{imap.port} ({USER_ADDRESS}, password: set)" in shown.stdout
    assert imap.password not in shown.stdout + shown.stderr
    as_json = os1(home, "mail", "accounts", "--json")
    assert json.loads(as_json.stdout)[0]["password"] == "set"
    assert imap.password not in as_json.stdout
    config = os1(home, "config", "show")
    assert imap.password not in config.stdout


def test_triage_read_and_draft_from_the_command_line(
    home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    make_maildir(tmp_path / "Maildir", FRIEND, PROMO)
    configure(home, tmp_path / "Maildir", smtp)
    triaged = os1(home, "mail", "triage")
    assert triaged.returncode == 0, triaged.stderr
    assert "2 mails: 1 important, 0 for later, 1 that can go." in triaged.stdout
    assert "1. Amy Lee <amy@friends.example> — “Dinner on Friday?” — " in triaged.stdout
    read = os1(home, "mail", "read", "1")
    assert "Are you free for dinner on Friday?" in read.stdout
    drafted = os1(home, "mail", "draft", "--to", "Amy", "--say", "yes, I'd love to")
    assert drafted.returncode == 0, drafted.stderr
    assert "Hi Amy,\n\nYes, I'd love to.\n\nBest,\nSam" in drafted.stdout
    assert "Send it with: os1 mail send 1" in drafted.stdout
    assert smtp.received == []


def test_send_refuses_without_a_terminal_answer(
    home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    make_maildir(tmp_path / "Maildir", FRIEND)
    configure(home, tmp_path / "Maildir", smtp)
    os1(home, "mail", "draft", "--to", "Amy", "--say", "yes")
    piped = os1(home, "mail", "send", "1", input="y\n")
    assert piped.returncode == 8
    assert "nothing was done: this needs your answer on a terminal" in piped.stderr
    assert smtp.received == []


def test_send_shows_the_mail_and_sends_only_on_yes(
    home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    make_maildir(tmp_path / "Maildir", FRIEND)
    configure(home, tmp_path / "Maildir", smtp)
    os1(home, "mail", "draft", "--to", "Amy", "--say", "yes, see you then")
    code, shown = os1_on_a_terminal(home, "mail", "send", "1", answer="n")
    assert code == 1
    assert "To: Amy Lee <amy@friends.example>\nSubject: Re: Dinner on Friday?" in shown
    assert "Yes, see you then." in shown
    assert "Cancelled; nothing was sent." in shown
    assert smtp.received == []

    code, shown = os1_on_a_terminal(home, "mail", "send", "1", answer="y")
    assert code == 0, shown
    assert "Sent to amy@friends.example." in shown
    assert len(smtp.received) == 1 and smtp.received[0][1] == ["amy@friends.example"]
    sent_copy = list((tmp_path / "Maildir" / ".Sent" / "cur").iterdir())
    assert len(sent_copy) == 1

    code, shown = os1_on_a_terminal(home, "mail", "send", "1", answer="y")
    assert code != 0 and "already sent" in shown
    assert len(smtp.received) == 1


def test_delete_moves_to_the_trash_only_on_yes(
    home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    box = make_maildir(tmp_path / "Maildir", FRIEND, PROMO)
    configure(home, tmp_path / "Maildir", smtp)
    piped = os1(home, "mail", "delete", "--from", "deals", input="y\n")
    assert piped.returncode == 8 and len(box) == 2
    code, shown = os1_on_a_terminal(home, "mail", "delete", "--from", "deals", answer="y")
    assert code == 0, shown
    assert "Moved the mail from Shop <deals@shop.example> to Trash." in shown
    assert len(box) == 1
    assert len(box.get_folder("Trash")) == 1


def test_a_broken_config_is_one_clear_line(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text('[mail.accounts.x]\nkind = "imap"\n')
    result = os1(home, "mail", "triage")
    assert result.returncode == 3
    assert "a imap account needs a host" in result.stderr or "needs a host" in result.stderr
    assert "Traceback" not in result.stderr
