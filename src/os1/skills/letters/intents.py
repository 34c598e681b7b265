"""The user's own words about letters, recognised in code and turned into tool calls.

"write a letter to Chris from Loretta about our anniversary: notes…", "proofread this: …",
"make it warmer", "add that …", "show my letters", "make a book of my letters".
"""

from __future__ import annotations

import re

from os1.skills.base import PlannedCall, SkillContext, intent
from os1.skills.letters.compose import pronouns_to_you
from os1.skills.letters.settings import TONES
from os1.skills.letters.writer import understand

_POLITE = (
    r"^\s*(?:(?:please|hey|ok|okay|so|now|and|hi)[,!]?\s+)*"
    r"(?:(?:can|could|would|will) you\s+)?(?:please\s+)?(?:help me\s+)?"
)
_LETTER_ID = r"(?:letter\s*(?:#|number\s+|no\.?\s*)?(?P<id>\d{1,9}))"

_WRITE = re.compile(
    _POLITE + r"(?:write|draft|compose|pen)\s+(?:me\s+)?(?:a|an)\s+(?:(?P<adj>[\w-]+)\s+)?"
    r"(?:letter|note)\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_TONE_WORDS: dict[str, str] = {
    **{t: t for t in TONES},
    "love": "tender",
    "romantic": "tender",
    "loving": "tender",
    "heartfelt": "warm",
    "thank-you": "grateful",
    "thankyou": "grateful",
    "funny": "playful",
    "official": "formal",
}
_KINSHIP = frozenset(
    """mother mom mum mummy mama father dad daddy papa grandma grandmother granny nana
    grandpa grandfather granddad sister brother aunt auntie uncle son daughter""".split()
)
_PARTNER = frozenset(
    "wife husband partner girlfriend boyfriend love darling fiance fiancé "
    "fiancee fiancée sweetheart".split()
)
# Where the parts of "to X from Y about Z" begin.
_CLAUSE = re.compile(
    r"\s+(?=(?:to|from|on behalf of|about|regarding|for|thanking|congratulating|"
    r"apologi[sz]ing|wishing|saying|telling)\b)",
    re.IGNORECASE,
)


@intent("letters.write", priority=60)
def write(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _WRITE.match(text.strip())
    if not m:
        return None
    adj = (m.group("adj") or "").lower()
    if adj and adj not in _TONE_WORDS and adj not in ("short", "quick", "little", "new", "nice"):
        return None  # "write a cover letter", "a complaint letter": not a personal letter
    rest = m.group("rest")
    head, notes = _split_notes(rest)
    args: dict[str, object] = {}
    if adj in _TONE_WORDS:
        args["tone"] = _TONE_WORDS[adj]
    occasion: list[str] = []
    for clause in _CLAUSE.split(" " + head.strip()):
        clause = clause.strip().rstrip(",.")
        word, _, value = clause.partition(" ")
        lowered = word.lower()
        if occasion:  # "about our trip to Paris": the rest belongs to the occasion
            occasion.append(clause)
        elif lowered == "to" and value and "recipient" not in args:
            args["recipient"] = _person(value)
        elif lowered == "from" and value:
            args["sender"] = _person(value)
        elif clause.lower().startswith("on behalf of "):
            args["sender"] = _person(clause[len("on behalf of ") :])
        elif lowered == "for" and "recipient" not in args and _is_person(value):
            args["recipient"] = _person(value)
        elif lowered in ("about", "regarding", "for") and value:
            occasion.append(value)
        elif lowered in ("saying", "telling") and value:
            said = re.sub(r"^(?:him|her|them|you)\s+(?:that\s+)?", "", value, flags=re.I)
            notes = f"{pronouns_to_you(said)}\n{notes}".strip()
        elif (
            value
            and lowered in ("thanking", "congratulating", "wishing")
            or (lowered.startswith("apologi") and value)
        ):
            occasion.append(clause)
    if occasion:
        args["occasion"] = about = " ".join(occasion)
        whose = re.match(r"([A-Z][\w-]+)['’]s\b", about)  # "for Chris's birthday"
        if whose and "recipient" not in args:
            args["recipient"] = whose.group(1)
    if notes:
        args["notes"] = notes
    return [PlannedCall("write_letter", args)]


def _split_notes(rest: str) -> tuple[str, str]:
    """The request and the notes that follow a colon, a dash or a new line."""
    m = re.search(r"\s*(?::|\n|\s[-—–]\s)\s*", rest)
    if not m:
        return rest, ""
    return rest[: m.start()], rest[m.end() :].strip()


_OCCASION_WORDS = re.compile(
    r"\b(?:birthday|anniversary|wedding|christmas|graduation|retirement|day|funeral|"
    r"engagement|promotion|job|help|gift|flowers|everything|being)\b",
    re.IGNORECASE,
)


def _is_person(phrase: str) -> bool:
    """ "for Chris" or "for my mum" names a person; "for her birthday" does not."""
    words = phrase.split()
    return (
        0 < len(words) <= 3
        and not _OCCASION_WORDS.search(phrase)
        and (words[0][:1].isupper() or words[0].lower() in ("my", "our"))
    )


def _person(phrase: str) -> str:
    """How the letter names someone: "my friend Sam" → "Sam", "my mum" → "Mum"."""
    phrase = " ".join(phrase.split()).strip(",. ")
    words = phrase.split()
    names = [w for w in words if w[:1].isupper()]
    if names and words[0].lower() in ("my", "our"):
        return " ".join(names)
    if words and words[0].lower() in ("my", "our") and len(words) >= 2:
        rest = " ".join(words[1:])
        if words[-1].lower() in _KINSHIP:
            return rest.title()
        if words[-1].lower() in _PARTNER:
            return "my love"
        return rest
    return phrase


_PROOFREAD = re.compile(
    _POLITE + r"(?:proof-?read|spell-?check|check (?:the )?(?:spelling|grammar)(?: (?:of|in))?"
    r"|check|look over|correct)\s*(?P<target>this|that|it|(?:my|the) (?:last )?letter"
    r"(?: (?:to|for) [\w' -]{1,40}?)?|" + _LETTER_ID + r")?\s*(?::\s*(?P<text>.+))?[\s?.!]*$",
    re.IGNORECASE | re.DOTALL,
)


@intent("letters.proofread", priority=60)
def proofread(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _PROOFREAD.match(text.strip())
    if not m:
        return None
    verb = text.strip().lower()
    plain_check = re.match(_POLITE + r"(?:check|look over|correct)\b", verb) is not None
    target, body = m.group("target"), m.group("text")
    if plain_check and not (body or (target and "letter" in target.lower())):
        return None  # "check my mail" and friends belong to other skills
    if body and body.strip():
        return [PlannedCall("proofread_letter", {"text": body.strip()})]
    args = {"letter_id": int(m.group("id"))} if m.group("id") else {}
    return [PlannedCall("proofread_letter", args)]


_REVISE = re.compile(
    _POLITE
    + r"(?:(?P<make>make)\s+(?:it|the letter|my letter|that|this|"
    + _LETTER_ID
    + r")\s+(?P<how>.+)|(?P<other>(?:also\s+)?(?:add|mention|include|say)(?:\s+that\b|\s*:"
    r"|\s+to the letter\b).+|(?:add|mention|include)\b.+\bto the letter|change the (?:closing|"
    r"sign[- ]?off|ending)\b.*|sign it\b.+|end it with\b.+|(?:please\s+)?(?:shorten|shorter)"
    r"(?: it)?))$",
    re.IGNORECASE | re.DOTALL,
)
# "add that to my notes" / "add milk to the shopping list" belong to other skills.
_OTHER_LISTS = re.compile(
    r"\b(?:to|in|on|into) (?:my|the) (?:notes?|list|lists|shopping|calendar|reminders?|"
    r"to-?do|todos?|diary|agenda)\b|\bas an? (?:reminder|note|task|event)\b",
    re.IGNORECASE,
)


@intent("letters.revise", priority=60)
def revise(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _REVISE.match(text.strip())
    if not m:
        return None
    if m.group("make"):
        instruction = "make it " + m.group("how").strip()
        explicit = re.search(r"\b(?:the|my) letter\b", text, re.IGNORECASE) or m.group("id")
        if understand(instruction).kind == "other" and not explicit:
            return None  # "make it 5pm" is about something else
    else:
        instruction = m.group("other").strip()
        if _OTHER_LISTS.search(instruction):
            return None
        if re.match(r"^(?:please\s+)?(?:shorten|shorter)", instruction, re.IGNORECASE):
            instruction = "make it shorter"
    args: dict[str, object] = {"instruction": instruction}
    if m.group("id"):
        args["letter_id"] = int(m.group("id"))
    return [PlannedCall("revise_letter", args)]


_LIST = re.compile(
    _POLITE + r"(?:show|list|see|read)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?my\s+"
    r"(?P<starred>starred\s+|favou?rite\s+|best\s+)?letters\b[\s?.!]*$"
    r"|^\s*what letters (?:have i|do i have)\b.*$",
    re.IGNORECASE,
)
_SHOW = re.compile(
    _POLITE
    + r"(?:show|read|open|let me see)\s+(?:me\s+)?(?:(?:the|my) (?:last |latest )?letter|"
    + _LETTER_ID
    + r"|it again)[\s?.!]*$",
    re.IGNORECASE,
)


@intent("letters.list", priority=60)
def listing(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _LIST.match(text.strip())
    if m:
        return [PlannedCall("list_letters", {"starred": bool(m.group("starred"))})]
    m = _SHOW.match(text.strip())
    if m:
        found = m.group("id")
        return [PlannedCall("show_letter", {"letter_id": int(found)} if found else {})]
    return None


_STAR = re.compile(
    _POLITE
    + r"(?P<un>un)?(?:star|favou?rite)\s+(?:it|that|this|that letter|the letter|"
    + _LETTER_ID
    + r")[\s.!]*$",
    re.IGNORECASE,
)


@intent("letters.star", priority=60)
def star(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _STAR.match(text.strip())
    if not m:
        return None
    args: dict[str, object] = {"starred": not m.group("un")}
    if m.group("id"):
        args["letter_id"] = int(m.group("id"))
    return [PlannedCall("star_letter", args)]


_BOOK = re.compile(
    r"\b(?:make|create|compile|put together|print|bind|turn|collect|gather)\b.*"
    r"(?:\bbook\b.*\bletters\b|\bletters\b.*\b(?:book|pdf)\b)",
    re.IGNORECASE | re.DOTALL,
)


@intent("letters.book", priority=60)
def book(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if len(text) > 300 or not _BOOK.search(text):
        return None
    args: dict[str, object] = {}
    if re.search(r"\b(?:starred|favou?rite|best)\b", text, re.IGNORECASE):
        args["starred"] = True
    title = re.search(
        r"\b(?:called|titled|named)\s+[\"“']?([^\"”']{1,80}?)[\"”']?[\s.!?]*$", text, re.IGNORECASE
    )
    if title:
        args["title"] = title.group(1).strip()
    return [PlannedCall("make_letter_book", args)]


INTENTS = [write, proofread, revise, listing, star, book]
