"""The user's own words about letters, recognised in code and turned into tool calls.

"write a letter to Chris from Loretta about our anniversary: notes…", "proofread this: …",
"make it warmer", "add that …", "show my letters", "make a book of my letters".
"""

from __future__ import annotations

import re

from os1.skills.base import PlannedCall, SkillContext, intent
from os1.skills.focus import focus
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
    r"(?P<kind>letter|note)\b(?P<rest>.*)$",
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
# "a birthday letter", "a get-well note": the adjective is the occasion.
_OCCASION_ADJ: dict[str, str] = {
    "birthday": "birthday",
    "anniversary": "anniversary",
    "christmas": "Christmas",
    "wedding": "wedding",
    "congratulations": "congratulations",
    "congratulatory": "congratulations",
    "apology": "an apology",
    "sorry": "an apology",
    "goodbye": "goodbye",
    "farewell": "goodbye",
    "get-well": "getting well soon",
    "valentine": "Valentine's Day",
    "valentine's": "Valentine's Day",
    "valentines": "Valentine's Day",
    "graduation": "graduation",
    "retirement": "retirement",
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
    plain = ("short", "quick", "little", "new", "nice", "personal")
    if adj and adj not in _TONE_WORDS and adj not in _OCCASION_ADJ and adj not in plain:
        return None  # "write a cover letter", "a complaint letter": not a personal letter
    rest = m.group("rest")
    if m.group("kind").lower() == "note" and not re.match(r"\s*(?:to|for)\b", rest, re.I):
        return None  # "write a note about the meeting" is a note for the user's notes
    head, notes = _split_notes(rest)
    # "a letter for my dad?": the request's own punctuation goes; the notes are the user's
    # words and stay whole, down to a lone "." (stripping before the split ate them).
    head = re.sub(r"[\s?!.]+$", "", head)
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
    if not occasion and adj in _OCCASION_ADJ:
        occasion.append(_OCCASION_ADJ[adj])
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
    if len(words) == 1 and words[0].lower() in _KINSHIP:
        return words[0].title()  # "to mum" → "Mum"
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
    on_letter = bool(target and "letter" in target.lower())
    # "check my mail", "check: am I being unreasonable?" belong elsewhere: a plain "check"
    # needs its object ("check my letter", "check this: …", "check it" with a letter shown).
    if plain_check and not (
        on_letter or (target and body) or (target and focus(ctx).on(_LETTER_TOOLS))
    ):
        return None
    if body and body.strip():
        return [PlannedCall("proofread_letter", {"text": body.strip()})]
    args = {"letter_id": int(m.group("id"))} if m.group("id") else {}
    return [PlannedCall("proofread_letter", args)]


# The tools whose reply puts a letter in focus, so "make it warmer" means that letter.
_LETTER_TOOLS = frozenset(
    {"write_letter", "revise_letter", "show_letter", "proofread_letter", "star_letter"}
)
_REVISE = re.compile(
    _POLITE
    + r"(?:(?P<make>make)\s+(?:it|the letter|my letter|that|this|"
    + _LETTER_ID
    + r")\s+(?P<how>.+)|(?P<other>(?:also\s+)?(?:add|mention|include|say)(?:\s+that\b|\s*:"
    r"|\s+to the letter\b).+|(?:add|mention|include)\b.+\bto the letter\b.*|change the (?:closing|"
    r"sign[- ]?off|ending)\b.*|sign it\b.+|end it with\b.+|(?:please\s+)?(?:shorten|shorter)"
    r"(?: it)?))$",
    re.IGNORECASE | re.DOTALL,
)
# "add that to my notes" / "add milk to the shopping list" belong to other skills.
_OTHER_LISTS = re.compile(
    r"\b(?:to|in|on|into) (?:my|the) (?:notes?|list|lists|shopping|calendar|reminders?|"
    r"to-?do|todos?|diary|agenda)\b|\bas an? (?:reminder|note|task|event)\b"
    # "add that to what you know about me": the user's memory, not a letter.
    r"|\b(?:to|in|into)\s+(?:your|what\s+you|the\s+things?\s+you)\b|\babout\s+me\b"
    r"|\b(?:remember|memory|memories)\b",
    re.IGNORECASE,
)


@intent("letters.revise", priority=60)
def revise(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _REVISE.match(text.strip())
    if not m:
        return None
    explicit = bool(
        re.search(r"\b(?:the|my|this|that) letter\b", text, re.IGNORECASE) or m.group("id")
    )
    if m.group("make"):
        instruction = "make it " + m.group("how").strip()
        if understand(instruction).kind == "other" and not explicit:
            return None  # "make it 5pm" is about something else
    else:
        instruction = m.group("other").strip()
        if _OTHER_LISTS.search(instruction):
            return None
        if re.match(r"^(?:please\s+)?(?:shorten|shorter)", instruction, re.IGNORECASE):
            instruction = "make it shorter"
    if not explicit and not _letter_in_focus(instruction, ctx):
        return None
    args: dict[str, object] = {"instruction": instruction}
    if m.group("id"):
        args["letter_id"] = int(m.group("id"))
    return [PlannedCall("revise_letter", args)]


def _letter_in_focus(instruction: str, ctx: SkillContext) -> bool:
    """ "make it warmer" or "add that …" means a letter only while one is in focus.

    Before the companion has replied at all nothing else can be meant by a letter's own
    changes ("warmer", "shorter", "more formal", "sign it as …"), so those still reach the
    letters skill (which says plainly when there is no letter yet); "add that …" does not.
    """
    now = focus(ctx)
    if now.on(_LETTER_TOOLS):
        return True
    return not now.replied and understand(instruction).kind not in ("other", "add")


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


# An imperative ("make a book of my letters", "print my letters as a PDF"), never a wish or a
# story ("I want to make a photo book of grandpa's letters someday").
_BOOK = re.compile(
    _POLITE + r"(?:make|create|compile|put together|print|bind|turn|collect|gather)\b"
    r"(?=.*(?:\bbook\s+(?:of|from|with)\s+(?:all\s+)?(?:of\s+)?(?:my|our|the)\s+"
    r"(?:[\w-]+\s+){0,2}letters\b|\bletters?\s+(?:into|as|in)\s+(?:a|an|one)\s+"
    r"(?:[\w-]+\s+){0,2}(?:book|pdf)\b|\bletters?\s+book\b))",
    re.IGNORECASE | re.DOTALL,
)
_WISH = re.compile(r"\b(?:some ?day|one day|someday|eventually|recommend\w*)\b", re.IGNORECASE)


@intent("letters.book", priority=60)
def book(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if len(text) > 300 or not _BOOK.match(text.strip()) or _WISH.search(text):
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
