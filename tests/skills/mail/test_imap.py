"""Mail over a real IMAP server (Dovecot) and SMTP server (aiosmtpd), through the companion."""

from __future__ import annotations

import email
from pathlib import Path

from os1.events import ConfirmationRequired, ToolResult
from os1.skills.mail import state
from os1.storage import SQLiteStore
from tests.skills.mail.conftest import (
    ImapAccount,
    SmtpServer,
    decide,
    imap_settings,
    mail_companion,
    make_mail,
    reply_of,
    say,
)

NEWSLETTER = make_mail(
    "Weekly Digest <news@digest.example>",
    subject="This week in gardening",
    body="Top stories this week.\n\nUnsubscribe here.",
    headers={"List-Unsubscribe": "<mailto:unsub@digest.example>", "Precedence": "bulk"},
)
URGENT = make_mail(
    "Jo Park <jo@work.example>",
    subject="Contract",
    body="Hi Sam,\n\nCan you sign the contract today? It's urgent.\n\nJo",
    message_id="<contract-1@work.example>",
)


def test_check_my_mail_sorts_the_imap_inbox_with_reasons(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    imap.deliver(NEWSLETTER, URGENT)
    before = imap.snapshot()
    text = reply_of(say(mail_companion(store, imap_settings(imap, smtp), home), "check my mail"))
    assert "2 mails: 1 important, 0 for later, 1 that can go." in text
    important = text.split("Important:")[1].split("Can go:")[0]
    assert "1. Jo Park <jo@work.example> — “Contract” — " in important
    assert "asks you something" in important.lower()
    assert "Weekly Digest" in text.split("Can go:")[1]
    assert imap.snapshot() == before  # reading changes nothing, not even the seen flag


def test_whats_important_lists_only_the_important_mail(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    imap.deliver(NEWSLETTER, URGENT)
    text = reply_of(
        say(mail_companion(store, imap_settings(imap, smtp), home), "What's important today?")
    )
    assert text.startswith("1 important:")
    assert "Jo Park" in text and "Weekly Digest" not in text


def test_read_the_mail_from_a_sender_shows_it_and_changes_nothing(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    imap.deliver(NEWSLETTER, URGENT)
    before = imap.snapshot()
    text = reply_of(
        say(mail_companion(store, imap_settings(imap, smtp), home), "read the mail from Jo")
    )
    assert "From: Jo Park <jo@work.example>" in text
    assert "Can you sign the contract today?" in text
    assert imap.snapshot() == before
    focus = state.focus(store)
    assert focus is not None and focus.message_id == "<contract-1@work.example>"


def test_a_thread_is_read_with_its_earlier_mails(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    first = make_mail(
        "Jo Park <jo@work.example>",
        subject="Offsite",
        body="Shall we go to the lake?",
        message_id="<offsite-1@work.example>",
    )
    second = make_mail(
        "Jo Park <jo@work.example>",
        subject="Re: Offsite",
        body="Or the hills?",
        headers={
            "In-Reply-To": "<offsite-1@work.example>",
            "References": "<offsite-1@work.example>",
        },
    )
    imap.deliver(first, second)
    text = reply_of(
        say(mail_companion(store, imap_settings(imap, smtp), home), "read mail from jo")
    )
    assert "Thread of 2 mails" in text
    assert text.index("Shall we go to the lake?") < text.index("Or the hills?")


def test_archive_that_moves_the_mail_only_after_confirmation(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    imap.deliver(NEWSLETTER, URGENT)
    companion = mail_companion(store, imap_settings(imap, smtp), home)
    say(companion, "read the mail from Jo")
    events = say(companion, "archive that")
    asked = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert len(asked) == 1
    assert asked[0].summary == "archive the mail from Jo Park <jo@work.example> about “Contract”"
    assert (
        "Shall I archive the mail from Jo Park <jo@work.example> about “Contract”? Please confirm."
        in reply_of(events)
    )
    assert len(imap.uids("INBOX")) == 2 and imap.uids("Archive") == []

    result = decide(companion, asked[0].call_id, True)
    assert isinstance(result[0], ToolResult) and result[0].ok
    assert len(imap.uids("INBOX")) == 1 and len(imap.uids("Archive")) == 1
    assert state.sender_stats(store)["jo@work.example"].archived == 1


def test_declining_a_delete_leaves_the_mail_where_it_was(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    imap.deliver(URGENT)
    companion = mail_companion(store, imap_settings(imap, smtp), home)
    say(companion, "read the mail from Jo")
    asked = [e for e in say(companion, "delete that mail") if isinstance(e, ConfirmationRequired)]
    assert (
        asked[0].summary
        == "move the mail from Jo Park <jo@work.example> about “Contract” to the trash"
    )
    result = decide(companion, asked[0].call_id, False)
    assert result[0].status == "declined"
    assert len(imap.uids("INBOX")) == 1 and imap.uids("Trash") == []


def test_delete_by_number_moves_to_the_trash_after_confirmation(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    imap.deliver(NEWSLETTER, URGENT)
    companion = mail_companion(store, imap_settings(imap, smtp), home)
    say(companion, "check my mail")
    asked = [e for e in say(companion, "delete mail 2") if isinstance(e, ConfirmationRequired)]
    assert "Weekly Digest" in asked[0].summary
    decide(companion, asked[0].call_id, True)
    assert len(imap.uids("Trash")) == 1 and len(imap.uids("INBOX")) == 1
    assert state.sender_stats(store)["news@digest.example"].deleted == 1


def test_reply_is_drafted_and_sent_only_when_confirmed(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    imap.deliver(URGENT)
    companion = mail_companion(store, imap_settings(imap, smtp), home)
    drafted = reply_of(say(companion, "reply to Jo that I'll sign it tonight"))
    assert "Draft #1 to Jo Park <jo@work.example>, subject “Re: Contract”" in drafted
    assert "Hi Jo,\n\nI'll sign it tonight.\n\nBest,\nSam" in drafted
    assert smtp.received == []

    events = say(companion, "send it")
    asked = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert asked[0].summary.startswith("send this mail to Jo Park <jo@work.example>, subject")
    assert "I'll sign it tonight." in asked[0].summary
    assert smtp.received == []

    result = decide(companion, asked[0].call_id, True)
    assert result[0].ok, result[0].output
    assert len(smtp.received) == 1
    sender, recipients, content = smtp.received[0]
    assert recipients == ["jo@work.example"]
    sent = email.message_from_bytes(content)
    assert sent["In-Reply-To"] == "<contract-1@work.example>"
    assert sent["Subject"] == "Re: Contract"
    assert "I'll sign it tonight." in sent.get_payload()
    assert len(imap.uids("Sent")) == 1
    assert state.sender_stats(store)["jo@work.example"].replied == 1
    # The same draft can't go out twice, whichever way it is confirmed again.
    again = [e for e in say(companion, "send it") if isinstance(e, ConfirmationRequired)]
    assert again == []


def test_a_wrong_password_is_a_clear_error_that_never_shows_the_password(
    store: SQLiteStore, imap: ImapAccount, smtp: SmtpServer, home: Path
) -> None:
    wrong = ImapAccount(imap.port, imap.username, "not-the-password-42")
    text = reply_of(say(mail_companion(store, imap_settings(wrong, smtp), home), "check my mail"))
    assert "refused the login for account 'home'" in text
    assert "not-the-password-42" not in text
    for row in store.query("SELECT content FROM messages"):
        assert "not-the-password-42" not in row[0]


def test_a_server_that_is_down_is_a_clear_error(
    store: SQLiteStore, imap: ImapAccount, home: Path
) -> None:
    from tests.helpers import free_port

    down = ImapAccount(free_port(), imap.username, imap.password)
    text = reply_of(say(mail_companion(store, imap_settings(down, None), home), "check my mail"))
    assert "could not reach the mail server 127.0.0.1:" in text
    assert "connection refused" in text
