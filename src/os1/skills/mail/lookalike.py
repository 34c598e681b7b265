"""Look-alike senders and recipients: an address or name made to pass for one of the user's
contacts (the people they have written to, and their own addresses).

Three checks, all against the contacts: UTS #39 skeletons (`аmy` with a Cyrillic а, `examp1e`,
`paypaI` with a capital I, `rn` for `m` all reduce to the same string as the real one),
letters from different alphabets mixed inside one word, and domains a typo or a hyphen away
from a contact's (`exmaple.com`, `friends-example.net` for `friends.example`). A name
alone is a look-alike too: "Amy Lee" from an address that isn't Amy's. An exact contact
address is never a look-alike: that is what "verified" means here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from os1.skills.mail.parse import ParsedMail, named_address

# Script combinations a single word may have (UTS #39 "highly restrictive").
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_NEUTRAL = frozenset({"COMMON", "INHERITED"})
# A name inside a display name that is an address: "amy@friends.example" <x@evil.example>.
_ADDRESS_IN_NAME = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Shortest contact domain (without dots) a typo check applies to: "web.de" vs "wed.de" is
# more likely two real providers than a fake.
_TYPO_MIN = 6


@dataclass(frozen=True)
class Contact:
    name: str
    address: str

    def __str__(self) -> str:
        return named_address(self.name, self.address)


@dataclass(frozen=True)
class Contacts:
    """Who the user writes to (verified by address) and the user's own addresses."""

    people: tuple[Contact, ...] = ()
    own: tuple[Contact, ...] = ()

    @classmethod
    def of(cls, people: Iterable[Contact], own: Iterable[Contact] = ()) -> Contacts:
        return cls(tuple(people), tuple(own))

    def about(self, mail: ParsedMail, *, outgoing: bool = False) -> str | None:
        """The warning for a mail's sender (or for replying to them)."""
        return self.warning(mail.from_name, mail.from_written or mail.from_addr, outgoing=outgoing)

    def verified(self, address: str) -> bool:
        """A contact's own address, exactly: only that is trusted for facts."""
        folded = address.casefold()
        return bool(folded) and any(c.address.casefold() == folded for c in self.people)

    def warning(self, name: str, address: str, *, outgoing: bool = False) -> str | None:
        """Why a sender (or a recipient, when `outgoing`) is not who they look like, to
        follow "the sender" / "the recipient"; None when nothing is suspicious. `address`
        as written: its case matters to the look (a capital I passes for an l); it is shown
        in lower case, where the trick shows."""
        folded = address.casefold()
        everyone = (*self.people, *self.own)
        if any(c.address.casefold() == folded for c in everyone):
            return None
        actually = f"{'goes to' if outgoing else 'is from'} {address.lower() or 'no address'}"
        for contact in everyone:
            if _looks_like(name, address, contact):
                return f"looks like {contact} but {actually}"
        shown = [a for a in _ADDRESS_IN_NAME.findall(name) if a.casefold() != folded]
        if shown:
            return f"shows the address {shown[0]} in its name but {actually}"
        local, _, domain = address.rpartition("@")
        for what, text in (("name", name), ("address", f"{local}@{_unicode_domain(domain)}")):
            scripts = mixed_scripts(text)
            if scripts:
                return f"mixes {' and '.join(scripts)} letters in its {what} and {actually}"
        return None


def _looks_like(name: str, address: str, contact: Contact) -> bool:
    local, _, domain = address.rpartition("@")
    their_local, _, their_domain = contact.address.rpartition("@")
    name = " ".join(name.split())
    if address and fold(address) == fold(contact.address):
        return True  # every character a homoglyph of the real one
    if name and (
        fold(name) == fold(" ".join(contact.name.split())) or fold(name) == fold(contact.address)
    ):
        return True  # the contact's name (or address) on someone else's address
    if not (domain and their_domain):
        return False
    if homoglyph_domain(domain, their_domain):
        return True
    # A domain a typo or a hyphen away is common among strangers ("hotmail.co.uk"); it is a
    # look-alike when it also carries the contact's mailbox name.
    return fold(local) == fold(their_local) and near_domain(domain, their_domain)


def homoglyph_domain(domain: str, real: str) -> bool:
    """`domain` looks exactly like `real` (examp1e.com, pаypal.com) without being it."""
    mine, theirs = _unicode_domain(domain), _unicode_domain(real)
    return mine.casefold() != theirs.casefold() and fold(mine) == fold(theirs)


def near_domain(domain: str, real: str) -> bool:
    """`domain` is a typo of `real` or dresses up its name (paypal-secure.com,
    friends-example.net); a subdomain of `real` is not."""
    mine, theirs = _unicode_domain(domain).casefold(), _unicode_domain(real).casefold()
    if mine == theirs or mine.endswith("." + theirs) or theirs.endswith("." + mine):
        return False
    mine, theirs = fold(mine), fold(theirs)
    squashed = re.sub(r"\W|_", "", theirs)
    if len(squashed) >= _TYPO_MIN and _distance(mine, theirs) <= (1 if len(squashed) < 12 else 2):
        return True
    labels = theirs.split(".")
    main = labels[-2] if len(labels) >= 2 else ""
    if len(main) >= 4 and main in re.split(r"[.-]", mine):
        return True
    return len(squashed) >= 8 and squashed in re.sub(r"\W|_", "", mine)


def mixed_scripts(text: str) -> list[str]:
    """The alphabets mixed inside one word of `text` (e.g. ["Latin", "Cyrillic"]), if any."""
    for word in re.split(r"[\s@.,'\"()<>_+-]+", text):
        if len(word) < 2 or word.isascii():
            continue
        from confusable_homoglyphs import categories  # its tables load on first use only

        scripts = set(categories.unique_aliases(word)) - _NEUTRAL
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
            return sorted((s.replace("_", " ").title() for s in scripts), key=_latin_first)
    return []


def _latin_first(script: str) -> tuple[bool, str]:
    return script != "Latin", script


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """What `text` looks like: UTS #39 skeleton, case-folded, skeleton again (so a capital I
    and a lowercase l, or "PAYPAL" and "paypa1", end up the same)."""
    return skeleton(skeleton(text).casefold())


def skeleton(text: str) -> str:
    """The UTS #39 skeleton: NFD, every character replaced by its prototype, NFD again."""
    mapping = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(mapping.get(c, c) for c in decomposed))


@functools.cache
def _prototypes() -> dict[str, str]:
    """confusables.txt as character → prototype, from the data `confusable_homoglyphs`
    ships. Its table lists each pair both ways: a character with one entry points at its
    prototype, a prototype lists everything that looks like it. Where two characters only
    point at each other, either will do as long as both map to the same one."""
    from confusable_homoglyphs import confusables  # 25 ms of JSON: not at start-up

    data = confusables.confusables_data
    mapping: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or len(entries) != 1:
            continue
        target = entries[0]["c"].replace("\u200e", "").replace("\u200f", "")
        back = data.get(target, [])
        if len(back) == 1 and back[0]["c"].strip("\u200e\u200f") == char and len(target) == 1:
            target = min(char, target)
        if target != char:
            mapping[char] = target
    return mapping


def _unicode_domain(domain: str) -> str:
    """A domain as it would be displayed: punycode labels decoded (case kept: it matters
    to the look)."""
    labels = []
    for label in domain.strip().strip(".").split("."):
        if label.lower().startswith("xn--"):
            try:
                label = label.lower().encode("ascii").decode("idna")
            except UnicodeError:
                pass
        labels.append(label)
    return ".".join(labels)


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap counts as one edit."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def recipients_warning(contacts: Contacts, pairs: Sequence[tuple[str, str]]) -> str | None:
    """The first look-alike among a mail's recipients, as a sentence."""
    for name, address in pairs:
        found = contacts.warning(name, address, outgoing=True)
        if found:
            return found
    return None
