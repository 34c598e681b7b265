"""Deterministic triage: important / later / can go, each with a one-line reason.

Plain features a person would use (who sent it, is it to me, is it bulk, does it ask me
something, is it urgent or about a date soon) plus what the user taught by their actions
(replying raises a sender, archiving and deleting lower it). No model: it works with the tiny
embedded one, and mail text can't talk its way up the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from os1.memory.dates import find_time_ranges
from os1.skills.mail.lookalike import Contacts
from os1.skills.mail.parse import ParsedMail
from os1.skills.mail.state import SenderStats

Category = Literal["important", "later", "can go"]
CATEGORIES: tuple[Category, ...] = ("important", "later", "can go")

IMPORTANT_AT = 4.0
LATER_AT = -2.5
# How far learned habits may move a sender, either way.
LEARNED_CAP = 5.0
# Of the body, only the start is read: that is where a request or a date is.
SCAN_CHARS = 1500

_AUTOMATED_LOCAL = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]daemon|postmaster|bounces?|"
    r"notifications?|notify|alerts?|updates?|news(?:letter)?s?|marketing|promo(?:tions)?|"
    r"deals|offers|info|hello|team|digest|automated|system|robot|daemon)(?:[-_.+].*)?$",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"\b(?:\d{1,2}\s?% off|sale|deals?|discount|coupon|promo(?:tion)?|special offer|"
    r"free shipping|limited[- ]time|last chance|black friday|cyber monday|shop now|"
    r"save up to|new arrivals|exclusive offer|flash sale|buy now|clearance)\b",
    re.IGNORECASE,
)
_NEWSLETTER = re.compile(
    r"\b(?:newsletter|digest|weekly|monthly|roundup|round-up|edition|issue\s?#?\d+|"
    r"this week in|top stories|recommended for you)\b",
    re.IGNORECASE,
)
_ALERT = re.compile(
    r"\b(?:security alert|unusual (?:sign[- ]in|activity|login)|new sign[- ]in|"
    r"password (?:was|has been) changed|payment (?:failed|declined|overdue)|overdue|"
    r"final notice|account (?:suspended|locked|will be closed)|fraud|suspicious|"
    r"action required)\b",
    re.IGNORECASE,
)
_URGENT = re.compile(
    r"\b(?:urgent(?:ly)?|asap|as soon as possible|immediately|right away|time[- ]sensitive|"
    r"deadline|end of (?:the )?day|eod|by (?:today|tonight|tomorrow|noon|monday|tuesday|"
    r"wednesday|thursday|friday)|today|tonight|emergency)\b",
    re.IGNORECASE,
)
_ASKS = re.compile(
    r"\b(?:can you|could you|would you|will you|are you|do you|did you|have you|"
    r"let me know|please (?:confirm|reply|send|review|check|call|sign|approve)|"
    r"what do you think|your thoughts|get back to me|need your)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    category: Category
    reason: str
    score: float
    signals: tuple[str, ...] = field(default=())
    # Why the sender is not who they look like (a look-alike of a contact), if they aren't.
    warning: str = ""


@dataclass
class Triage:
    """Triage for one user: their own addresses, who they know, what they did before."""

    own: set[str]
    stats: dict[str, SenderStats] = field(default_factory=dict)
    known_names: set[str] = field(default_factory=set)
    contacts: Contacts = field(default_factory=Contacts)

    def judge(self, mail: ParsedMail, now: datetime | None = None) -> Verdict:
        score = 0.0
        signals: list[tuple[float, str]] = []

        def add(points: float, why: str) -> None:
            nonlocal score
            score += points
            signals.append((points, why))

        start = _fresh_text(mail.text)[:SCAN_CHARS]
        subject = mail.subject
        headers = mail.headers
        local = mail.from_addr.partition("@")[0]
        bulk = (
            "list-unsubscribe" in headers
            or "list-id" in headers
            or headers.get("precedence", "").lower() in ("bulk", "list", "junk")
        )
        automated = bool(_AUTOMATED_LOCAL.match(local)) or headers.get(
            "auto-submitted", "no"
        ).lower() not in ("", "no")
        alert = bool(_ALERT.search(subject) or _ALERT.search(start[:400]))
        stats = self.stats.get(mail.from_addr)
        warning = self.contacts.about(mail) or ""
        # A look-alike borrows a known name: it must not borrow the trust that goes with it.
        known = not warning and (bool(stats and stats.replied) or self._known_name(mail.from_name))
        direct = bool(self.own.intersection(mail.to))
        copied = bool(self.own.intersection(mail.cc))

        discussion = (
            bulk
            and not automated
            and bool(mail.in_reply_to or re.match(r"^\s*re\s*:", subject, re.IGNORECASE))
        )
        if bulk or automated:
            if discussion:  # a person answering on a list: people, but not to you alone
                add(-1.5, "a discussion on a mailing list")
            elif bulk:
                add(-3.0, "from a mailing list")
            if automated:
                add(-2.0, "sent automatically")
            if _PROMO.search(subject) or _PROMO.search(start[:600]):
                add(-1.5, "a promotion")
            elif _NEWSLETTER.search(subject) or bulk and _NEWSLETTER.search(start[:600]):
                add(-1.0, "a newsletter")
            if alert:
                add(6.0, "looks like a security or payment alert")
            if known:
                add(1.5, "from someone you write to")
        else:
            if direct:
                add(2.0, "written to you")
            elif copied:
                add(1.0, "you are in copy")
            elif len(mail.to) + len(mail.cc) > 10:
                add(-1.0, "sent to many people")
            else:
                add(1.0, "written to you")
            if known:
                add(1.5, "from someone you write to")
            if mail.in_reply_to and (direct or copied):
                add(2.0, "answers a conversation you are in")
            if _asks(subject, start):
                add(2.0, "asks you something")
            if _URGENT.search(subject) or _URGENT.search(start) or _flagged(headers):
                add(2.0, "says it is urgent or due soon")
            elif _date_soon(subject + "\n" + start[:800], mail.date or now, now):
                add(1.0, "mentions a date in the next days")
            if _PROMO.search(subject):
                add(-1.5, "reads like a promotion")
        if warning:
            add(-1.0, "pretends to be someone you know")
        if stats:
            learned = 2.0 * stats.replied + 0.5 * stats.read - stats.archived - 2.0 * stats.deleted
            learned = max(-LEARNED_CAP, min(LEARNED_CAP, learned))
            if learned <= -1:
                add(learned, _habit(stats))
            elif learned >= 1 and not known:
                add(learned, "you usually read mail from this sender")

        category: Category = (
            "important" if score >= IMPORTANT_AT else "later" if score >= LATER_AT else "can go"
        )
        return Verdict(category, _reason(category, signals), round(score, 2),
                       tuple(w for _, w in signals), warning)  # fmt: skip

    def _known_name(self, name: str) -> bool:
        first = name.strip().split(" ")[0].strip(",.\"'").lower() if name.strip() else ""
        return bool(first) and first in self.known_names


def _fresh_text(text: str) -> str:
    """The new part of a mail: quoted replies and signatures left out."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if stripped == "--" or re.match(r"^On .{4,80} wrote:$", stripped):
            break
        lines.append(line)
    return "\n".join(lines)


def _asks(subject: str, start: str) -> bool:
    if _ASKS.search(subject) or _ASKS.search(start):
        return True
    return "?" in subject or bool(re.search(r"\?(\s|$)", start[:800]))


def _flagged(headers: dict[str, str]) -> bool:
    return headers.get("importance", "").lower() == "high" or headers.get(
        "x-priority", ""
    ).strip().startswith(("1", "2"))


def _date_soon(text: str, said: datetime | None, now: datetime | None) -> bool:
    if said is None:
        return False
    reference = said.replace(tzinfo=None)
    today = (now or said).replace(tzinfo=None)
    for span in find_time_ranges(text, reference):
        if today - timedelta(hours=12) <= span.start <= today + timedelta(days=3):
            return True
    return False


def _habit(stats: SenderStats) -> str:
    if stats.deleted >= stats.archived:
        return "you usually delete mail from this sender"
    return "you usually archive mail from this sender without replying"


def _reason(category: Category, signals: list[tuple[float, str]]) -> str:
    """The one or two strongest reasons pointing the way of the verdict."""
    if category == "important":
        pointing = [s for s in signals if s[0] > 0]
    elif category == "can go":
        pointing = [s for s in signals if s[0] < 0]
    else:
        pointing = sorted(signals, key=lambda s: -abs(s[0]))
    pointing.sort(key=lambda s: -abs(s[0]))
    words = [w for _, w in pointing[:2]]
    if not words:
        return "nothing stands out"
    text = " and ".join(words) if len(words) == 2 else words[0]
    return text[0].upper() + text[1:]


def known_names_from_memory(subjects: Iterable[str | None]) -> set[str]:
    return {s.split(" ")[0].lower() for s in subjects if s and s not in ("user", "assistant")}
