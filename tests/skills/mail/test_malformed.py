"""Malformed mail: broken MIME, unknown or wrong charsets, huge attachments. Each is read with
a clear note, and the original stays untouched in the mailbox."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from os1.skills.mail.parse import parse_mail
from os1.storage import SQLiteStore
from tests.skills.mail.conftest import (
    ImapAccount,
    imap_settings,
    mail_companion,
    maildir_settings,
    make_mail,
    make_maildir,
    reply_of,
    say,
)

BROKEN_MIME = (
    b"From: Bo <bo@x.example>\r\nTo: sam@home.example\r\nSubject: Broken\r\n"
    b"Message-ID: <broken@x.example>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="NEVER-CLOSED"\r\n\r\n'
    b"--NEVER-CLOSED\r\nContent-Type: text/plain\r\n\r\nThe part that survived.\r\n"
    b"--NEVER-CLOSED\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\nJVBERi0xLjQK!!!not base64!!!"
)
UNKNOWN_CHARSET = (
    b"From: Cy <cy@x.example>\r\nTo: sam@home.example\r\nSubject: Charset\r\n"
    b"Content-Type: text/plain; charset=x-klingon-8\r\n\r\nCaf\xc3\xa9 at noon?\r\n"
)
WRONG_CHARSET = (
    b"From: Di <di@x.example>\r\nTo: sam@home.example\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nCaf\xe9 cr\xe8me \xe0 midi\r\n"
)
NO_HEADERS = b"just some bytes\x00\xff\xfe without any header at all"


def test_broken_mime_is_read_with_a_note() -> None:
    mail = parse_mail(BROKEN_MIME)
    assert mail.subject == "Broken" and "The part that survived." in mail.text
    assert any("malformed" in p for p in mail.problems)


def test_an_unknown_charset_is_read_as_utf8_with_a_note() -> None:
    mail = parse_mail(UNKNOWN_CHARSET)
    assert mail.text == "Café at noon?"
    assert mail.problems == ["unknown charset 'x-klingon-8'; read as UTF-8"]


def test_a_wrong_charset_is_decoded_as_best_as_possible() -> None:
    mail = parse_mail(WRONG_CHARSET)
    assert mail.subject == "Grüße"
    assert mail.text == "Café crème à midi"
    assert "not valid utf-8" in mail.problems[0]


def test_hidden_html_text_is_not_shown_but_counted() -> None:
    raw = make_mail(
        body="",
        html="<p>Visible</p><span style='display:none'>secret order</span>"
        "<div hidden>more</div><script>alert(1)</script>",
    )
    mail = parse_mail(raw)
    assert mail.text == "Visible"
    assert mail.hidden_removed == 2


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_an_exception(raw: bytes) -> None:
    mail = parse_mail(raw)
    assert isinstance(mail.text, str)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.text(max_size=100))
def test_any_header_and_body_text_parse(subject: str, body: str) -> None:
    raw = f"Subject: {subject}\r\nFrom: {subject}\r\n\r\n{body}".encode("utf-8", "surrogatepass")
    mail = parse_mail(raw)
    assert "\n" not in mail.subject and "\x1b" not in mail.subject


def test_malformed_mail_in_a_maildir_is_read_in_chat_and_kept_byte_for_byte(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    box = make_maildir(tmp_path / "Maildir", BROKEN_MIME, UNKNOWN_CHARSET, NO_HEADERS)
    before = sorted(hashlib.sha256(box.get_bytes(k)).hexdigest() for k in box.keys())
    companion = mail_companion(store, maildir_settings(tmp_path / "Maildir"), home)
    listing = reply_of(say(companion, "check my mail"))
    assert "3 mails:" in listing and "[malformed]" in listing
    text = reply_of(say(companion, "read the mail from bo"))
    assert "The part that survived." in text
    assert "Note: the mail is malformed" in text and "Nothing was changed or lost." in text
    text = reply_of(say(companion, "read the mail from cy"))
    assert "unknown charset 'x-klingon-8'" in text
    after = sorted(hashlib.sha256(box.get_bytes(k)).hexdigest() for k in box.keys())
    assert after == before


def test_a_huge_attachment_is_listed_not_downloaded(
    store: SQLiteStore, imap: ImapAccount, home: Path
) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Ed <ed@x.example>"
    msg["To"] = "sam@home.example"
    msg["Subject"] = "The video"
    msg["Message-ID"] = "<video@x.example>"
    msg.set_content("Here is the video of the party.")
    msg.add_attachment(
        b"\0" * (11 * 1024 * 1024), maintype="video", subtype="mp4", filename="party.mp4"
    )
    imap.deliver(msg.as_bytes())
    companion = mail_companion(store, imap_settings(imap, None), home)
    listing = reply_of(say(companion, "check my mail"))
    assert "Ed <ed@x.example> — “The video”" in listing
    text = reply_of(say(companion, "read the mail from Ed"))
    assert "Here is the video of the party." in text
    assert "Attachments: party.mp4" in text
    assert "only its beginning was read; attachments stay on the server" in text
    assert len(imap.uids()) == 1
