"""Mail facts worth keeping (a friend's new address, phone or birthday), into memory with
the mail as source. Conservative on purpose: a few fixed phrasings, values of a strict shape,
and only from the verified address of someone the user has written to (exactly that address,
no look-alike of it): a mail can't make OS1 remember what its writer wants it to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from os1.memory import LongTermMemory
from os1.memory.dates import find_time_ranges
from os1.memory.store import NewMemory
from os1.skills.mail.lookalike import Contacts
from os1.skills.mail.parse import ParsedMail

SCAN_CHARS = 2000
# Any year will do: a birthday is checked only for being a real day of a real month.
_REFERENCE = datetime(2024, 1, 1)
_WORDS_NOT_IN_AN_ADDRESS = re.compile(
    r"\b(?:ignore|instruction|instructions|forward|send|assistant|system|password|delete|"
    r"memory|remember|prompt|model|ai|confirm|user|click|http|www)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MailFact:
    attribute: str
    value: str
    text: str


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "email",
        re.compile(
            r"\bmy new e-?mail(?: address)? is:?\s+([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.IGNORECASE
        ),
    ),
    (
        "phone",
        re.compile(
            r"\bmy new (?:phone|mobile|cell)(?: number)? is:?\s+(\+?[\d][\d ().-]{5,19}\d)",
            re.IGNORECASE,
        ),
    ),
    (
        "birthday",
        re.compile(
            r"\b[Mm]y birthday is (?:on )?((?:[A-Z][a-z]{2,8} \d{1,2}|\d{1,2} [A-Z][a-z]{2,8}))\b"
        ),
    ),
    (
        "address",
        re.compile(
            r"\bmy new (?:home |postal )?address is:?\s+([^\n]{6,100}?)(?:\.\s|\.?\n|\.?$)",
            re.IGNORECASE,
        ),
    ),
]


def mail_source(mail: ParsedMail) -> str:
    return f"mail:{mail.account}:{mail.message_id or mail.uid}"


def find_facts(mail: ParsedMail) -> list[MailFact]:
    text = mail.text[:SCAN_CHARS]
    name = _name(mail)
    found: list[MailFact] = []
    for attribute, pattern in _PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        value = " ".join(match.group(1).split()).rstrip(".,;")
        if attribute == "address" and not _looks_like_address(value):
            continue
        if attribute == "birthday":
            if not find_time_ranges(value, _REFERENCE):
                continue  # not a real date ("May 45")
            found.append(MailFact(attribute, value, f"{name}'s birthday is {value}"))
            continue
        label = {"email": "e-mail address", "phone": "phone number", "address": "address"}
        found.append(MailFact(attribute, value, f"{name}'s new {label[attribute]} is {value}"))
    return found


def _looks_like_address(value: str) -> bool:
    return (
        bool(re.search(r"\d", value))
        and bool(re.fullmatch(r"[\w\s,.#'/-]+", value))
        and len(value.split()) <= 12
        and not _WORDS_NOT_IN_AN_ADDRESS.search(value)
    )


def _name(mail: ParsedMail) -> str:
    name = mail.from_name.strip()
    if name and re.fullmatch(r"[\w .'-]{1,60}", name):
        return name
    return mail.from_addr


def remember_facts(memory: LongTermMemory, mail: ParsedMail, contacts: Contacts) -> list[str]:
    """Store what the mail says about its (verified) writer; returns what was noted."""
    if not contacts.verified(mail.from_addr) or contacts.about(mail):
        return []
    source = mail_source(mail)
    if memory.store.ids_with_source(source):
        return []  # read before: already noted
    noted = []
    subject = _name(mail).split(" ")[0].lower()
    for fact in find_facts(mail):
        slot = memory.store.active_in_slot(subject, fact.attribute)
        if any((m.value or "").lower() == fact.value.lower() for m in slot):
            continue
        new_id = memory.store.add(
            NewMemory(
                kind="fact",
                text=fact.text,
                sources=(source,),
                subject=subject,
                attribute=fact.attribute,
                value=fact.value,
                said_at=mail.date.isoformat() if mail.date else None,
                importance=0.6,
                untrusted=True,  # the mail's words, however well its writer is known
            )
        )
        if new_id is not None:
            for old in slot:
                memory.store.supersede(old.id, new_id)
            noted.append(fact.text)
    return noted
