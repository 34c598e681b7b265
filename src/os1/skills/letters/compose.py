"""The deterministic composer: a decent letter from a few notes, with no model at all.

A letter is a greeting, an opening that names the occasion, a body built from the notes, a
closing line and a sign-off in the chosen tone. The same inputs always give the same letter,
and revisions ("warmer", "shorter", "add that …") work on the letter's parts, so they also
apply to a letter a model wrote or the user edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from os1.skills.letters.settings import TONES, Tone

GREETINGS: dict[str, str] = {
    "warm": "Dear {name},",
    "tender": "My dearest {name},",
    "formal": "Dear {name},",
    "playful": "Hi {name},",
    "grateful": "Dear {name},",
}
NO_NAME_GREETING: dict[str, str] = {
    "warm": "Dear friend,",
    "tender": "My dearest,",
    "formal": "To whom it may concern,",
    "playful": "Hi there,",
    "grateful": "Dear friend,",
}
SIGNOFFS: dict[str, list[str]] = {
    "warm": ["With love,", "Warmly,", "Love always,"],
    "tender": ["All my love,", "Forever yours,", "Yours, always,"],
    "formal": ["Kind regards,", "Yours sincerely,", "With best wishes,"],
    "playful": ["Hugs,", "Cheers,", "Until soon,"],
    "grateful": ["With gratitude,", "With thanks and love,", "Gratefully yours,"],
}
# "make it warmer" moves one step along this line; "more formal" one step back.
WARMTH: list[Tone] = ["formal", "grateful", "warm", "tender"]

CLOSING_BY_TONE: dict[str, str] = {
    "warm": "I'm so glad you're in my life.",
    "tender": "You mean more to me than I can ever say.",
    "formal": "Thank you for taking the time to read this.",
    "playful": "Write back soon!",
    "grateful": "Thank you, for everything.",
}
WARM_LINES = [
    "I think of you often, and always with a smile.",
    "You mean more to me than I can ever say.",
    "Never doubt how much you are loved.",
]

# (words in the occasion, opening, closing): the first row whose words appear wins.
OCCASIONS: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("our anniversary",),
        "I've been thinking about {occ}, and about everything our years together have given me.",
        "Here's to all the years still ahead of us.",
    ),
    (
        ("anniversary",),
        "I couldn't let {occ} pass without writing to you.",
        "Here's to many more happy years.",
    ),
    (
        ("birthday",),
        "I couldn't let {occ} pass without writing to you.",
        "I hope this year brings you everything you wish for.",
    ),
    (
        ("wedding", "engagement", "marriage"),
        "I've been thinking about {occ}, and I wanted to put a few things into words.",
        "I wish you every happiness, today and always.",
    ),
    (("thank", "gratitude", "grateful"), "I wanted to write and {thank}.", "Thank you, truly."),
    (
        ("sorry", "apolog", "forgive"),
        "I owe you an apology, and I wanted to say it properly, in writing.",
        "I hope you can forgive me.",
    ),
    (
        ("miss", "far away", "apart", "distance"),
        "I miss you, and writing to you feels like the next best thing to being with you.",
        "I can't wait to see you again.",
    ),
    (
        ("congratulat", "graduation", "promotion", "new job"),
        "Congratulations! I had to write and tell you how happy I am for you.",
        "I'm so proud of you.",
    ),
    (
        ("get well", "sick", "ill", "hospital", "surgery", "recover"),
        "I was so sorry to hear you're unwell, and you've been in my thoughts.",
        "Get well soon; I'm thinking of you.",
    ),
    (
        ("loss", "passing", "passed away", "condolence", "funeral", "grief"),
        "I was so sorry to hear about {occ}. You've been in my thoughts.",
        "I'm here for you, whenever you need me.",
    ),
    (
        ("goodbye", "farewell", "leaving", "retire"),
        "I wanted to write before {occ}, while the words are still fresh.",
        "Wherever you go next, you take my best wishes with you.",
    ),
]
DEFAULT_OPENING = "I've been thinking about {occ}, and I wanted to put a few things into words."
FORMAL_OPENING = "I am writing to you about {occ}."
NO_OCCASION_OPENING = "I've been meaning to write to you for a while."

# Notes that read as noun phrases ("our trip to Lisbon") are framed by one of these in turn.
NOUN_FRAMES = [
    "I keep thinking about {np}.",
    "I'll never forget {np}.",
    "I treasure {np}.",
    "I often think of {np}.",
]
_CLAUSE_WORDS = frozenset(
    """i i'm i've i'd i'll you you're you've you'd we we're we've he she they it it's there
    thank thanks please let let's remember is are was were am be been have has had do does did
    will would can could should shall may might must love loved loves miss missed make made
    makes know knew think thought feel felt want wanted hope hoped wish wished need needed
    remember remembered see saw seen said say takes took give gave gives mean means meant
    always never when whenever if because since""".split()
)
_MAIN_VERBS = frozenset(
    """is are was were am has have had will would can could should made makes meant means
    changed taught gave feels felt looks looked can't cannot won't don't doesn't didn't isn't
    wasn't aren't weren't haven't hasn't couldn't wouldn't do does did loves loved misses missed
    wants wanted needs needed says said goes went comes came seems seemed owes owed""".split()
)
_PRONOUNS = frozenset("i you we he she they who that which".split())
_LOWER_LEAD = frozenset("the a an our my your his her their that this those these some".split())
SENTENCES_PER_PARAGRAPH = 3


@dataclass(frozen=True)
class LetterRequest:
    """What the user asked for: who writes to whom, about what, with which notes."""

    recipient: str = ""
    sender: str = ""
    occasion: str = ""
    notes: str = ""
    tone: Tone = "warm"


@dataclass
class Parts:
    """A letter taken apart: greeting, body paragraphs, sign-off and signature."""

    greeting: str = ""
    paragraphs: list[str] = field(default_factory=list)
    signoff: str = ""
    signature: str = ""

    def text(self) -> str:
        blocks = [self.greeting] if self.greeting else []
        blocks += [p for p in self.paragraphs if p.strip()]
        ending = "\n".join(x for x in (self.signoff, self.signature) if x)
        if ending:
            blocks.append(ending)
        return "\n\n".join(blocks) + "\n"


def compose(request: LetterRequest) -> str:
    """The letter, built from the request alone (deterministic)."""
    recipient = request.recipient.strip()
    greeting = greeting_for(recipient, request.tone)
    occasion = request.occasion.strip().rstrip(".!")
    occasion = pronouns_to_you(to_second_person(occasion, recipient)) if recipient else occasion
    opening, closing = occasion_lines(occasion, request.tone)
    notes = to_second_person(request.notes, recipient)
    if recipient:
        notes = "\n".join(pronouns_to_you(note) for note in split_notes(notes))
    sentences = note_sentences(notes)
    paragraphs = [opening]
    for start in range(0, len(sentences), SENTENCES_PER_PARAGRAPH):
        paragraphs.append(" ".join(sentences[start : start + SENTENCES_PER_PARAGRAPH]))
    paragraphs.append(closing)
    return Parts(
        greeting=greeting,
        paragraphs=paragraphs,
        signoff=SIGNOFFS[request.tone][0],
        signature=request.sender.strip(),
    ).text()


def greeting_for(recipient: str, tone: Tone) -> str:
    if not recipient:
        return NO_NAME_GREETING[tone]
    if recipient.lower().startswith("my "):  # "my love": the greeting is the name itself
        return recipient[0].upper() + recipient[1:] + ","
    return GREETINGS[tone].format(name=recipient)


def occasion_lines(occasion: str, tone: Tone) -> tuple[str, str]:
    """The opening and closing sentences that suit the occasion and the tone."""
    closing = CLOSING_BY_TONE[tone]
    if not occasion:
        return NO_OCCASION_OPENING, closing
    lowered = occasion.lower()
    for words, opening, occ_closing in OCCASIONS:
        if any(re.search(r"\b" + re.escape(w), lowered) for w in words):
            thank = _thank_phrase(occasion)
            return opening.format(occ=occasion, thank=thank), occ_closing
    template = FORMAL_OPENING if tone == "formal" else DEFAULT_OPENING
    return template.format(occ=occasion), closing


def _thank_phrase(occasion: str) -> str:
    """ "thanking her for the flowers" / "thanks for the flowers" → "thank you for the flowers"."""
    match = re.search(r"\bfor\b(.*)$", occasion, flags=re.IGNORECASE)
    return "thank you" + (f" for{match.group(1)}" if match else "")


def note_sentences(notes: str) -> list[str]:
    """Each note as a sentence: clauses kept as written, noun phrases framed."""
    sentences: list[str] = []
    frame = 0
    for note in split_notes(notes):
        if _is_clause(note):
            sentences.append(_sentence(note))
        else:
            sentences.append(NOUN_FRAMES[frame % len(NOUN_FRAMES)].format(np=_lower_lead(note)))
            frame += 1
    return sentences


def split_notes(notes: str) -> list[str]:
    """Notes as separate items: one per line, bullet, semicolon or sentence."""
    items: list[str] = []
    for line in re.split(r"[\n;•]+", notes):
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line).strip()
        for piece in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line):
            piece = piece.strip().strip(",").strip()
            if re.search(r"\w", piece):
                items.append(" ".join(piece.split()))
    return items


def _is_clause(note: str) -> bool:
    words = re.findall(r"[a-z']+", note.lower().replace("’", "'"))
    if not words:
        return False
    if words[0] in _LOWER_LEAD:
        # "our trip to Lisbon was magical" is a sentence; "the first time we met" is a noun
        # phrase whose verb belongs to a relative clause (it follows a pronoun).
        return any(
            w in _MAIN_VERBS and words[i - 1] not in _PRONOUNS for i, w in enumerate(words) if i
        )
    return any(w in _CLAUSE_WORDS for w in words) or any(
        len(w) > 4 and w.endswith("ed") for w in words
    )


def _sentence(note: str) -> str:
    note = note.strip()
    note = note[0].upper() + note[1:]
    return note if note[-1] in ".!?" else note.rstrip(",:;") + "."


def _lower_lead(note: str) -> str:
    note = note.rstrip(".!?,;: ")
    first, _, rest = note.partition(" ")
    if first.lower() in _LOWER_LEAD:
        first = first.lower()
    return f"{first} {rest}".strip()


_YOU_FORMS = {
    "he's": "you're",
    "she's": "you're",
    "he'll": "you'll",
    "she'll": "you'll",
    "he'd": "you'd",
    "she'd": "you'd",
    "himself": "yourself",
    "herself": "yourself",
    "him": "you",
    "his": "your",
}
_VERB_FORMS = {
    "is": "are",
    "was": "were",
    "has": "have",
    "does": "do",
    "isn't": "aren't",
    "wasn't": "weren't",
    "hasn't": "haven't",
    "doesn't": "don't",
}
_OTHER_PERSON = re.compile(
    r"\b(?:my|our|his|her|their)\s+(?:mum|mom|mother|dad|father|sister|brother|son|daughter|"
    r"friend|boss|wife|husband|partner|grandma|grandpa|aunt|uncle|cousin|kids|children|boy|"
    r"girl|baby|colleague|neighbou?r)\b|(?<=\w )(?!I\b)[A-Z][a-z]+",
)
# Capitalised words that start a note without naming anyone.
_STARTERS = frozenset(
    """she he her his him the my our i it we they this that there when remember thank thanks
    a an what how every sometimes always never one all if because since and but so""".split()
)
_NOT_VERBS = frozenset("always never still often just really also too so and or but".split())


def pronouns_to_you(text: str) -> str:
    """A note about the recipient ("she owes me a pint", "her terrible puns") speaks to them
    in their own letter ("you owe me a pint", "your terrible puns")."""
    first = re.match(r"\s*([A-Z][a-z]+)", text)
    named = first is not None and first.group(1).lower() not in _STARTERS
    if named or _OTHER_PERSON.search(text) or re.search(r"\byou(?:r|'re|’re)?\b", text, re.I):
        # It already speaks to them, or names someone else: "he" and "she" are another person.
        return text
    text = re.sub(
        r"\b(s?he)(\s+)(?:(always|never|still|often|just|really)\s+)?([\w'’]+)",
        _subject,
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(
        r"\b(?:he's|she's|he'll|she'll|he'd|she'd|himself|herself|him|his)\b",
        lambda m: _cased(m.group(0), _YOU_FORMS[m.group(0).lower()]),
        text,
        flags=re.IGNORECASE,
    )
    # "her" is an object at the end or before a preposition, else a possessive.
    text = re.sub(
        r"\b[Hh]er\b(?=\s*(?:$|[.,;!?]|\s(?:and|so|too|more|very|again|for|to|with)\b))",
        lambda m: _cased(m.group(0), "you"),
        text,
    )
    return re.sub(r"\b[Hh]er\b", lambda m: _cased(m.group(0), "your"), text)


def _subject(m: re.Match[str]) -> str:
    """ "she owes" → "you owe", "he is" → "you are", "she always laughs" → "you always laugh"."""
    pronoun, space, adverb, verb = m.group(1), m.group(2), m.group(3), m.group(4)
    lowered = verb.lower()
    if lowered in _VERB_FORMS:
        verb = _VERB_FORMS[lowered]
    elif lowered in _NOT_VERBS or "'" in lowered or "’" in lowered:
        pass
    elif re.search(r"[^aeiou]ies$", lowered):
        verb = verb[:-3] + "y"
    elif re.search(r"(?:ch|sh|ss|x|z|o)es$", lowered):
        verb = verb[:-2]
    elif lowered.endswith("s") and not lowered.endswith("ss") and len(lowered) > 2:
        verb = verb[:-1]
    middle = f"{adverb} " if adverb else ""
    return f"{_cased(pronoun, 'you')}{space}{middle}{verb}"


def _cased(original: str, replacement: str) -> str:
    return replacement[0].upper() + replacement[1:] if original[0].isupper() else replacement


def to_second_person(text: str, recipient: str) -> str:
    """Notes that speak *about* the recipient speak *to* them in their own letter."""
    name = recipient.strip()
    if not name or not text:
        return text
    n = re.escape(name)
    text = re.sub(rf"\b{n}['’]s\b", "your", text)
    # Only where the name is an object ("I love Chris", "with Chris"): a subject would need
    # its verb changed too ("Chris makes" → "you make"), which we leave as written.
    objects = (
        r"to|for|with|about|of|love|loved|miss|missed|thank|met|meet|marry|married|"
        r"see|saw|hug|kiss|call|know|knew|without|beside"
    )
    return re.sub(rf"\b({objects})\s+{n}\b", r"\1 you", text, flags=re.IGNORECASE)


# -- taking a letter apart ---------------------------------------------------------------

_GREETING = re.compile(
    r"^(?:dear|my|hi|hello|hey|dearest|to|darling|sweet)\b.{0,60}[,:!]?$", re.IGNORECASE
)
_SIGNOFF = re.compile(r"^[^.!?\n]{2,40},$")


def split_letter(text: str) -> Parts:
    """Find the greeting, the paragraphs, the sign-off and the signature of any letter."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    parts = Parts()
    if blocks:
        first_line, _, rest = blocks[0].partition("\n")
        if len(first_line) <= 70 and (
            first_line.rstrip().endswith((",", ":")) or _GREETING.match(first_line.strip())
        ):
            parts.greeting = first_line.strip()
            blocks[0] = rest.strip()
            if not blocks[0]:
                blocks.pop(0)
    if blocks:
        lines = blocks[-1].split("\n")
        for i, line in enumerate(lines):
            tail = lines[i + 1 :]
            if _SIGNOFF.match(line.strip()) and len(tail) <= 2 and all(len(t) <= 40 for t in tail):
                parts.signoff = line.strip()
                parts.signature = "\n".join(t.strip() for t in tail)
                before = "\n".join(lines[:i]).strip()
                blocks[-1] = before
                if not before:
                    blocks.pop()
                break
    parts.paragraphs = [" ".join(b.split()) if "\n" not in b else b for b in blocks]
    return parts


def sentences_of(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", paragraph.strip()) if s]


# -- deterministic revisions -------------------------------------------------------------


def warmer(text: str, tone: Tone, recipient: str) -> tuple[str, Tone]:
    """One step warmer: a fonder greeting and sign-off, and a warm line before the end."""
    new_tone = step_tone(tone, +1)
    parts = split_letter(text)
    if recipient:
        parts.greeting = greeting_for(recipient, new_tone)
    parts.signoff = SIGNOFFS[new_tone][0] if parts.signoff or parts.signature else ""
    body = " ".join(parts.paragraphs)
    line = next((w for w in WARM_LINES if w not in body), None)
    if line is not None:
        if parts.paragraphs:
            parts.paragraphs[-1] = f"{parts.paragraphs[-1]} {line}".strip()
        else:
            parts.paragraphs.append(line)
    return parts.text(), new_tone


def more_formal(text: str, tone: Tone, recipient: str) -> tuple[str, Tone]:
    new_tone = step_tone(tone, -1)
    parts = split_letter(text)
    if recipient:
        parts.greeting = greeting_for(recipient, new_tone)
    if parts.signoff or parts.signature:
        parts.signoff = SIGNOFFS[new_tone][0]
    parts.paragraphs = [
        " ".join(s for s in sentences_of(p) if s not in WARM_LINES) for p in parts.paragraphs
    ]
    return parts.text(), new_tone


def shorter(text: str) -> str:
    """About a third shorter: at most two sentences a paragraph, the middle ones go first."""
    parts = split_letter(text)
    paragraphs = parts.paragraphs
    if len(paragraphs) > 3:
        # keep the opening and the closing, and the body's first paragraphs
        keep = max(1, (len(paragraphs) - 2) * 2 // 3)
        paragraphs = [paragraphs[0], *paragraphs[1 : 1 + keep], paragraphs[-1]]
    trimmed = []
    for p in paragraphs:
        ss = sentences_of(p)
        trimmed.append(" ".join(ss[:2] if len(ss) > 2 else ss))
    parts.paragraphs = trimmed
    result = parts.text()
    if len(result) >= len(text.rstrip()) + 1 and len(parts.paragraphs) > 1:
        # nothing to trim by sentences: drop the paragraph before the closing one
        parts.paragraphs.pop(-2)
        result = parts.text()
    return result


def add_line(text: str, addition: str, recipient: str = "") -> str:
    """Add what the user asked to say, as its own sentence, before the closing paragraph."""
    addition = pronouns_to_you(to_second_person(addition.strip(), recipient))
    addition = re.sub(r"^(?:that|how)\s+", "", addition, flags=re.IGNORECASE)
    if not re.search(r"\w", addition):
        return text
    sentence = (
        _sentence(addition)
        if _is_clause(addition)
        else (NOUN_FRAMES[0].format(np=_lower_lead(addition)))
    )
    parts = split_letter(text)
    if len(parts.paragraphs) >= 2:
        parts.paragraphs.insert(len(parts.paragraphs) - 1, sentence)
    else:
        parts.paragraphs.append(sentence)
    return parts.text()


def change_closing(text: str, tone: Tone, new: str | None = None) -> str:
    """Use the sign-off the user named, or the next one that suits the tone."""
    parts = split_letter(text)
    if new:
        new = new.strip().strip('"“”').rstrip(".")
        parts.signoff = new if new.endswith((",", "!")) else new + ","
    else:
        options = SIGNOFFS[tone]
        now = parts.signoff
        parts.signoff = (
            options[(options.index(now) + 1) % len(options)]
            if now in options
            else (options[0] if now != options[0] else options[1])
        )
    return parts.text()


def sign_as(text: str, name: str) -> str:
    parts = split_letter(text)
    parts.signature = name.strip()
    if not parts.signoff:
        parts.signoff = SIGNOFFS["warm"][0]
    return parts.text()


def step_tone(tone: Tone, direction: int) -> Tone:
    if tone not in WARMTH:  # playful: warmer is warm, more formal is formal
        return "warm" if direction > 0 else "formal"
    index = min(max(WARMTH.index(tone) + direction, 0), len(WARMTH) - 1)
    return WARMTH[index]


def with_tone(request: LetterRequest, tone: str) -> LetterRequest:
    return replace(request, tone=tone if tone in TONES else "warm")  # type: ignore[arg-type]
