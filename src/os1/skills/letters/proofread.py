"""Proofreading without a model: an offline spelling checker and plain grammar and style rules.

Each suggestion says where it is (character offsets into the text), what was found, what
could replace it, and why, in a few words. Names are left alone: a word the letter itself
writes with a capital letter where no sentence starts (or in its greeting or signature) is
taken for a proper noun, wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any, Literal

from spellchecker import SpellChecker

Kind = Literal["spelling", "grammar", "punctuation", "style"]

# Proofreading cost grows with the text; a letter is far shorter than this.
MAX_PROOFREAD_CHARS = 50_000
# Edit-distance-2 candidates are slow (~0.1 s a word): only the first few unknown words get them.
DEEP_CORRECTIONS = 12
MAX_SUGGESTIONS = 200
LONG_SENTENCE_WORDS = 40


@dataclass(frozen=True)
class Suggestion:
    start: int
    end: int
    kind: Kind
    found: str
    replacement: str | None
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def proofread(text: str, extra_words: Iterable[str] = ()) -> list[Suggestion]:
    """All suggestions for the text, in order of position (pure and deterministic)."""
    if len(text) > MAX_PROOFREAD_CHARS:
        text = text[:MAX_PROOFREAD_CHARS]
    found: list[Suggestion] = []
    for rule in RULES:
        found += rule(text)
    # A rule knows more than the dictionary: "alot" is "a lot", not "lot".
    ruled = {(s.start, s.end) for s in found}
    found += [s for s in _spelling(text, extra_words) if (s.start, s.end) not in ruled]
    unique = {(s.start, s.end, s.kind, s.replacement): s for s in found}
    ordered = sorted(_merge_capitals(list(unique.values())), key=lambda s: (s.start, s.end))
    return ordered[:MAX_SUGGESTIONS]


def _merge_capitals(found: list[Suggestion]) -> list[Suggestion]:
    """A word that is both misspelt and needs its capital gets one suggestion doing both."""
    capitals = {s.start: s for s in found if s.explanation == _CAPITAL}
    merged: list[Suggestion] = []
    used: set[int] = set()
    for s in found:
        cap = capitals.get(s.start)
        if s.explanation == _CAPITAL or cap is None or not s.replacement:
            merged.append(s)
            continue
        used.add(s.start)
        merged.append(
            replace(
                s,
                replacement=s.replacement[0].upper() + s.replacement[1:],
                explanation=f"{s.explanation} {_CAPITAL}",
            )
        )
    return [s for s in merged if not (s.explanation == _CAPITAL and s.start in used)]


def apply(text: str, suggestions: Iterable[Suggestion]) -> str:
    """The text with every suggested replacement made (overlapping ones: the first wins)."""
    chosen: list[Suggestion] = []
    last_end = -1
    for s in sorted(suggestions, key=lambda s: (s.start, s.end)):
        if s.replacement is None or s.start < last_end:
            continue
        chosen.append(s)
        last_end = s.end
    for s in reversed(chosen):
        text = text[: s.start] + s.replacement + text[s.end :]  # type: ignore[operator]
    return text


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


# -- spelling ----------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:['’][A-Za-z]+)*")
# Words a US dictionary lacks that a letter often has.
_ALSO_KNOWN = frozenset(
    """okay ok xoxo cafe café hmm haha hahaha mum mummy grandma grandpa granddad nan nana
    sweetheart darling lol email online""".split()
)
# British spellings are not mistakes: try the US form too.
_VARIANTS = [
    ("our", "or"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("ising", "izing"),
    ("isation", "ization"),
    ("yse", "yze"),
    ("tre", "ter"),
    ("ence", "ense"),
    ("lled", "led"),
    ("lling", "ling"),
    ("ogue", "og"),
    ("ae", "e"),
    ("oe", "e"),
    ("ours", "ors"),
    ("ourite", "orite"),
    ("eable", "able"),
    ("mme", "m"),
]


@lru_cache(maxsize=1)
def _checker() -> SpellChecker:
    # The English word list ships inside the pyspellchecker package: no download.
    return SpellChecker(language="en", distance=1)


def _spelling(text: str, extra_words: Iterable[str]) -> list[Suggestion]:
    spell = _checker()
    matches = list(_WORD.finditer(text))
    names = proper_nouns(text, matches)
    allowed = {w.lower() for w in extra_words} | _ALSO_KNOWN
    candidates = {
        m.group(0).replace("’", "'").lower()
        for m in matches
        if _worth_checking(m.group(0), names, allowed)
    }
    unknown = {w for w in spell.unknown(candidates) if not _known_variant(w, spell)}
    out: list[Suggestion] = []
    corrections: dict[str, str | None] = {}
    for m in matches:
        word = m.group(0)
        key = word.replace("’", "'").lower()
        if key not in unknown:
            continue
        if key not in corrections:
            # A capitalised word far from any known word is more likely a name than a typo,
            # so only a one-letter slip ("Teh") is suggested for it.
            deep = len(corrections) < DEEP_CORRECTIONS and not word[0].isupper()
            corrections[key] = _correct(key, spell, deep=deep)
        fix = corrections[key]
        if fix is None and word[0].isupper():
            continue  # capitalised and like no known word: most likely a name
        if fix is not None and word[0].isupper():
            fix = fix[0].upper() + fix[1:]
        explanation = (
            f'"{word}" is not in the dictionary; did you mean "{fix}"?'
            if fix
            else f'"{word}" is not in the dictionary; check its spelling.'
        )
        if word[0].isupper():
            explanation += " (If it is a name, ignore this.)"
        out.append(Suggestion(m.start(), m.end(), "spelling", word, fix, explanation))
    return out


def proper_nouns(text: str, matches: list[re.Match[str]] | None = None) -> set[str]:
    """Words the text itself treats as names: capitalised where no sentence starts."""
    names: set[str] = set()
    for m in matches if matches is not None else _WORD.finditer(text):
        word = m.group(0)
        if not word[0].isupper() or word == "I" or word.isupper() and len(word) > 1:
            continue
        before = text[: m.start()].rstrip(" \t\"'“‘(")
        starts_sentence = not before or before[-1] in ".!?:\n"
        if not starts_sentence:
            names.add(word.lower())
    # The greeting ("Dear Chris,") and the signature name the people in the letter.
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if lines:
        greeting = re.match(
            r"^(?:dear|dearest|my dearest|my dear|hi|hello|hey)\s+(.{1,60}?)[,!:]?$",
            lines[0],
            re.IGNORECASE,
        )
        if greeting:
            names.update(w.lower() for w in _WORD.findall(greeting.group(1)))
        signature = lines[-1]
        if (
            len(lines) >= 3
            and lines[-2].endswith(",")
            and len(signature.split()) <= 4
            and all(w[0].isupper() for w in signature.split())
            and not signature.endswith((".", "!", "?"))
        ):
            names.update(w.lower() for w in _WORD.findall(signature))
    return names


def _worth_checking(word: str, names: set[str], allowed: set[str]) -> bool:
    lowered = word.replace("’", "'").lower()
    if len(word) < 2 or lowered in names or lowered in allowed:
        return False
    if word.isupper():  # an acronym: NASA, BBC
        return False
    if any(c.isupper() for c in word[1:]):  # McDonald, iPhone
        return False
    return True


def _known_variant(word: str, spell: SpellChecker) -> bool:
    stem = word.split("'")[0]
    if stem != word and not spell.unknown([stem]):
        return True  # "Chris's", "dog's": the possessive of a known word
    for uk, us in _VARIANTS:
        if uk in stem and not spell.unknown([stem.replace(uk, us)]):
            return True
    return False


def _correct(word: str, spell: SpellChecker, *, deep: bool) -> str | None:
    options = spell.known(spell.edit_distance_1(word))
    if not options and deep and len(word) <= 20:
        options = spell.known(spell.edit_distance_2(word))
    if not options:
        return None
    # The most common word wins; ties go to the alphabetically first, so it is deterministic.
    return min(options, key=lambda w: (-spell.word_usage_frequency(w), w))


# -- grammar and style rules -------------------------------------------------------------


def _repeated_words(text: str) -> list[Suggestion]:
    out = []
    for m in re.finditer(r"\b([A-Za-z']+)(\s+)(\1)\b", text, flags=re.IGNORECASE):
        word = m.group(1).lower()
        if word in ("had", "that", "is", "bye", "very", "ha", "so", "really", "no", "yes", "far"):
            continue  # "had had", "that that", "bye bye", "very very": often meant
        out.append(
            Suggestion(
                m.start(),
                m.end(),
                "grammar",
                m.group(0),
                m.group(1),
                f'"{m.group(1)}" is repeated.',
            )
        )
    return out


# Words whose first letter misleads: an hour, a university.
_AN_EXCEPTIONS = ("hour", "honest", "honour", "honor", "heir", "herb")
_A_EXCEPTIONS = ("uni", "use", "usu", "usa", "ute", "uro", "eu", "one", "once", "ewe", "ufo")


def _a_an(text: str) -> list[Suggestion]:
    out = []
    for m in re.finditer(r"\b([Aa]n?)\s+([A-Za-z][\w'’-]*)", text):
        article, word = m.group(1), m.group(2)
        lowered = word.lower()
        if word.isupper() and len(word) > 1:
            continue  # an FBI agent, a NATO plan: depends on how it is said
        vowel_sound = lowered[0] in "aeiou"
        if lowered.startswith(_AN_EXCEPTIONS):
            vowel_sound = True
        elif lowered.startswith(_A_EXCEPTIONS):
            vowel_sound = False
        wants = "an" if vowel_sound else "a"
        if article.lower() == wants:
            continue
        fix = wants.capitalize() if article[0].isupper() else wants
        why = (
            'Use "an" before a vowel sound.'
            if wants == "an"
            else 'Use "a" before a consonant sound.'
        )
        out.append(
            Suggestion(m.start(1), m.end(1), "grammar", article, fix, f'"{article} {word}": {why}')
        )
    return out


_CAPITAL = "A new sentence starts with a capital letter."
_ABBREVIATIONS = ("e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "vs", "st", "no", "approx", "p.s")


def _capital_after_stop(text: str) -> list[Suggestion]:
    out = []
    for m in re.finditer(r"([.!?])([ \t]+|\n+)([a-z])", text):
        start = m.start(1)
        if text[max(0, start - 2) : start + 1] == "...":
            continue  # an ellipsis may go on in lower case
        prev_word = re.search(r"([\w.]+)$", text[max(0, start - 12) : start])
        if prev_word and prev_word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        letter = m.group(3)
        out.append(Suggestion(m.start(3), m.end(3), "grammar", letter, letter.upper(), _CAPITAL))
    return out


def _lowercase_i(text: str) -> list[Suggestion]:
    return [
        Suggestion(
            m.start(),
            m.end(),
            "grammar",
            m.group(0),
            "I" + m.group(0)[1:],
            'The word "I" is always a capital letter.',
        )
        for m in re.finditer(r"(?<![\w'’-])i(?:['’](?:m|ve|d|ll))?(?![\w'’-])", text)
    ]


def _double_spaces(text: str) -> list[Suggestion]:
    return [
        Suggestion(
            m.start(),
            m.end(),
            "punctuation",
            m.group(0),
            " ",
            "Two or more spaces between words; one is enough.",
        )
        for m in re.finditer(r"(?<=\S)  +(?=\S)", text)
    ]


def _space_before_punctuation(text: str) -> list[Suggestion]:
    return [
        Suggestion(
            m.start(),
            m.end(),
            "punctuation",
            m.group(0),
            m.group(1),
            "No space goes before this punctuation mark.",
        )
        for m in re.finditer(r"(?<=\w)[ \t]+([,.;:!?])(?=\s|$)", text)
    ]


def _long_sentences(text: str) -> list[Suggestion]:
    out = []
    for m in re.finditer(r"[^.!?\n]+(?:[.!?]+|$)", text):
        words = m.group(0).split()
        if len(words) > LONG_SENTENCE_WORDS:
            start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            out.append(
                Suggestion(
                    start,
                    m.end(),
                    "style",
                    m.group(0).strip(),
                    None,
                    f"This sentence has {len(words)} words; splitting it in two "
                    "would make it easier to read.",
                )
            )
    return out


# (pattern, replacement of group 1, explanation): the commonest confusions, only where the
# next word makes the mistake certain.
_CONFUSIONS: list[tuple[str, str, str]] = [
    (
        r"\b(its)\s+(?:a|an|the|been|not|going|so|very|too|just|really|always|never|okay|ok|"
        r"time|true|late|hard|over|all)\b",
        "it's",
        '"it\'s" means "it is" or "it has"; "its" means "belonging to it".',
    ),
    (r"\b(it['’]s)\s+own\b", "its", '"its" (no apostrophe) means "belonging to it".'),
    (
        r"\b(your)\s+(?:welcome|right|wrong|going|not|so|very|being|always|never|amazing|the|a|"
        r"sure|kidding|too|doing|getting|coming|making|gonna)\b",
        "you're",
        '"you\'re" means "you are"; "your" means "belonging to you".',
    ),
    (
        r"\b(you['’]re)\s+(?:own|welcome\s+to\s+my|name|mother|father|family|house|home|car|"
        r"friend|friends|birthday|smile|letter|heart|life)\b",
        "your",
        '"your" means "belonging to you"; "you\'re" means "you are".',
    ),
    (
        r"\b(their)\s+(?:is|are|was|were|isn['’]t|aren['’]t)\b",
        "there",
        '"there is/are" points to something; "their" means "belonging to them".',
    ),
    (r"\b(there|they['’]re)\s+own\b", "their", '"their own": "their" means "belonging to them".'),
    (
        r"\b(?:more|less|better|worse|rather|other|bigger|smaller|older|younger|happier|"
        r"longer|shorter|fewer|greater|sooner|later)\s+(then)\b",
        "than",
        'Comparisons use "than"; "then" is about time.',
    ),
    (
        r"\b(?:could|should|would|must|might)\s+(of)\b",
        "have",
        '"could have" (could\'ve) is right; "could of" is how it sounds, not how it is written.',
    ),
    (r"\b(alot)\b", "a lot", '"a lot" is two words.'),
    (
        r"\b(to)\s+(?:much|many|late|early|soon)\b",
        "too",
        '"too" means "more than enough" or "also".',
    ),
    (
        r"\b(loose)\s+(?:you|him|her|them|it|my|your|touch)\b",
        "lose",
        '"lose" is to misplace; "loose" is not tight.',
    ),
    (r"\b(wont)\b", "won't", '"won\'t" (will not) needs its apostrophe.'),
]


def _confusions(text: str) -> list[Suggestion]:
    out = []
    for pattern, fix, why in _CONFUSIONS:
        for m in re.finditer(pattern, text, flags=re.IGNORECASE):
            found = m.group(1)
            replacement = fix[0].upper() + fix[1:] if found[0].isupper() else fix
            out.append(Suggestion(m.start(1), m.end(1), "grammar", found, replacement, why))
    return out


RULES = [
    _repeated_words,
    _a_an,
    _capital_after_stop,
    _lowercase_i,
    _double_spaces,
    _space_before_punctuation,
    _long_sentences,
    _confusions,
]


def describe(text: str, suggestions: list[Suggestion], *, limit: int = 30) -> str:
    """The suggestions as lines a person reads: where, what, and why."""
    if not suggestions:
        return "I read it through and found nothing to correct."
    count = len(suggestions)
    lines = [f"{count} suggestion{'s' if count != 1 else ''}:"]
    for n, s in enumerate(suggestions[:limit], start=1):
        line, col = line_col(text, s.start)
        found = s.found if len(s.found) <= 40 else s.found[:37] + "…"
        change = f'"{found}" → "{s.replacement}"' if s.replacement is not None else f'"{found}"'
        lines.append(f"{n}. line {line}, col {col}, {s.kind}: {change}. {s.explanation}")
    if count > limit:
        lines.append(f"… and {count - limit} more.")
    return "\n".join(lines)
