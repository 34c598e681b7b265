"""Direct questions about what the user told OS1, answered from recalled facts in code.

"What's my sister's birthday?", "Where do I live?", "Who is Catherine?", "What do I do?":
a tiny model ignores the facts in its prompt, so with it OS1 answers these itself, in a
sentence that says where the answer came from. A capable model answers them with the memories
in its context instead.

A question is read from the parse, not matched against sentences: a wh-word or an inverted
auxiliary ("do you remember…", '?' optional), a focus that names a fact attribute (the verb,
noun or adjective vocabularies in os1/data/question_attributes.json: live/address → lives_in,
birthday/born → birthday, work/job/"do for a living" → job, called/name → name, favourite/
like → likes…) and a subject from the parse: "my sister" → the user's sister, a proper noun
→ that person, I/me/my → the user. Questions to OS1 itself ("where do you live?"), general
knowledge ("where is Paris?") and requests ("remind me…") are not memory questions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING

from os1.language import Analysis, Token, analyze
from os1.language.analysis import text_of
from os1.memory.recall import Hit

if TYPE_CHECKING:
    from collections.abc import Callable

    from os1.memory import LongTermMemory
    from os1.memory.store import Memory

# A question about the user's own facts, read from the parse.
_WORDS = json.loads(
    (resources.files("os1") / "data" / "question_attributes.json").read_text(encoding="utf-8")
)
FACTS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["facts"].items()}
_VERBS: dict[str, str] = _WORDS["verbs"]
_PARTICLE_VERBS: dict[tuple[str, str], str] = {
    tuple(k.split()): v for k, v in _WORDS["verbs_with_particle"].items()
}
_NOUNS: dict[str, str] = _WORDS["nouns"]
_ADJECTIVES: dict[str, str] = _WORDS["adjectives"]
_WRAPPERS = frozenset(_WORDS["wrappers"])
_WH = frozenset(_WORDS["wh"])
_ME = frozenset({"i", "me", "my", "mine", "myself"})
_YOU = frozenset({"you", "your", "yours", "yourself"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})
_FOCUS = frozenset({"nsubj", "nsubjpass", "attr", "dobj", "npadvmod", "dative", "acomp"})
_CLAUSES = frozenset({"ccomp", "advcl", "xcomp", "csubj"})


@dataclass(frozen=True, slots=True)
class MemoryQuestion:
    """`attribute`: a key of FACTS ("who" asks who someone is); `subject`: "user", a relation
    of the user's ("sister", "ex-wife"), or a person's name, lower-cased; `terms`: other words
    that narrow it ("colour" in "my favourite colour")."""

    attribute: str
    subject: str
    terms: tuple[str, ...] = ()


class _Companion(Exception):
    """The question is about OS1 itself ("where do you live?")."""


def read_memory_question(analysis: Analysis) -> MemoryQuestion | None:
    """The fact a message asks for, or None when it is no question about the user's life."""
    tokens = [t for t in analysis.tokens if t.pos not in ("PUNCT", "SPACE")]
    if not tokens or len(analysis.text) > 200:
        return None
    root = next((t for t in analysis.tokens if t.dep == "ROOT"), None)
    if root is None:
        return None
    first = tokens[0]
    asked = (
        analysis.text.rstrip().endswith("?")
        or first.lemma in _WH
        or (first.pos == "AUX" and first.dep in ("aux", "ROOT", "auxpass"))
        or (first.i == root.i and root.lemma == "tell")  # "tell me where I live"
        or (first.dep == "prep" and any(t.lemma in _WH for t in tokens[1:3]))  # "in what city"
    )
    if not asked:
        return None
    try:
        return _read(analysis, root)
    except _Companion:
        return None


def _read(a: Analysis, root: Token) -> MemoryQuestion | None:
    clause, objects = root, []
    # "do you remember / can you tell me / what did I say …": the question is inside.
    while clause.lemma in _WRAPPERS:
        subject = _subject_of(a, clause)
        if subject is not None and subject.lemma not in _YOU | _ME:
            return None
        inner = next((c for c in a.children(clause) if c.dep in _CLAUSES), None)
        if inner is None:
            objects = [c for c in a.children(clause) if c.dep in ("dobj", "attr")]
            break
        clause = inner
    if clause.lemma == "be":  # "where is my daughter living"
        clause = next((c for c in a.children(clause) if c.dep == "csubj"), clause)
    wh = {t.lemma for t in a.tokens if t.lemma in _WH and t.i <= clause.i}
    focus = objects or [c for c in a.children(clause) if c.dep in _FOCUS]
    attribute: str | None = None
    owner: str | None = None
    terms: list[str] = []
    for noun in focus:
        if noun.lemma in _YOU:
            raise _Companion
        found = _attribute_of_noun(a, noun, wh)
        if found is not None:
            attribute, terms = found
            owner = _owner(a, noun)
            break
    if attribute is None:
        attribute, terms = _attribute_of_clause(a, clause, wh, focus)
    if attribute is None:
        return None
    if owner is None:
        subject = _subject_of(a, clause)
        if subject is None or subject.lemma in _WH:  # "who's Sam": both are attr
            subject = next(
                (c for c in a.children(clause) if c.dep == "attr" and c.lemma not in _WH), subject
            )
        owner = _person(a, subject) if subject is not None else None
    if owner is None:
        return None
    return MemoryQuestion(attribute, owner, tuple(terms))


def _attribute_of_noun(a: Analysis, noun: Token, wh: set[str]) -> tuple[str, list[str]] | None:
    """What a noun in the focus asks for: "birthday", "my favourite colour", "how old"."""
    for child in a.children(noun):
        if child.dep == "amod" and _ADJECTIVES.get(child.lemma) == "likes":
            return "likes", [noun.lemma]
    if noun.pos in ("NOUN", "PROPN") and noun.lemma in _NOUNS:
        return _NOUNS[noun.lemma], []
    if noun.dep == "acomp" and noun.lemma in _ADJECTIVES:
        if noun.lemma == "old" and "how" not in wh:
            return None
        return _ADJECTIVES[noun.lemma], []
    return None


def _attribute_of_clause(
    a: Analysis, clause: Token, wh: set[str], focus: list[Token]
) -> tuple[str | None, list[str]]:
    kids = list(a.children(clause))
    particles = {c.lemma for c in kids if c.dep in ("prep", "prt")}
    for (verb, particle), attribute in _PARTICLE_VERBS.items():
        if clause.lemma == verb and particle in particles:
            return attribute, []
    if clause.lemma == "be" and "where" in wh and "from" in particles:
        return "from", []  # "where am I from"
    if clause.lemma == "be" and "who" in wh:
        return "who", []
    passive = clause.tag == "VBN" or any(c.dep == "auxpass" for c in kids)
    if clause.lemma == "call" and not passive:  # "should I call my sister"
        return None, []
    if clause.lemma == "do" and "what" in wh:  # "what do I do (for a living)"
        told = any(
            c.dep == "pobj" and _NOUNS.get(c.lemma) == "job" for p in kids for c in a.children(p)
        )
        past = any(c.dep in ("aux", "auxpass") and c.tag in ("VBD", "MD") for c in kids)
        timed = any(c.dep == "npadvmod" or (c.dep == "advmod" and c.lemma not in _WH) for c in kids)
        others = any(c.dep in ("dobj", "dative") and c.lemma not in _WH for c in kids)
        if told or not (past or timed or others):
            return "job", []
        return None, []
    if clause.lemma in _VERBS:
        terms = [c.lemma for c in focus if c.dep == "dobj" and c.pos == "NOUN"]
        return _VERBS[clause.lemma], terms
    return None, []


def _subject_of(a: Analysis, verb: Token) -> Token | None:
    return next((c for c in a.children(verb) if c.dep in _SUBJECTS), None)


def _owner(a: Analysis, noun: Token) -> str | None:
    """Whose the noun is: "my birthday", "my sister's name", "the name of my therapist"."""
    owners = [c for c in a.children(noun) if c.dep == "poss"]
    if owners:
        return _person(a, owners[0], owners)
    for prep in a.children(noun):
        if prep.dep == "prep" and prep.lemma == "of":
            for pobj in a.children(prep):
                if pobj.dep == "pobj":
                    return _person(a, pobj)
    return None


def _person(a: Analysis, token: Token, span: list[Token] | None = None) -> str | None:
    """ "user" for I/me/my, a relation for "my sister", a name for a proper noun; None for
    anything else ("the sun", "penguins"). Raises _Companion for you/your."""
    if token.lower in _YOU or token.lemma in _YOU:
        raise _Companion
    if token.lower in _ME:
        return "user"
    if token.pos == "PRON":
        return None
    words = [t for t in (span or [token]) if t.pos != "PRON"]
    if token.pos == "PROPN" or token.ent == "PERSON":
        names = [t for t in a.subtree(token) if t.pos == "PROPN"]
        return text_of(names or [token]).lower()
    mine = [c for t in words for c in a.children(t) if c.dep == "poss"]
    mine += [c for c in (span or []) if c.pos == "PRON"]
    if not any(c.lower in _ME for c in mine):
        if any(c.lower in _YOU for c in mine):
            raise _Companion
        return None
    if len(words) > 1:
        return text_of(words).lower()
    return token.lemma


@dataclass(frozen=True, slots=True)
class MemoryAnswer:
    text: str
    hits: list[Hit]


def answer_question(
    memory: LongTermMemory, text: str, user_name: str | None = None
) -> MemoryAnswer | None:
    """The answer to a direct question about the user's own facts; None for anything else."""
    question = text.strip()
    if not question or len(question) > 200:
        return None
    asked = read_memory_question(analyze(question))
    if asked is None:
        return None
    wanted = FACTS.get(asked.attribute, ())
    me = {"user", (user_name or "").lower()} - {""}
    about_me = asked.subject == "user" or asked.subject in me
    subject_words = [] if about_me else asked.subject.replace("-", " ").split()
    memory.consolidate()  # facts from what was said moments ago
    lookup = [asked.subject, *subject_words] if not about_me else sorted(me)

    def score_of(fact: Memory, found: float) -> float | None:
        """How well a fact answers the question; None when it does not."""
        subject = (fact.subject or "").lower()
        attribute = (fact.attribute or "").lower()
        value = (fact.value or "").lower()
        names = f"{subject} {value} {attribute.replace('_', ' ')}"
        named = set(re.findall(r"[a-z0-9'-]+", names)) | set(re.findall(r"[a-z0-9]+", names))
        score = 0.0
        if about_me:
            if subject not in me:
                return None
        else:
            whole = asked.subject in named or _singular(asked.subject) in named
            if not whole and not all(w in named or _singular(w) in named for w in subject_words):
                return None
            score += 1.0 + (0.5 if subject in (asked.subject, _singular(asked.subject)) else 0.0)
        if wanted:
            if not any(a in attribute for a in wanted):
                return None
            if attribute == "relation" and subject in (asked.subject, *me):
                return None  # "what's my sister called": Catherine's relation, not the sister's
            score += 1.0 + (0.5 if attribute != "relation" else 0.0)
        elif asked.attribute == "who" and attribute == "relation":
            score += 0.5
        score += sum(1 for t in asked.terms if t in named or _singular(t) in named)
        score += found * 0.01
        if fact.untrusted:
            score -= 0.75  # what the user said outweighs what a mail or a note claims
        return score

    best: tuple[float, Hit] | None = None
    for hit in _candidates(memory, question, lookup):
        fact = hit.memory
        if fact.kind not in ("fact", "preference") or fact.superseded_by is not None:
            continue
        score = score_of(fact, hit.score)
        if score is not None and (best is None or score > best[0]):
            best = (score, hit)
    if best is None:
        ended = _ended(memory, lookup, score_of)
        if ended is not None:
            return ended
        return MemoryAnswer("I don't think you've told me that yet. Would you like to?", [])
    hit = best[1]
    return MemoryAnswer(_cite(_second_person(hit.memory.text, user_name), hit), [hit])


def _ended(
    memory: LongTermMemory,
    subjects: list[str],
    score_of: Callable[[Memory, float], float | None],
) -> MemoryAnswer | None:
    """ "Where do I live?" after "I don't live in Leeds anymore": nothing holds the slot now,
    and the answer says so with the turn that ended it, rather than "you never told me"."""
    ended: list[tuple[float, Memory]] = []
    for subject in dict.fromkeys([*subjects, *map(_singular, subjects)]):
        for fact in memory.store.list("fact", subject=subject, include_superseded=True):
            if fact.superseded_by is not None and (score := score_of(fact, 0.0)) is not None:
                ended.append((score, fact))
    for _, fact in sorted(ended, key=lambda pair: (-pair[0], -pair[1].id)):
        by = memory.store.get_many([fact.superseded_by or 0])
        if by and by[0].kind == "episode":
            # Ended by a turn, not replaced by a newer fact: the slot is empty now.
            when = _day(by[0].said_at or by[0].created_at)
            said = f"You told me on {when}" if when else "You told me"
            words = _spoken(by[0]).rstrip()
            words = words if words.endswith((".", "!", "?")) else words + "."
            return MemoryAnswer(
                f'{said}: "{words}" I haven\'t heard more since.',
                [Hit(by[0], 0.0)],
            )
        return None  # the best match was replaced by a newer fact, which should have answered
    return None


def _candidates(memory: LongTermMemory, question: str, subjects: list[str]) -> list[Hit]:
    """Recalled memories, plus the facts stored under the subjects asked about: recall ranks
    a whole week of talk, and the one fact asked for may not make its top few."""
    hits = memory.recall.search(question, k=12)
    seen = {h.memory.id for h in hits}
    for subject in dict.fromkeys([*subjects, *map(_singular, subjects)]):
        for kind in ("fact", "preference"):
            for fact in memory.store.list(kind, subject=subject, limit=50):
                if fact.id not in seen:
                    seen.add(fact.id)
                    hits.append(Hit(fact, 0.0))
    return hits


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _second_person(text: str, user_name: str | None) -> str:
    """ "User's sister's birthday is 14 March." -> "Your sister's birthday is 14 March."."""
    who = r"(?:[Uu]ser" + (rf"|{re.escape(user_name)}" if user_name else "") + r")"
    text = re.sub(rf"\b{who}'s\b", "your", text)
    text = re.sub(rf"\b{who} is\b", "you are", text)
    text = re.sub(rf"\b{who} was\b", "you were", text)
    text = re.sub(rf"\b{who} has\b", "you have", text)
    text = re.sub(rf"\b{who} (\w+?)s\b", r"you \1", text)
    text = re.sub(rf"\b{who}\b", "you", text)
    text = text.strip()
    if not text.endswith((".", "!", "?")):
        text += "."
    return text[:1].upper() + text[1:]


def _cite(sentence: str, hit: Hit) -> str:
    """One sentence, so two answers never share a sentence word for word. A fact that came
    from outside (a mail, a note) says so: it is not something the user told OS1."""
    when = _day(hit.memory.said_at or hit.memory.created_at)
    if hit.memory.untrusted:
        where = _outside_source(hit.memory.sources)
        read = f"{where}, on {when}" if when else where
        return f"{sentence[:-1]} (from {read}; not something you told me, so I haven't checked it)."
    told = f"you told me on {when}" if when else "you told me"
    return f"{sentence[:-1]} ({told})."


def _spoken(episode: Memory) -> str:
    # Episodes are kept as "Speaker: words"; the user's own words are quoted without the name.
    prefix = f"{episode.speaker}: " if episode.speaker else ""
    return episode.text.removeprefix(prefix)


def _outside_source(sources: tuple[str, ...]) -> str:
    if any(s.startswith("mail:") for s in sources):
        return "a mail"
    if any(s.startswith("note:") for s in sources):
        return "your notes"
    return "something I read"


def _day(stamp: str | None) -> str | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return f"{moment.day} {moment:%B}"
