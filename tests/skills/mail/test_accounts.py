"""Accounts from [mail.accounts.<name>]: validated, passwords from the config or the system
keyring, and never shown; a local Maildir works like a server."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from os1.config import ConfigError, Settings
from os1.events import ConfirmationRequired
from os1.skills.mail.config import KEYRING_SERVICE, account
from os1.skills.mail.tools import mail_accounts
from os1.storage import SQLiteStore
from tests.skills.mail.conftest import (
    ImapAccount,
    SmtpServer,
    context,
    decide,
    mail_companion,
    maildir_settings,
    make_mail,
    make_maildir,
    reply_of,
    say,
)


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def system_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring  # type: ignore[misc]
    keyring.set_keyring(previous)


def keyring_settings(imap: ImapAccount) -> Settings:
    return Settings(
        model="scripted:echo",
        mail={
            "accounts": {
                "home": {
                    "kind": "imap",
                    "host": "127.0.0.1",
                    "port": imap.port,
                    "ssl": False,
                    "username": imap.username,
                    "password_keyring": True,
                    "address": "sam@home.example",
                }
            }
        },
    )


def test_the_password_can_come_from_the_system_keyring(
    store: SQLiteStore, imap: ImapAccount, home: Path, system_keyring: MemoryKeyring
) -> None:
    imap.deliver(make_mail(subject="From the keyring"))
    system_keyring.set_password(KEYRING_SERVICE, "home", imap.password)
    text = reply_of(say(mail_companion(store, keyring_settings(imap), home), "check my mail"))
    assert "From the keyring" in text


def test_a_missing_keyring_password_says_how_to_store_it(
    store: SQLiteStore, imap: ImapAccount, home: Path, system_keyring: MemoryKeyring
) -> None:
    text = reply_of(say(mail_companion(store, keyring_settings(imap), home), "check my mail"))
    assert "no password in the system keyring" in text
    assert f"keyring set {KEYRING_SERVICE} home" in text


def test_accounts_are_shown_without_secrets(store: SQLiteStore, home: Path) -> None:
    settings = Settings(
        model="scripted:echo",
        mail={
            "accounts": {
                "work": {
                    "kind": "imap",
                    "host": "mail.example",
                    "username": "sam",
                    "password": "hunter2",
                    "smtp_password": "hunter3",
                }
            }
        },
    )
    output = mail_accounts.func(context(store, settings, home))
    assert output.text == "work: imap mail.example:993 (no address set)"
    assert "hunter" not in repr(output.data) and "hunter" not in repr(account(settings))
    assert "hunter" not in str(settings.public_dict())


@pytest.mark.parametrize(
    ("mail", "message"),
    [
        ({"accounts": {"x": {"kind": "imap"}}}, "needs a host"),
        ({"accounts": {"x": {"kind": "pop3", "host": "h"}}}, "accounts.x.kind"),
        ({"accounts": {"x": {"kind": "maildir"}}}, "needs a path"),
        ({"accounts": {"x": {"kind": "imap", "host": "h", "colour": "red"}}}, "colour"),
        ({}, "no mail account is set up"),
    ],
)
def test_bad_mail_settings_are_one_clear_error(mail: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        account(Settings(model="scripted:echo", mail=mail))
    assert message in raised.value.message


def test_a_maildir_account_reads_archives_and_moves_mail(
    store: SQLiteStore, home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    box = make_maildir(
        tmp_path / "Maildir",
        make_mail("Jo <jo@x.example>", subject="Receipt"),
        make_mail("Kim <kim@x.example>", subject="Plans"),
    )
    companion = mail_companion(store, maildir_settings(tmp_path / "Maildir", smtp), home)
    assert "2 mails:" in reply_of(say(companion, "check my mail"))
    say(companion, "read the mail from Jo")
    asked = [
        e for e in say(companion, "move it to Receipts") if isinstance(e, ConfirmationRequired)
    ]
    assert asked[0].summary == "move the mail from Jo <jo@x.example> about “Receipt” to Receipts"
    decide(companion, asked[0].call_id, True)
    assert len(box) == 1 and len(box.get_folder("Receipts")) == 1
    say(companion, "read the mail from Kim")
    asked = [e for e in say(companion, "archive that") if isinstance(e, ConfirmationRequired)]
    decide(companion, asked[0].call_id, True)
    assert len(box) == 0 and len(box.get_folder("Archive")) == 1


def test_a_mail_moved_away_meanwhile_is_not_acted_on(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    box = make_maildir(tmp_path / "Maildir", make_mail("Jo <jo@x.example>", subject="Receipt"))
    companion = mail_companion(store, maildir_settings(tmp_path / "Maildir"), home)
    say(companion, "read the mail from Jo")
    asked = [e for e in say(companion, "archive that") if isinstance(e, ConfirmationRequired)]
    key = next(iter(box.keys()))
    box.remove(key)
    result = decide(companion, asked[0].call_id, True)
    assert result[0].status == "failed"
    assert "that mail is no longer there" in result[0].output
