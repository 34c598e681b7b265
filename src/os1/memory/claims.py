"""Typed claims read from the dependency parse of a message: who (the user, someone in his
life, the companion), what relation, what value, when, how sure, said where.

The relation comes from the predicate's lemma and its preposition, object or particle, looked
up in package data (`os1/data/claim_relations.json`) — no surface patterns — so "Amy moved to
Paris", "my sister relocated to Toronto last year" and "she's based in Leeds these days" are
read by the same few rules. Changes of state ("moved to", "now", "no longer", "not
anymore") and corrections ("actually", "I meant", "it's X, not Y") mark a claim as superseding
the older one in its subject+relation slot; "he", "she" and "they" point back to the last
person of the message or of the previous turn. Anything hedged, asked, wished, reported or
conditional is not a claim: a wrong memory is worse than a missing one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from os1.language import Analysis, Token, analyze, analyzer
from os1.language.analysis import text_of

__all__ = ["Claim", "Person", "read_claims", "read_message", "sentence_of"]

Who = Literal["user", "companion", "person"]

_SUBJECT_DEPS = {"nsubj", "nsubjpass"}
_PREDICATE_DEPS = {"ROOT", "conj", "parataxis"}
_MODALS = {"would", "could", "might", "may", "should", "must", "will", "shall", "can", "'d", "'ll"}
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip


@cache
def _vocabulary() -> dict[str, Any]:
    text = (resources.files("os1") / "data" / "claim_relations.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _words(key: str) -> frozenset[str]:
    return frozenset(_vocabulary()[key])


@dataclass(frozen=True)
class Person:
    """Someone a claim is about: `key` is the memory subject ("user", "sister", "amy")."""

    key: str
    display: str  # "Amy", "my sister"
    who: Who = "person"
    gender: str = ""  # "female", "male", "plural" or "" when unknown


@dataclass(frozen=True)
class Claim:
    """One typed statement: `value` None means the slot ended ("I don't live in LA anymore")."""

    subject: Person
    relation: str
    value: str | None
    time: str | None = None
    confidence: float = 0.8
    source: str = ""  # the sentence it was read from
    supersedes: bool = False  # a change of state or a correction: replaces the slot's value
    correction: bool = False
    verb: str | None = None  # the user's own verb ("love", "adore"), told back as said
    # For an ended slot, the value it held when the user named it ("Leeds" in "I don't live
    # in Leeds anymore"): only that value ends, never whatever the slot holds now.
    ended: str | None = None

    @property
    def ends_slot(self) -> bool:
        return self.value is None


@dataclass
class _Context:
    """What a message has mentioned so far, for "he", "she", "they" and "it"."""

    people: list[Person]
    claims: list[Claim]
    carry_correction: bool = False


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


# Claims are read from a message's first this many characters.
READ_CHARS = 5_000


def read_message(text: str, previous: str | None = None) -> list[Claim]:
    """Claims in `text`, with pronouns resolved against `previous` (the turn before)."""
    return list(
        _read_message(id(analyzer()), text[:READ_CHARS], (previous or "")[:READ_CHARS])
    )


@lru_cache(maxsize=1024)
def _read_message(_analyzer: int, text: str, previous: str) -> tuple[Claim, ...]:
    # Consolidation, the bench and the model path read the same message more than once;
    # claims are immutable, so a parse is paid once per message (keyed by the analyzer in use).
    before = analyze(previous) if previous else None
    return tuple(read_claims(analyze(text), previous=before))


def read_claims(analysis: Analysis, previous: Analysis | None = None) -> list[Claim]:
    context = _Context([], [])
    if previous is not None:
        context = _read(previous, _Context([], []))[1]
    claims, _ = _read(analysis, context)
    return claims


def _read(analysis: Analysis, context: _Context) -> tuple[list[Claim], _Context]:
    found: list[Claim] = []
    for sentence in analysis.sentences():
        claims = _sentence_claims(analysis, sentence, context)
        if not claims:
            claims = _special_claims(analysis, sentence, context)
        found.extend(claims)
        context.claims.extend(claims)
    return found, context


def _sentence_claims(analysis: Analysis, sentence: list[Token], context: _Context) -> list[Claim]:
    words = [t for t in sentence if t.pos not in ("PUNCT", "SPACE")]
    if not words:
        return []
    for person in _mentions(analysis, sentence):
        _remember(context, person)
    source = text_of(sentence)
    if source.rstrip().endswith("?") or _is_question(words):
        return []
    if any(t.lemma in _words("hedges") and t.dep != "ROOT" or _hedge_root(t) for t in words):
        return []
    correction = _corrects(words) or context.carry_correction
    context.carry_correction = False
    if all(t.lemma in _words("correction_openers") for t in words):
        context.carry_correction = True  # "No. My sister is called Anna."
        return []
    # "I'm not a teacher, I'm a nurse": a denial beside a statement corrects
    negated_before = any(
        _negated(analysis, p) and not _ends(analysis, p)
        for p in sentence
        if p.pos in ("VERB", "AUX") and p.dep in ("ROOT", "conj", "ccomp", "parataxis")
    )
    claims: list[Claim] = []
    for predicate in _predicates(analysis, sentence):
        subject = _subject_of(analysis, predicate, context)
        if subject is None and _lemma(predicate) in _words("naming_verbs"):
            subject = (Person("user", "I", "user"), [])  # "Call me Bea": told, not asked
        if subject is None:
            continue
        if subject[1]:
            claims.extend(subject[1])
        person = subject[0]
        if person.who == "person":
            _remember(context, person)
        got = _predicate_claims(analysis, predicate, person, context)
        for other in _conjoined_subjects(analysis, predicate, context):
            # "My partner and I live in Leeds": the same claim for each of them
            got += [replace(c, subject=other) for c in got if c.subject == person]
        for claim in got:
            claim = replace(claim, source=source)
            if correction or (negated_before and claim.value is not None):
                claim = replace(claim, supersedes=True, correction=True)
            claims.append(claim)
    return claims


def _is_question(words: list[Token]) -> bool:
    first = words[0]
    # "Where does Amy live", "Do you like music", "Is my sister called Anna"
    return first.tag in ("WRB", "WP", "WDT") or (
        first.pos == "AUX" and len(words) > 1 and words[1].dep in _SUBJECT_DEPS
    )


def _hedge_root(t: Token) -> bool:
    return t.dep == "ROOT" and t.lemma in _words("hedges") and t.lemma not in ("hope",)


def _corrects(words: list[Token]) -> bool:
    opener = words[0].lemma in _words("correction_openers")
    meant = any(t.lemma in _words("correction_verbs") and t.dep == "ROOT" for t in words)
    return opener or meant


def _predicates(analysis: Analysis, sentence: list[Token]) -> list[Token]:
    """The clauses that assert something: the root, its coordinated verbs, and what follows
    "I meant"; never what is reported ("she says…") or wished."""
    out: list[Token] = []
    for t in sentence:
        if t.pos not in ("VERB", "AUX"):
            continue
        head = analysis.head(t)
        if t.dep == "ROOT" or (t.dep in ("conj", "parataxis") and head.i in {p.i for p in out}):
            out.append(t)
        elif t.dep == "ccomp" and head.lemma in _words("correction_verbs"):
            out.append(t)
        elif t.dep == "acl" and head.dep == "ROOT" and head.pos in ("NOUN", "PROPN"):
            # "My mum relocated to Cornwall" parsed as a noun phrase: the noun is the subject
            out.append(t)
    return out


def _children(analysis: Analysis, t: Token, *deps: str) -> list[Token]:
    return [c for c in analysis.children(t) if c.dep in deps]


def _negated(analysis: Analysis, predicate: Token) -> bool:
    return any(c.dep == "neg" or c.lemma == "never" for c in analysis.children(predicate))


def _ends(analysis: Analysis, predicate: Token) -> bool:
    """ "no longer", "not … anymore", "any more"."""
    around = [c.lower for c in analysis.children(predicate)]
    for c in analysis.children(predicate):
        around.extend(g.lower for g in analysis.children(c))
    return any(all(w in around for w in phrase) for phrase in _vocabulary()["ending_phrases"])


def _changes(analysis: Analysis, predicate: Token) -> bool:
    return _lemma(predicate) in _words("changes_of_state") or any(
        c.lower in _words("change_adverbs") for c in analysis.children(predicate)
    )


def _modal(analysis: Analysis, predicate: Token) -> bool:
    return any(c.dep == "aux" and c.lower in _MODALS for c in analysis.children(predicate))


# --------------------------------------------------------------------------------------
# Who
# --------------------------------------------------------------------------------------


def _remember(context: _Context, person: Person) -> None:
    context.people = [p for p in context.people if p.key != person.key] + [person]


def _gender(rel: str) -> str:
    last = rel.split()[-1]
    for kind in ("female", "male"):
        if last in _words(kind):
            return kind
    return "plural" if last in _words("plural_people") else ""


def _relation_noun(analysis: Analysis, noun: Token) -> str | None:
    """ "best friend", "older sister" → the relation key, when `noun` is one."""
    hyphened = _hyphenated(analysis, noun)
    if "-" in hyphened and hyphened in _words("people"):
        return hyphened  # "sister-in-law", split by the tokenizer into five tokens
    if noun.lemma not in _words("people") | _words("animals") and (
        noun.lower not in _words("people") | _words("plural_people")
    ):
        return None
    mods = [c for c in analysis.children(noun) if c.dep in ("amod", "compound")]
    if any(m.lower == "best" for m in mods):
        return f"best {noun.lower}"
    return noun.lower if noun.lower in _words("plural_people") else noun.lemma


def _hyphenated(analysis: Analysis, noun: Token) -> str:
    """The word written around `noun` without spaces: "sister-in-law"."""
    words = [noun]
    for t in analysis.tokens[noun.i + 1 :]:
        if words[-1].space:
            break
        words.append(t)
    return "".join(w.text for w in words).lower()


def _proper_name(analysis: Analysis, t: Token) -> str | None:
    if t.pos != "PROPN" or not t.text[:1].isupper():
        return None
    entity = analysis.entity_at(t.i)
    if entity is not None and entity.label not in ("PERSON", "ORG", "NORP"):
        return None  # "Paris is lovely": a place is not a person
    parts = [c for c in analysis.children(t) if c.dep == "compound" and c.pos == "PROPN"]
    return text_of(sorted([*parts, t], key=lambda x: x.i))


def _name_beside(analysis: Analysis, rel: Token) -> str | None:
    """ "my uncle Raj": the name right after a relation noun, however the parser hung it."""
    for c in analysis.children(rel):
        if c.dep in ("appos", "compound", "npadvmod") and (name := _proper_name(analysis, c)):
            return name
    if rel.i + 1 < len(analysis.tokens):
        following = analysis.tokens[rel.i + 1]
        if following.pos == "PROPN":
            return _proper_name(analysis, following)
        # the small tagger sometimes takes an unfamiliar name for an adverb ("my uncle Raj")
        if (
            following.pos in ("ADV", "NOUN", "ADJ", "X")
            and following.text[:1].isupper()
            and following.text.isalpha()
            and following.lower not in _words("people")
        ):
            return following.text
    return None


def _naming(rel: str, name: str, *, told: bool = False) -> list[Claim]:
    """Who a name is, and — for a relation with one holder, or when it is the point of the
    sentence ("my friend is called Amy") — the name of the relation."""
    person = Person(name.lower(), name, gender=_gender(rel))
    claims = [Claim(person, "relation", rel, confidence=0.9)]
    if told or rel.split()[-1] not in _words("non_unique") or rel.startswith("best "):
        claims.insert(0, Claim(Person(rel, f"my {rel}", gender=_gender(rel)), "name", name))
    return claims


def _person(analysis: Analysis, t: Token, context: _Context) -> tuple[Person, list[Claim]] | None:
    """The person a subject token names, and the claims its apposition states."""
    lower = t.lower
    if lower == "i":
        return Person("user", "I", "user"), []
    if lower == "you":
        return Person("companion", "you", "companion"), []
    if lower in ("he", "she", "they"):
        want = {"he": "male", "she": "female", "they": "plural"}[lower]
        for person in reversed(context.people):
            if person.gender in (want, "") and not (lower == "they" and person.gender != want):
                return person, []
        return None
    if t.pos in ("NOUN", "PROPN"):
        rel = _relation_noun(analysis, t)
        owner = [c for c in analysis.children(t) if c.dep == "poss"]
        if rel is not None and (owner and owner[0].lower == "my" or t.pos == "PROPN"):
            person = Person(rel, f"my {rel}", gender=_gender(rel))
            name = _name_beside(analysis, t)
            if name:
                return Person(name.lower(), name, gender=person.gender), _naming(rel, name)
            return person, []
        name = _proper_name(analysis, t)
        if name and not owner:
            known = next((p for p in context.people if p.key == name.lower()), None)
            return known or Person(name.lower(), name), []
    return None


def _mentions(analysis: Analysis, sentence: list[Token]) -> list[Person]:
    """People a sentence mentions ("my parents are retired"), for later pronouns."""
    out: list[Person] = []
    for t in sentence:
        if t.pos not in ("NOUN", "PROPN") or t.dep not in ("nsubj", "nsubjpass", "dobj", "pobj"):
            continue
        rel = _relation_noun(analysis, t)
        owned = any(c.dep == "poss" and c.lower == "my" for c in analysis.children(t))
        if rel is not None and owned:
            name = _name_beside(analysis, t)
            out.append(
                Person(name.lower(), name, gender=_gender(rel))
                if name
                else Person(rel, f"my {rel}", gender=_gender(rel))
            )
        elif (name := _proper_name(analysis, t)) and (
            _entity_label(analysis, t) == "PERSON" or t.dep in _SUBJECT_DEPS
        ):
            out.append(Person(name.lower(), name))  # "works at Tesco": a shop is nobody
    return out


def _conjoined_subjects(analysis: Analysis, predicate: Token, context: _Context) -> list[Person]:
    out: list[Person] = []
    for subject in _children(analysis, predicate, *_SUBJECT_DEPS):
        for joined in _children(analysis, subject, "conj"):
            found = _person(analysis, joined, context)
            if found is not None:
                out.append(found[0])
    return out


def _subject_of(
    analysis: Analysis, predicate: Token, context: _Context
) -> tuple[Person, list[Claim]] | None:
    subjects = _children(analysis, predicate, *_SUBJECT_DEPS)
    if not subjects and predicate.dep == "conj":
        # "…lives in Leeds and plays bass": the same person, already introduced once
        shared = _subject_of(analysis, analysis.head(predicate), context)
        return None if shared is None else (shared[0], [])
    if not subjects:
        # The small parser reads "Amy moved to Paris" as an adverbial "Amy": a name just
        # before the verb is its subject.
        before = [
            c for c in analysis.children(predicate)
            if c.i < predicate.i and c.dep in ("npadvmod", "nmod", "dep") and c.pos == "PROPN"
        ]  # fmt: skip
        subjects = before[:1]
    if not subjects and predicate.dep == "acl":
        subjects = [analysis.head(predicate)]
    if not subjects:
        return None
    subject = subjects[0]
    if subject.lemma in _vocabulary()["possessed_nouns"]:
        return None  # "my name is…" is read by _possessed
    if subject.pos == "PROPN" and subject.i > 0:
        # "My aunt Sue makes quilts", parsed with "aunt" beside "Sue" instead of above it
        beside = analysis.tokens[subject.i - 1]
        rel = _relation_noun(analysis, beside)
        owned = any(c.lower == "my" for c in analysis.children(beside))
        name = _proper_name(analysis, subject)
        if rel is not None and owned and name and beside.head in (predicate.i, subject.i):
            return Person(name.lower(), name, gender=_gender(rel)), _naming(rel, name)
    return _person(analysis, subject, context)


# --------------------------------------------------------------------------------------
# What
# --------------------------------------------------------------------------------------


def _value(analysis: Analysis, head: Token, *, strip_time: bool = True) -> str | None:
    """The words of a value: the phrase under `head`, "my" told as "their", time phrases,
    relative clauses and trailing asides left out."""
    keep: list[Token] = []
    skip: set[int] = set()
    for t in analysis.subtree(head):
        if t.i in skip:
            continue
        # "Marks and Spencer": names joined by "and" are one name
        joined = t.dep in ("cc", "conj") and head.pos == "PROPN" and analysis.head(t).i == head.i
        joined = (
            joined
            and (t.dep == "cc" or t.pos == "PROPN")
            and _entity_label(analysis, head) == "ORG"
        )
        if t.i != head.i and t.dep in _NOT_VALUE and not joined:
            skip.update(x.i for x in analysis.subtree(t))
            continue
        if strip_time and t.dep == "prep" and t.head == head.i and _is_time(analysis, t):
            skip.update(x.i for x in analysis.subtree(t))
            continue
        keep.append(t)
    if not keep:
        return None
    swap = _vocabulary()["possessive_swap"]
    value = _join([replace(t, text=swap.get(t.lower, t.text)) for t in keep]).strip(" ,.;:!")
    if not value or head.lower in _words("not_values") or head.pos == "PRON":
        return None
    if any(t.pos == "PRON" and t.lower in _words("not_values") for t in keep):
        return None  # "feeling like this", "the way you do it": points at the conversation
    return value


_NOT_VALUE = {"relcl", "acl", "appos", "cc", "conj", "punct", "advcl", "neg", "parataxis"}


def _entity_label(analysis: Analysis, t: Token) -> str:
    entity = analysis.entity_at(t.i)
    return entity.label if entity is not None else ""


def _join(tokens: list[Token]) -> str:
    """Words kept from a phrase, spaced as they were, with a space where words were left out."""
    out = ""
    for t, following in zip(tokens, [*tokens[1:], None], strict=True):
        out += t.text
        if following is not None:
            out += t.space if following.i == t.i + 1 else " "
    return out


def _lemma(t: Token) -> str:
    """The lemma, mended where the small model's lemmatizer slips ("hates" → "hat"): a
    verb's lemma is the one of its plain inflections that the vocabulary knows."""
    known = _vocabulary()["verbs"].keys() | _words("activities") | _words("naming_verbs")
    if t.lemma in known or t.pos not in ("VERB", "AUX", "NOUN"):
        return t.lemma
    lower = t.lower
    for cut in ("s", "es", "d", "ed"):
        if lower.endswith(cut) and lower[: -len(cut)] in known:
            return lower[: -len(cut)]
    return t.lemma


def _is_time(analysis: Analysis, prep: Token) -> bool:
    objects = _children(analysis, prep, "pobj")
    return bool(objects) and (
        (e := analysis.entity_at(objects[0].i)) is not None
        and e.label in ("DATE", "TIME")
        or objects[0].lemma in ("sunset", "sunrise", "night", "weekend", "morning", "evening")
    )


def _time(analysis: Analysis, predicate: Token) -> str | None:
    for c in analysis.children(predicate):
        e = analysis.entity_at(c.i)
        if c.dep == "prep":
            objects = _children(analysis, c, "pobj")
            e = analysis.entity_at(objects[0].i) if objects else None
            if e is not None and e.label in ("DATE", "TIME"):
                return text_of(analysis.subtree(c))
        elif e is not None and e.label in ("DATE", "TIME") and c.dep in ("npadvmod", "advmod"):
            return text_of(analysis.subtree(c))
    return None


def _prep_object(analysis: Analysis, t: Token, prep: str) -> Token | None:
    # "moved back to Leeds": the phrase may hang on an adverb of the verb
    adverbs = [a for a in _children(analysis, t, "advmod") if a.pos == "ADV"]
    preps = [p for x in (t, *adverbs) for p in _children(analysis, x, "prep", "agent")]
    for c in preps:
        if c.lower == prep:
            objects = _children(analysis, c, "pobj")
            if objects:
                return objects[0]
    return None


def _grounded_place(analysis: Analysis, obj: Token) -> bool:
    """A place names something: "Paris", "a flat", "the UK" — not "fear" ("live in fear")."""
    # The small tagger takes an unpunctuated "I live in Cork" for the noun "cork": a capital
    # inside the sentence still names a place.
    capital = obj.text[:1].isupper() and obj.i > 0 and obj.text.isalpha()
    return (
        obj.pos == "PROPN"
        or capital
        or any(c.dep in ("det", "poss", "nummod") for c in analysis.children(obj))
    )


def _predicate_claims(
    analysis: Analysis, predicate: Token, person: Person, context: _Context
) -> list[Claim]:
    if _modal(analysis, predicate):
        return []  # "I'd love to", "I'll move", "I could live here"
    negated = _negated(analysis, predicate)
    ends = _ends(analysis, predicate)
    if negated and not ends:
        return _negated_preference(analysis, predicate, person)
    if predicate.lemma == "be":
        found = _be_claims(analysis, predicate, person, context)
    else:
        found = _verb_claims(analysis, predicate, person)
    if ends:
        return [
            replace(c, value=None, ended=c.value, supersedes=True)
            for c in found
            if c.relation != "relation"
        ]
    changed = _changes(analysis, predicate)
    when = _time(analysis, predicate)
    return [
        replace(c, supersedes=c.supersedes or changed, time=when) if c.subject == person else c
        for c in found
    ]


def _negated_preference(analysis: Analysis, predicate: Token, person: Person) -> list[Claim]:
    """ "I don't like coffee" is a dislike; any other denial asserts nothing."""
    if predicate.tag not in ("VB", "VBP", "VBZ"):
        return []  # "I never liked football": about the past
    found = _verb_claims(analysis, predicate, person)
    flip = _vocabulary()["negated_becomes"]
    # The verb goes with the flip: "I don't like coffee" is told as "dislikes", never "likes".
    return [replace(c, relation=flip[c.relation], verb=None) for c in found if c.relation in flip]


def _verb_claims(analysis: Analysis, predicate: Token, person: Person) -> list[Claim]:
    lemma = _lemma(predicate)
    particles = _children(analysis, predicate, "prt")
    verbs = _vocabulary()["verbs"]
    if particles and (f"{lemma} {particles[0].lower}" in verbs or lemma not in verbs):
        lemma = f"{lemma} {particles[0].lower}"  # "grow up in"; "move back to" is "move to"
    if lemma in _words("naming_verbs"):
        return _named_by(analysis, predicate, person)
    if lemma.split()[0] in _words("having_verbs"):
        return _having(analysis, predicate, person)
    rules: dict[str, str] = _vocabulary()["verbs"].get(lemma, {})
    out: list[Claim] = []
    living = _for_a_living(analysis, predicate)
    for key, relation in rules.items():
        if living:
            break
        value: str | None = None
        if key == "dobj" or key == "xcomp":
            objects = _children(analysis, predicate, key)
            if not objects or not _present(predicate, relation, analysis):
                continue
            obj = objects[0]
            if any(c.dep in ("det", "poss") and c.lower in _words("deictic_determiners")
                   for c in analysis.children(obj)):  # fmt: skip
                continue  # "I love that idea": a reaction, not a taste
            if _anaphoric(analysis, obj) or (key == "xcomp" and obj.tag != "VBG"):
                continue
            if relation == "speaks" and obj.pos != "PROPN":
                continue  # "I speak three languages"
            value = _value(analysis, obj)
        elif key == "advmod":
            places = _words("place_adverbs")
            value = next((c.lower for c in analysis.children(predicate)
                          if c.dep == "advmod" and c.lower in places), None)  # fmt: skip
        else:
            found = _prep_object(analysis, predicate, key)
            if found is None and relation == "lives_in":
                # "I live with my two cats in Brighton": the place hangs one phrase lower
                for prep in _children(analysis, predicate, "prep"):
                    for inner in _children(analysis, prep, "pobj"):
                        found = found or _prep_object(analysis, inner, key)
            if found is None or found.pos == "PRON":
                continue
            obj = found
            if relation == "works_in":
                if _grounded_place(analysis, obj):
                    relation = "works_at"
                elif obj.pos != "NOUN":
                    continue
            elif relation in ("lives_in", "from") and not _grounded_place(analysis, obj):
                continue
            value = (
                _job(analysis, obj, known_only=False)
                if relation == "works_as"
                else _value(analysis, obj)
            )
        if value:
            out.append(Claim(person, relation, value, verb=predicate.lemma))
            if relation in ("lives_in", "from", "works_at", "works_as"):
                break
    if not out:
        out = _activity(analysis, predicate, person, living)
    return out


def _present(predicate: Token, relation: str, analysis: Analysis) -> bool:
    """Tastes and activities are habits: said in the present ("I love", "she teaches"),
    never "I loved it" or "I'm making dinner" (except studying, which is ongoing)."""
    if predicate.tag in ("VBP", "VBZ"):
        return True
    if relation == "studies" and predicate.tag == "VBG":
        return True
    return predicate.tag == "VB" and any(
        c.dep == "aux" and c.lemma == "do" for c in analysis.children(predicate)
    )


def _anaphoric(analysis: Analysis, obj: Token) -> bool:
    """ "I love the colours": definite and plural, it points at something in view."""
    kids = list(analysis.children(obj))
    return obj.tag == "NNS" and len(kids) == 1 and kids[0].lower == "the"


def _for_a_living(analysis: Analysis, predicate: Token) -> bool:
    obj = _prep_object(analysis, predicate, "for")
    if obj is None:
        for d in _children(analysis, predicate, "dobj"):
            obj = obj or _prep_object(analysis, d, "for")
    return obj is not None and obj.lemma in _words("for_a_living")


def _activity(analysis: Analysis, predicate: Token, person: Person, living: bool) -> list[Claim]:
    """ "makes documentaries", "plays the cello", "writes letters for a living"."""
    verb = _lemma(predicate)
    # What someone else habitually does is worth keeping whatever the verb ("Zoe restores
    # clocks"), unless the verb is a state or a passing want; the user's own present tense is
    # mostly talk ("I need a coffee"), so for him only the activities in the vocabulary count.
    known = verb in _words("activities")
    other = person.who == "person" and verb not in _words("not_activities")
    if not (known or other or living) or not _present(predicate, "does", analysis):
        return []
    objects = _children(analysis, predicate, "dobj")
    if not objects or objects[0].pos == "PRON" or _anaphoric(analysis, objects[0]):
        return []
    obj = _value(analysis, objects[0])
    if not obj:
        return []
    obj = obj.split(" for a living")[0]
    relation = "works_as" if living else "does"
    return [Claim(person, relation, f"{verb} {obj}", confidence=0.7)]


def _named_by(analysis: Analysis, predicate: Token, person: Person) -> list[Claim]:
    """ "Everyone calls me Jonno", "call me Bea", "my sister is called Anna"."""
    names = [c for c in _children(analysis, predicate, "oprd") if c.pos == "PROPN"]
    if not names:
        return []
    name = _value(analysis, names[0])
    if not name:
        return []
    objects = _children(analysis, predicate, "dobj")
    if objects and objects[0].lower == "me":
        return [Claim(Person("user", "I", "user"), "name", name, confidence=0.9)]
    if predicate.dep == "ROOT" and not objects and person.who == "person" and " " not in person.key:
        if person.key in _words("people"):
            return _naming(person.key, name, told=True)
    return []


def _having(analysis: Analysis, predicate: Token, person: Person) -> list[Claim]:
    """ "I've got a dog called Biscuit", "I have a sister named Beth"."""
    if person.who != "user" or (
        predicate.lemma == "get"
        and not any(c.dep == "aux" and c.lemma == "have" for c in analysis.children(predicate))
    ):
        return []
    for obj in _children(analysis, predicate, "dobj"):
        rel = _relation_noun(analysis, obj)
        if rel is None:
            continue
        for acl in _children(analysis, obj, "acl"):
            if acl.lemma not in _words("naming_verbs"):
                continue
            names = [c for c in _children(analysis, acl, "oprd") if c.pos == "PROPN"]
            if not names:
                continue
            name = text_of(analysis.subtree(names[0]))
            if rel in _words("animals"):
                pet = Person(name.lower(), name)
                return [Claim(person, "pet", name), Claim(pet, "relation", rel)]
            return _naming(rel, name)
    return []


def _be_claims(
    analysis: Analysis, predicate: Token, person: Person, context: _Context
) -> list[Claim]:
    be = _vocabulary()["be"]
    where = _prep_object(analysis, predicate, "from")
    if where is not None and _grounded_place(analysis, where):
        value = _value(analysis, where)
        return [Claim(person, be["from"], value)] if value else []
    for adjective in _children(analysis, predicate, "acomp", "attr"):
        rules = be["adjectives"].get(adjective.lemma, {})
        for prep, relation in rules.items():
            obj = _prep_object(analysis, adjective, prep)
            if obj is None:
                # "allergic to shellfish" misread as "to" + a verb: the word is the value
                obj = next(
                    (
                        x
                        for x in _children(analysis, adjective, "xcomp")
                        if any(a.lower == prep for a in _children(analysis, x, "aux"))
                        and not list(_children(analysis, x, "dobj", "prep"))
                    ),
                    None,
                )
            if obj is not None and obj.pos != "PRON":
                value = _value(analysis, obj)
                if value:
                    return [Claim(person, relation, value)]
        if adjective.lemma in be["diets"] and not _children(analysis, adjective, "prep"):
            return [Claim(person, "diet", adjective.lower)]
        age = _age(analysis, adjective)
        if age is not None:
            return [Claim(person, "age", str(age))]
        if adjective.dep == "attr" and adjective.pos == "NOUN":
            job = _job(analysis, adjective)
            if job:
                return [Claim(person, "works_as", job)]
    return []


def _age(analysis: Analysis, t: Token) -> int | None:
    rules = _vocabulary()["ages"]
    number: Token | None = None
    if (
        t.pos == "NUM"
        and not list(analysis.children(t))
        or (
            t.pos == "NUM" and all(c.dep in ("neg", "appos", "punct") for c in analysis.children(t))
        )
    ):
        number = t
    elif t.lemma == rules["adjective"]:
        units = [c for c in analysis.children(t) if c.lemma in rules["units"]]
        if units:
            nums = [c for c in analysis.subtree(units[0]) if c.pos == "NUM"]
            number = nums[-1] if nums else None
            if number is not None and len(nums) == 2:
                # "twenty-nine": a compound number
                first, second = (_number(n.lower) for n in nums)
                if first is not None and second is not None:
                    total = first + second
                    return total if rules["min"] <= total <= rules["max"] else None
    if number is None:
        return None
    value = _number(number.lower)
    return value if value is not None and rules["min"] <= value <= rules["max"] else None


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _job(analysis: Analysis, noun: Token, *, known_only: bool = True) -> str | None:
    """ "a nurse", "a software engineer"; after "I'm a…" only a known profession counts
    ("I'm a mess"), after "I work as a…" any noun does."""
    vocab = _vocabulary()
    professions = _words("professions")
    known = (
        noun.lemma in professions
        or noun.lower.endswith(tuple(vocab["profession_suffixes"]))
        # "headteacher", "firefighter", "songwriter": a compound ending in a profession
        or any(noun.lemma.endswith(p) for p in professions if len(p) >= 5)
    )
    if (known_only and not known) or noun.tag == "NNS" or noun.pos == "PRON":
        return None
    allowed = _words("job_modifiers")
    mods = [c for c in analysis.children(noun) if c.dep in ("amod", "compound", "nmod")]
    if any(m.lower not in allowed for m in mods if m.dep == "amod"):
        return None  # "a terrible cook", "an aspiring writer": a self-description
    if _children(analysis, noun, "prep") and any(
        p.lower == "of" for p in _children(analysis, noun, "prep")
    ):
        return None  # "a fan of", "the manager of my life"
    words = sorted([*mods, noun], key=lambda t: t.i)
    return text_of(words).lower()


# --------------------------------------------------------------------------------------
# Possessed nouns and bare "it": "my name is…", "actually it's Dublin"
# --------------------------------------------------------------------------------------


def _possessed(analysis: Analysis, sentence: list[Token], context: _Context) -> list[Claim]:
    """ "My name's Priya", "my brother's name is Sam", "my birthday is the 9th of July"."""
    nouns: dict[str, str] = _vocabulary()["possessed_nouns"]
    for t in sentence:
        if t.dep != "nsubj" or t.lemma not in nouns or analysis.head(t).lemma != "be":
            continue
        be = analysis.head(t)
        if _negated(analysis, be) or _modal(analysis, be):
            return []
        owners = [c for c in analysis.children(t) if c.dep == "poss"]
        if not owners:
            return []
        owner = owners[0]
        if owner.lower == "my":
            person = Person("user", "I", "user")
        else:
            found = _person(analysis, owner, context)
            if found is None:
                return []
            person = found[0]
        attrs = _children(analysis, be, "attr", "acomp")
        if not attrs:
            return []
        relation = nouns[t.lemma]
        if relation in ("name", "surname", "nickname") and attrs[0].pos != "PROPN":
            return []  # "my name is not important", "my name is on the list"
        value = _value(analysis, attrs[0], strip_time=False)
        if not value:
            return []
        if relation == "name" and person.who == "person" and person.key in _words("people"):
            return _naming(person.key, value, told=True)
        return [Claim(person, relation, value)]
    return []


def _it_is(analysis: Analysis, sentence: list[Token], context: _Context) -> list[Claim]:
    """ "Actually it's Dublin, not Cork": the previous claim's slot, with a new value."""
    words = [t for t in sentence if t.pos != "PUNCT"]
    root = next((t for t in words if t.dep == "ROOT"), None)
    if root is None or root.lemma != "be" or not _corrects(words) or not context.claims:
        return []
    subject = _children(analysis, root, "nsubj")
    attrs = _children(analysis, root, "attr")
    if not subject or subject[0].lower not in ("it", "that") or not attrs:
        return []
    slots = [
        c
        for c in context.claims
        if c.value is not None and c.relation not in ("relation", "likes", "dislikes", "does")
    ]
    # "…, not Cork": the slot that held Cork, when one did; else the last one named.
    denied = {
        d.lower
        for d in _children(analysis, attrs[0], "appos", "conj")
        if any(n.dep == "neg" for n in analysis.children(d))
    }
    named = [c for c in slots if (c.value or "").lower() in denied]
    last = named[-1] if named else slots[-1] if slots else None
    value = _value(analysis, attrs[0])
    if last is None or not value:
        return []
    return [replace(last, value=value, supersedes=True, correction=True, time=None)]


def _special_claims(analysis: Analysis, sentence: list[Token], context: _Context) -> list[Claim]:
    """What the clause readers leave: possessed nouns and a bare "it" correcting a slot."""
    words = [t for t in sentence if t.pos not in ("PUNCT", "SPACE")]
    if not words or text_of(sentence).rstrip().endswith("?") or _is_question(words):
        return []
    if any(t.lemma in _words("hedges") for t in words):
        return []
    correction = _corrects(words)
    for reader in (_possessed, _it_is):
        claims = reader(analysis, sentence, context)
        if claims:
            return [
                replace(
                    c,
                    source=text_of(sentence),
                    supersedes=c.supersedes or correction,
                    correction=c.correction or correction,
                )
                for c in claims
            ]
    return []


# --------------------------------------------------------------------------------------
# Telling
# --------------------------------------------------------------------------------------


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _third_person(lemma: str) -> str:
    irregular = {"have": "has", "be": "is", "do": "does", "go": "goes"}
    if lemma in irregular:
        return irregular[lemma]
    if lemma.endswith(("s", "sh", "ch", "x", "z", "o")):
        return lemma + "es"
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        return lemma[:-1] + "ies"
    return lemma + "s"


def sentence_of(claim: Claim, speaker: str) -> str:
    """The claim told in the third person: "Theo's sister lives in Berlin."."""
    who = claim.subject
    if who.who == "user":
        subject = speaker
    elif who.who == "companion":
        subject = "The companion"
    elif who.key == who.display.lower():
        subject = who.display
    else:
        subject = f"{_possessive(speaker)} {who.key}"
    if claim.value is None:
        # An ended slot is told as its old value, no longer held: "Theo no longer lives in
        # Leeds."
        told = sentence_of(replace(claim, value=claim.ended or "…"), speaker)
        if told.startswith(f"{subject} is "):
            return told.replace(f"{subject} is ", f"{subject} is no longer ", 1)
        return told.replace(f"{subject} ", f"{subject} no longer ", 1)
    value = claim.value
    templates: dict[str, str] = _vocabulary()["sentences"]
    if claim.relation == "works_as" and " " in value and value.split()[0] in _words("activities"):
        key = "works_as_activity"
    elif claim.relation == "lives_in" and value.isalpha() and value.islower():
        # "lives downstairs", "lives nearby": a place adverb takes no preposition (a named
        # or determined place is capitalised or more than one word)
        key = "_lives_adverb"
        templates = {**templates, key: "{s} lives {v}"}
    else:
        key = claim.relation if claim.relation in templates else "_default"
    verb, _, rest = value.partition(" ")
    # "I love green tea" is told back with "loves", not flattened to "likes".
    feels = {"likes": "likes", "dislikes": "dislikes"}.get(claim.relation, "")
    if feels and claim.verb:
        feels = _third_person(claim.verb)
    text = templates[key].format(
        feels=feels,
        s=subject,
        v=value,
        v3=f"{_third_person(verb)} {rest}".strip(),
        a="an" if value[:1].lower() in "aeiou" else "a",
        p=_possessive(speaker),
        v_name=who.display,
        attribute=claim.relation,
    )
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
