"""Mailboxes behind one small interface: IMAP (imaplib) and a local Maildir; SMTP to send.

Reading never changes a mailbox (IMAP EXAMINE and BODY.PEEK: not even the seen flag). Moving
copies first and removes last, so an interruption can leave a duplicate but never lose mail;
"delete" moves to the trash folder.
"""

from __future__ import annotations

import contextlib
import imaplib
import mailbox
import re
import smtplib
import socket
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from os1.skills.base import ToolError
from os1.skills.mail.config import MailAccount
from os1.skills.mail.parse import ParsedMail, parse_mail

# How much of each mail triage reads: enough for headers and the first lines, bounded for
# mails with huge attachments.
TRIAGE_BYTES = 16_384
# Mails larger than this are read without their attachments.
MAX_FETCH_BYTES = 10 * 1024 * 1024
READ_PARTIAL_BYTES = 256 * 1024


class MailBox(ABC):
    def __init__(self, account: MailAccount) -> None:
        self.account = account

    @abstractmethod
    def latest(self, limit: int, folder: str | None = None) -> list[ParsedMail]:
        """The newest mails of a folder (default the inbox), newest first, partly read."""

    @abstractmethod
    def fetch(self, uid: str, folder: str | None = None) -> ParsedMail:
        """One whole mail (attachments of very large mails left out, with a note)."""

    @abstractmethod
    def move(self, uid: str, folder: str, target: str) -> None: ...

    @abstractmethod
    def append(self, folder: str, raw: bytes) -> None: ...

    def close(self) -> None:  # noqa: B027 — optional
        """Release the connection."""


@contextmanager
def open_box(account: MailAccount) -> Iterator[MailBox]:
    box: MailBox = ImapBox(account) if account.kind == "imap" else MaildirBox(account)
    try:
        yield box
    finally:
        box.close()


# -- IMAP ----------------------------------------------------------------------------------


class ImapBox(MailBox):
    def __init__(self, account: MailAccount) -> None:
        super().__init__(account)
        where = f"{account.host}:{account.imap_port}"
        try:
            if account.ssl and not account.starttls:
                self.conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    account.host, account.imap_port, timeout=account.timeout
                )
            else:
                self.conn = imaplib.IMAP4(account.host, account.imap_port, timeout=account.timeout)
                if account.starttls:
                    self.conn.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ToolError(
                f"could not reach the mail server {where} ({_why(exc)})",
                hint=f"Check host, port and ssl of [mail.accounts.{account.name}].",
            ) from None
        try:
            self.conn.login(account.username, account.secret() or "")
        except BaseException as exc:
            self._logout()  # whatever stopped the login (a keyring error too) closes the socket
            if not isinstance(exc, imaplib.IMAP4.error | OSError):
                raise
            # The server's words may echo what was sent: never show them, they could hold
            # the password.
            raise ToolError(
                f"the mail server {where} refused the login for account {account.name!r}",
                hint="Check username and password (or password_keyring) in the config.",
            ) from None
        self.selected: tuple[str, bool] | None = None

    def _logout(self) -> None:
        try:
            self.conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        finally:
            # logout() skips closing the socket when the LOGOUT command itself fails.
            with contextlib.suppress(OSError):
                self.conn.shutdown()

    def close(self) -> None:
        self._logout()

    def _select(self, folder: str, writable: bool = False) -> None:
        if self.selected == (folder, writable):
            return
        status, data = self.conn.select(_quote(folder), readonly=not writable)
        if status != "OK":
            raise ToolError(f"there is no mail folder {folder!r}", hint="Check the folder name.")
        self.selected = (folder, writable)

    def _command(self, *args: str) -> list[object]:
        try:
            status, data = self.conn.uid(*args)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ToolError(f"the mail server failed ({_why(exc)})", hint="Try again.") from None
        if status != "OK":
            raise ToolError("the mail server refused the request", hint="Try again.")
        return list(data)

    def latest(self, limit: int, folder: str | None = None) -> list[ParsedMail]:
        folder = folder or self.account.inbox
        self._select(folder)
        data = self._command("SEARCH", "ALL")
        first = data[0] if data else b""
        uids = first.split() if isinstance(first, bytes) else []
        chosen = [u.decode() for u in uids[-limit:]][::-1] if limit else []
        if not chosen:
            return []
        items = f"(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.{TRIAGE_BYTES}>)"
        found = _parse_fetch(self._command("FETCH", ",".join(chosen), items))
        mails = []
        for uid in chosen:
            parts = found.get(uid)
            if parts is None:
                continue
            raw = parts.get("HEADER", b"") + parts.get("TEXT", b"")
            mail = parse_mail(raw, account=self.account.name, folder=folder, uid=uid)
            mail.size = int(parts.get("SIZE", b"0") or 0)
            mail.flags = tuple(parts.get("FLAGS", b"").decode(errors="replace").split())
            mails.append(mail)
        return mails

    def fetch(self, uid: str, folder: str | None = None) -> ParsedMail:
        folder = folder or self.account.inbox
        self._select(folder)
        meta = _parse_fetch(self._command("FETCH", uid, "(UID FLAGS RFC822.SIZE)"))
        if uid not in meta:
            raise ToolError("that mail is no longer there", hint="Check your mail again.")
        size = int(meta[uid].get("SIZE", b"0") or 0)
        if size > MAX_FETCH_BYTES:
            items = f"(UID BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.{READ_PARTIAL_BYTES}>)"
        else:
            items = "(UID BODY.PEEK[])"
        parts = _parse_fetch(self._command("FETCH", uid, items)).get(uid, {})
        raw = parts.get("ALL") or parts.get("HEADER", b"") + parts.get("TEXT", b"")
        mail = parse_mail(raw, account=self.account.name, folder=folder, uid=uid)
        mail.size = size
        mail.flags = tuple(meta[uid].get("FLAGS", b"").decode(errors="replace").split())
        if size > MAX_FETCH_BYTES:
            mail.problems.append(
                f"the mail is {size / 1_048_576:.0f} MB: only its beginning was read; "
                "attachments stay on the server"
            )
        return mail

    def move(self, uid: str, folder: str, target: str) -> None:
        self._select(folder, writable=True)
        self._ensure(target)
        if b"MOVE" in b" ".join(_capabilities(self.conn)):
            self._command("MOVE", uid, _quote(target))
            return
        self._command("COPY", uid, _quote(target))
        self._command("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        try:
            self.conn.uid("EXPUNGE", uid)
        except imaplib.IMAP4.error:
            self.conn.expunge()

    def _ensure(self, folder: str) -> None:
        try:
            self.conn.create(_quote(folder))  # fails harmlessly when it exists
        except imaplib.IMAP4.error:
            pass

    def append(self, folder: str, raw: bytes) -> None:
        self._ensure(folder)
        try:
            status, _ = self.conn.append(
                _quote(folder), r"(\Seen)", imaplib.Time2Internaldate(time.time()), raw
            )
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ToolError(f"could not keep a copy in {folder!r} ({_why(exc)})") from None
        if status != "OK":
            raise ToolError(f"could not keep a copy in {folder!r}")


def _capabilities(conn: imaplib.IMAP4) -> tuple[bytes, ...]:
    return tuple(c.encode() if isinstance(c, str) else c for c in conn.capabilities)


def _quote(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


_META = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)|FLAGS \(([^)]*)\)")
_ITEM = re.compile(rb"BODY\[(HEADER|TEXT|)\]")


def _parse_fetch(data: list[object]) -> dict[str, dict[str, bytes]]:
    """imaplib's FETCH answer (tuples of (meta, literal) and bytes) as {uid: {item: bytes}}."""
    found: dict[str, dict[str, bytes]] = {}
    current: dict[str, bytes] = {}
    messages: list[dict[str, bytes]] = []

    def scan(meta: bytes) -> None:
        for uid, size, flags in _META.findall(meta):
            if uid:
                current["UID"] = uid
            if size:
                current["SIZE"] = size
            if flags or b"FLAGS ()" in meta:
                current["FLAGS"] = flags

    for item in data:
        if isinstance(item, tuple):
            meta, literal = bytes(item[0]), bytes(item[1])
            if re.match(rb"^\d+ \(", meta):
                current = {}
                messages.append(current)
            scan(meta)
            match = _ITEM.search(meta)
            if match:
                current[match.group(1).decode() or "ALL"] = literal
        elif isinstance(item, bytes):
            if re.match(rb"^\d+ \(", item):
                current = {}
                messages.append(current)
            scan(item)
    for message in messages:
        if "UID" in message:
            found[message["UID"].decode()] = message
    return found


# -- Maildir -------------------------------------------------------------------------------


class MaildirBox(MailBox):
    def __init__(self, account: MailAccount) -> None:
        super().__init__(account)
        path = account.maildir_path()
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise ToolError(
                f"{path} is not a Maildir (no cur/ or new/ inside)",
                hint=f"Check path in [mail.accounts.{account.name}].",
            )
        self.root = mailbox.Maildir(path, factory=None, create=False)

    def _folder(self, folder: str, create: bool = False) -> mailbox.Maildir:
        if folder in ("", self.account.inbox):
            return self.root
        try:
            return self.root.get_folder(folder)
        except mailbox.NoSuchMailboxError:
            if create:
                return self.root.add_folder(folder)
            raise ToolError(f"there is no mail folder {folder!r}") from None

    def latest(self, limit: int, folder: str | None = None) -> list[ParsedMail]:
        folder = folder or self.account.inbox
        box = self._folder(folder)
        mails = []
        for key in box.iterkeys():
            try:
                with box.get_file(key) as handle:
                    raw = handle.read(TRIAGE_BYTES + 8192)
            except (KeyError, OSError):
                continue  # gone since listed (another client moved it)
            mail = parse_mail(raw, account=self.account.name, folder=folder, uid=key)
            mails.append(mail)
        mails.sort(key=lambda m: (_stamp(m.date), m.uid), reverse=True)
        return mails[:limit]

    def fetch(self, uid: str, folder: str | None = None) -> ParsedMail:
        folder = folder or self.account.inbox
        box = self._folder(folder)
        try:
            with box.get_file(uid) as handle:
                raw = handle.read(MAX_FETCH_BYTES + 1)
        except KeyError:
            raise ToolError("that mail is no longer there", hint="Check your mail again.") from None
        too_big = len(raw) > MAX_FETCH_BYTES
        if too_big:
            raw = raw[:READ_PARTIAL_BYTES]
        mail = parse_mail(raw, account=self.account.name, folder=folder, uid=uid)
        if too_big:
            mail.problems.append(
                "the mail is over 10 MB: only its beginning was read; the file is untouched"
            )
        return mail

    def move(self, uid: str, folder: str, target: str) -> None:
        source = self._folder(folder)
        try:
            message = source.get_message(uid)
        except KeyError:
            raise ToolError("that mail is no longer there", hint="Check your mail again.") from None
        self._folder(target, create=True).add(message)
        source.discard(uid)

    def append(self, folder: str, raw: bytes) -> None:
        message = mailbox.MaildirMessage(raw)
        message.set_subdir("cur")
        message.add_flag("S")
        self._folder(folder, create=True).add(message)


def _stamp(when: datetime | None) -> float:
    if when is None:
        return 0.0
    try:
        return when.timestamp()
    except (OverflowError, OSError, ValueError):
        return 0.0


# -- SMTP ----------------------------------------------------------------------------------


def build_message(
    account: MailAccount,
    to: str,
    subject: str,
    body: str,
    *,
    in_reply_to: str = "",
    references: list[str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((account.display_name, account.address))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now or datetime.now().astimezone())
    domain = account.address.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join([*(references or []), in_reply_to][-20:])
    message.set_content(body)
    return message


def send_message(account: MailAccount, message: EmailMessage) -> None:
    if not account.smtp_host:
        raise ToolError(
            f"account {account.name!r} has no outgoing server",
            hint=f"Set smtp_host (and smtp_port) in [mail.accounts.{account.name}].",
        )
    port = account.smtp_port_or_default
    where = f"{account.smtp_host}:{port}"
    try:
        smtp: smtplib.SMTP
        if account.smtp_ssl:
            smtp = smtplib.SMTP_SSL(account.smtp_host, port, timeout=account.timeout)
        else:
            smtp = smtplib.SMTP(account.smtp_host, port, timeout=account.timeout)
        with smtp:
            if account.smtp_starttls and not account.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if account.smtp_username:
                smtp.login(account.smtp_username, account.smtp_secret() or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise ToolError(
            f"the outgoing server {where} refused the login; nothing was sent",
            hint="Check smtp_username and the password.",
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise ToolError(
            f"the outgoing server {where} does not offer STARTTLS; nothing was sent",
            hint="Set smtp_ssl = true, or smtp_starttls = false only for a local test server.",
        ) from None
    except (smtplib.SMTPException, OSError, TimeoutError) as exc:
        raise ToolError(
            f"could not send through {where} ({_why(exc)}); nothing was sent",
            hint="Check smtp_host and smtp_port; the draft is kept.",
        ) from None
    if refused:
        raise ToolError(f"the server refused some recipients: {', '.join(refused)}")


def _why(exc: BaseException) -> str:
    # Only the kind of failure: a server's message could echo credentials back.
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused"
    return type(exc).__name__
