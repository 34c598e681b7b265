"""Reading a mail defensively: any bytes in, a `ParsedMail` out, never an exception.

Broken MIME, unknown or wrong charsets and huge attachments become notes in `problems`;
the original stays untouched in the mailbox, so nothing is lost. HTML is turned into the
text a person would see: hidden text (a classic place for instructions aimed at a model)
is dropped and counted.
"""

from __future__ import annotations

import codecs
import email
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from html.parser import HTMLParser

# Longest body text kept for reading and triage; the rest is cut with a note.
MAX_BODY_CHARS = 100_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


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
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    hidden_removed: int = 0
    attachments: list[tuple[str, str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    size: int = 0
    flags: tuple[str, ...] = ()

    @property
    def sender(self) -> str:
        """How the sender is named to the user: display name, else address."""
        return self.from_name or self.from_addr or "(unknown sender)"

    @property
    def ref(self) -> str:
        return f"{self.account}:{self.folder}:{self.uid}"


def one_line(text: str, limit: int = 120) -> str:
    """A header value safe to show on one line: no controls, no newlines, bounded."""
    cleaned = " ".join(_CONTROL.sub("", text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


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


def _read_headers(msg: Message, mail: ParsedMail) -> None:
    mail.message_id = one_line(decode_header_value(msg.get("Message-ID")), 300)
    mail.in_reply_to = one_line(decode_header_value(msg.get("In-Reply-To")), 300)
    mail.references = decode_header_value(msg.get("References")).split()[:50]
    mail.subject = one_line(decode_header_value(msg.get("Subject")), 200)
    name, addr = _first_address(decode_header_value(msg.get("From")))
    mail.from_name, mail.from_addr = one_line(name, 80), addr
    mail.reply_to = _first_address(decode_header_value(msg.get("Reply-To")))[1]
    mail.to = _addresses([decode_header_value(v) for v in msg.get_all("To", [])])
    mail.cc = _addresses([decode_header_value(v) for v in msg.get_all("Cc", [])])
    raw_date = decode_header_value(msg.get("Date"))
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
        value = msg.get(key)
        if value is not None:
            mail.headers[key.lower()] = one_line(decode_header_value(value), 200)


def _first_address(value: str) -> tuple[str, str]:
    found = email.utils.getaddresses([value]) if value else []
    # An unquoted comma in a display name splits it: the real address is the one with an @.
    for name, addr in sorted(found, key=lambda na: "@" not in na[1]):
        if addr:
            return name.strip(), addr.strip().lower()
    return "", ""


def _addresses(values: list[str]) -> list[str]:
    return [a.strip().lower() for _, a in email.utils.getaddresses(values) if a][:200]


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
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
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
    """The text a reader sees in an HTML mail; hidden and non-visual parts are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.hidden_chunks = 0

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
        if tag == "img" and values.get("alt") and not self._hidden():
            self.parts.append(f"[image: {values['alt']}]")

    def handle_endtag(self, tag: str) -> None:
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
