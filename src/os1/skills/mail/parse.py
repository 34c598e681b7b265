"""Reading a mail defensively: any bytes in, a `ParsedMail` out, never an exception.

Broken MIME, unknown or wrong charsets and huge attachments become notes in `problems`;
the original stays untouched in the mailbox, so nothing is lost. HTML is turned into the
text a person would see: hidden text (a classic place for instructions aimed at a model)
is dropped and counted.

Every header and all text go through `clean_untrusted`. Addresses are parsed from the raw
header before anything is decoded, and only an address written literally in the header
counts: an encoded word ("=?utf-8?q?amy=40friends.example?=") is a display name, never an
address, however it decodes.
"""

from __future__ import annotations

import codecs
import email
import email.errors
import email.utils
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.headerregistry import Address, HeaderRegistry
from email.message import Message
from html.parser import HTMLParser
from typing import Any

from os1.skills.untrusted import clean_untrusted, strip_invisible

# Longest body text kept for reading and triage; the rest is cut with a note.
MAX_BODY_CHARS = 100_000
# Longest address header parsed (the parser is quadratic on hostile input): a From line is
# short, a To line of 2,000 characters already names some sixty people.
MAX_SENDER_CHARS = 1_000
MAX_RECIPIENTS_CHARS = 2_000
# Longest text header decoded; far more than the 200 characters shown.
MAX_HEADER_CHARS = 2_000


@dataclass
class ParsedMail:
    account: str = ""
    folder: str = ""
    uid: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_addr: str = ""
    # The address exactly as written (case kept): "exampIe.com" with a capital I is a
    # look-alike that lower case hides, so look-alike checks read this one.
    from_written: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    hidden_removed: int = 0
    invisible_removed: int = 0
    attachments: list[tuple[str, str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    size: int = 0
    flags: tuple[str, ...] = ()

    @property
    def sender(self) -> str:
        """How the sender is named to the user: display name, else address."""
        return self.from_name or self.from_addr or "(unknown sender)"

    @property
    def shown_sender(self) -> str:
        """The sender as shown everywhere: display name with the real address beside it."""
        return named_address(self.from_name, self.from_addr)

    @property
    def ref(self) -> str:
        return f"{self.account}:{self.folder}:{self.uid}"


def one_line(text: str, limit: int = 120) -> str:
    """A header value safe to show on one line: no controls, no newlines, bounded."""
    cleaned = " ".join(clean_untrusted(text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def named_address(name: str, address: str, limit: int = 60) -> str:
    """`Amy Lee <amy@friends.example>`: a name is never shown without its address. A name
    that itself looks like an address is quoted, so it can't pass for the real one."""
    name = one_line(name, limit)
    if not address:
        return name or "(unknown sender)"
    if not name or name.casefold() == address.casefold():
        return address
    try:
        return str(Address(display_name=name, addr_spec=address))
    except (ValueError, IndexError, TypeError, email.errors.HeaderParseError):
        quoted = name.replace("\\", "").replace('"', "'")
        return f'"{quoted}" <{address}>'


def mailboxes(raw: str, limit: int = MAX_RECIPIENTS_CHARS) -> list[tuple[str, str]]:
    """(display name, address as written) pairs of an address header, parsed before decoding.

    `email.headerregistry` parses the raw header (RFC 5322) and decodes display names only;
    an address it made out of an encoded word is not in the raw text and is refused, and
    the header is then read by the old parser, which never decodes."""
    if len(raw) > limit:  # cut after the last whole address that fits
        raw = raw[: raw.rfind(",", 0, limit) + 1 or limit].rstrip(",")
    if not raw.strip():
        return []
    literal = raw.casefold()
    try:
        header = _header_class("to")("to", raw)
        found = [(a.display_name, a.addr_spec) for a in header.addresses]
    except Exception:  # noqa: BLE001 — the parser has raised on odd headers before
        found = []
    if not found or any(not a or a.casefold() not in literal for _, a in found):
        try:
            found = [(decode_header_value(n), a) for n, a in email.utils.getaddresses([raw])]
        except (RecursionError, ValueError, IndexError):  # "((((…" recurses once per bracket
            found = []
    return [(clean_untrusted(n).strip(), a.strip()) for n, a in found if a.strip("<> ")]


def decode_header_value(raw: object) -> str:
    if raw is None:
        return ""
    value = str(raw)
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        parts = []
        try:
            for chunk, _charset in decode_header(value):
                if isinstance(chunk, bytes):
                    parts.append(chunk.decode("utf-8", errors="replace"))
                else:
                    parts.append(chunk)
        except (ValueError, email.errors.HeaderParseError):
            return value
        return "".join(parts)


_REGISTRY = HeaderRegistry()  # what `email.policy.default` parses headers with


@functools.cache
def _header_class(name: str) -> Any:
    """The registry's class for a header, made once (it builds a new class per lookup)."""
    return _REGISTRY[name]


def header_text(name: str, raw: str) -> str:
    """An unstructured header (Subject, List-Id …) decoded the way `email.policy.default`
    does it, falling back to a lenient decode."""
    raw = raw[:MAX_HEADER_CHARS]
    try:
        return str(_header_class(name.lower())(name, raw))
    except Exception:  # noqa: BLE001
        return decode_header_value(raw)


def parse_mail(raw: bytes, *, account: str = "", folder: str = "", uid: str = "") -> ParsedMail:
    mail = ParsedMail(account=account, folder=folder, uid=uid, size=len(raw))
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:  # noqa: BLE001 — any parser failure must still give a result
        mail.problems.append(f"the mail could not be parsed ({type(exc).__name__})")
        mail.text = raw[:MAX_BODY_CHARS].decode("utf-8", errors="replace")
        return mail
    _read_headers(msg, mail)
    try:
        _read_body(msg, mail)
    except Exception as exc:  # noqa: BLE001
        mail.problems.append(f"part of the body could not be read ({type(exc).__name__})")
    defects = [type(d).__name__ for part in msg.walk() for d in getattr(part, "defects", [])]
    if defects:
        names = ", ".join(sorted(set(defects))[:3])
        mail.problems.append(f"the mail is malformed ({names}); showing what could be read")
    return mail


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    """Every header as written, 8-bit bytes read as UTF-8 (RFC 6532), nothing decoded."""
    found: dict[str, list[str]] = {}
    for key, value in msg.raw_items():
        text = str(value)
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeError:
            text = text.encode("utf-8", "replace").decode("utf-8", "replace")
        found.setdefault(key.lower(), []).append(text)
    return found


def _read_headers(msg: Message, mail: ParsedMail) -> None:
    raw = _raw_headers(msg)

    def first(name: str) -> str:
        return raw.get(name, [""])[0]

    mail.message_id = one_line(first("message-id"), 300)
    mail.in_reply_to = one_line(first("in-reply-to"), 300)
    mail.references = clean_untrusted(first("references")).split()[:50]
    mail.subject = one_line(header_text("subject", first("subject")), 200)
    senders = [m for value in raw.get("from", [])[:1] for m in mailboxes(value, MAX_SENDER_CHARS)]
    # An unquoted comma in a display name splits it: the real address is the one with an @.
    senders.sort(key=lambda na: "@" not in na[1])
    if senders:
        mail.from_name, mail.from_written = one_line(senders[0][0], 80), senders[0][1]
        mail.from_addr = mail.from_written.lower()
    if len({a.lower() for _, a in senders if "@" in a}) > 1:
        mail.problems.append("the mail names more than one sender; showing the first")
    replies = [a.lower() for _, a in mailboxes(first("reply-to"), MAX_SENDER_CHARS)]
    mail.reply_to = next((a for a in replies if "@" in a), replies[0] if replies else "")
    # The first two of each: a third To line adds nothing but parsing time.
    mail.to = [a.lower() for value in raw.get("to", [])[:2] for _, a in mailboxes(value)][:200]
    mail.cc = [a.lower() for value in raw.get("cc", [])[:2] for _, a in mailboxes(value)][:200]
    raw_date = first("date")
    if raw_date:
        try:
            mail.date = email.utils.parsedate_to_datetime(raw_date)
        except (TypeError, ValueError, IndexError):
            mail.problems.append("the date of the mail could not be read")
    for key in (
        "List-Unsubscribe",
        "List-Id",
        "Precedence",
        "Auto-Submitted",
        "X-Auto-Response-Suppress",
        "X-Mailer",
        "Importance",
        "X-Priority",
    ):
        values = raw.get(key.lower())
        if values:
            mail.headers[key.lower()] = one_line(header_text(key, values[0]), 200)


def _read_body(msg: Message, mail: ParsedMail) -> None:
    plain: str | None = None
    html: str | None = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if filename or disposition == "attachment" or not ctype.startswith("text/"):
            if ctype.startswith("multipart/") or ctype == "message/rfc822":
                continue
            name = one_line(decode_header_value(filename or ""), 120) or "(no name)"
            payload = part.get_payload()
            size = len(payload) if isinstance(payload, str) else 0
            if (part.get("Content-Transfer-Encoding") or "").strip().lower() == "base64":
                size = size * 3 // 4
            mail.attachments.append((name, ctype, size))
            continue
        if ctype == "text/plain" and plain is None:
            plain = _decode_text(part, mail)
        elif ctype == "text/html" and html is None:
            html = _decode_text(part, mail)
    if plain is not None and plain.strip():
        text = plain
    elif html is not None:
        converter = _TextOfHtml()
        converter.feed(html)
        converter.close()
        text = converter.text()
        mail.hidden_removed = converter.hidden_chunks
    else:
        text = ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    visible = strip_invisible(text)
    mail.invisible_removed = len(text) - len(visible)
    text = clean_untrusted(visible)
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS]
        mail.problems.append(f"the text was cut after {MAX_BODY_CHARS:,} characters")
    mail.text = text.strip()


def _decode_text(part: Message, mail: ParsedMail) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    charset = (part.get_content_charset() or "us-ascii").strip().lower()
    try:
        codecs.lookup(charset)
    except LookupError:
        mail.problems.append(f"unknown charset {one_line(charset, 40)!r}; read as UTF-8")
        return payload.decode("utf-8", errors="replace")
    try:
        return payload.decode(charset)
    except UnicodeDecodeError:
        pass
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = payload.decode("cp1252", errors="replace")
    mail.problems.append(f"the text is not valid {one_line(charset, 40)}; decoded as best I could")
    return text


_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source",
         "wbr", "param", "track"}  # fmt: skip
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
          "blockquote", "section", "article", "header", "footer"}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg"}
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|"
    r"opacity\s*:\s*0(?![.\d]*[1-9])|max-height\s*:\s*0(?![.\d]*[1-9])|"
    r"color\s*:\s*(?:#fff\b|#ffffff\b|white\b|transparent\b)",
    re.IGNORECASE,
)


class _TextOfHtml(HTMLParser):
    """The text a reader sees in an HTML mail; hidden and non-visual parts are dropped.
    Images become "[image: alt]" (their address is never kept: a remote image is a tracker
    or worse), and a link is its text followed by where it really goes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.hidden_chunks = 0
        self.link: tuple[str, int] | None = None

    def _hidden(self) -> bool:
        return any(h for _, h in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        hides = (
            tag in _SKIP
            or "hidden" in values
            or values.get("aria-hidden", "").lower() == "true"
            or bool(_HIDDEN_STYLE.search(values.get("style", "")))
        )
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag not in _VOID:
            self.stack.append((tag, hides))
        if tag == "img" and not self._hidden():
            alt = " ".join(values.get("alt", "").split())
            self.parts.append(f"[image: {alt}]" if alt else "[image]")
        if tag == "a" and values.get("href", "").strip() and not self._hidden():
            self.link = (" ".join(values["href"].split()), len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link is not None:
            target, start = self.link
            self.link = None
            shown = " ".join("".join(self.parts[start:]).split())
            if shown not in (target, target.removeprefix("mailto:")):
                self.parts.append(f" [link: {target}]")
        if any(t == tag for t, _ in self.stack):
            while self.stack:
                if self.stack.pop()[0] == tag:
                    break
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden():
            if data.strip() and not any(t in _SKIP for t, _ in self.stack):
                self.hidden_chunks += 1
            return
        self.parts.append(data)

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [" ".join(line.split()) for line in joined.splitlines()]
        out: list[str] = []
        for line in lines:
            if line or (out and out[-1]):
                out.append(line)
        return "\n".join(out).strip()
