"""Requests to forget, read from the parse of the user's own words, not from a list of
sentences: a request verb (forget, delete, erase, "stop remembering", "don't keep", "never
mind"…) said to OS1 — an imperative, or "can you / I want you to …" — and its object or
"about" phrase, which names what to forget.

Not requests: questions about forgetting ("do you ever forget things?"), stories ("I forgot my
keys"), reminders ("don't forget to call mum"), dismissals ("forget it, let's talk about
dinner"), and deleting things that belong to a skill ("delete the reminder about …").
"""

from __future__ import annotations

from dataclasses import dataclass

from os1.language import Analysis, Token
from os1.language.analysis import text_of

# Verbs that ask to forget on their own ("forget X", "delete X").
FORGET_VERBS = frozenset(
    {
        "forget",
        "delete",
        "erase",
        "remove",
        "wipe",
        "scrub",
        "purge",
        "clear",
        "scratch",
        "drop",
        "scrap",
        "discard",
        "ditch",
        "unlearn",
        "expunge",
    }
)
# Verbs that ask to forget when negated or stopped ("don't keep that", "stop remembering X").
KEEP_VERBS = frozenset({"keep", "remember", "store", "save", "retain", "record", "hold", "hang"})
# "I want you to forget", "I'd rather you forgot".
WANT_VERBS = frozenset({"want", "like", "need", "prefer", "rather", "ask", "wish", "sure"})
STOP_VERBS = frozenset({"stop", "quit", "cease"})
MODALS = frozenset({"can", "could", "would", "will", "might"})
# Objects that belong to a skill, not to memory: "delete the reminder about the dentist".
SKILL_THINGS = frozenset(
    {
        "reminder", "alarm", "timer", "event", "appointment", "meeting", "note", "email", "mail",
        "draft", "letter", "file", "photo", "picture", "calendar", "account", "app", "table",
        "whiteboard", "carpet", "stain", "back", "list", "task", "song", "playlist",
    }
)  # fmt: skip
# Objects that only hold what to forget: "everything about X", "the part about X".
CONTAINERS = frozenset(
    {
        "everything", "all", "anything", "something", "stuff", "thing", "things", "memory",
        "memories", "part", "bit", "info", "information", "detail", "details", "what", "that",
        "this", "record", "records", "mention", "mentions", "any", "some",
    }
)  # fmt: skip
ABOUT = frozenset(
    {"about", "of", "on", "regard", "concern", "re", "relate", "around", "mention", "involve"}
)
THAT = frozenset({"that", "this"})
UNCLEAR = frozenset({"him", "her", "them", "it", "he", "she", "they", "where", "who"})
SAID = frozenset({"say", "tell", "write", "mention", "type", "share"})
KNOW = frozenset({"know", "remember", "learn", "have", "keep", "store"})
RECENT = frozenset({"just", "last", "previous", "earlier", "early", "before"})
ME = frozenset({"me", "myself", "us"})
POLITE = frozenset({"please", "pls", "plz", "thanks", "thank", "ok", "okay", "now", "too"})
# Where memories are ("remove X from your memory"); "from the shopping list" is elsewhere.
MEMORY_PLACES = frozenset(
    {"memory", "memories", "mind", "head", "brain", "record", "records", "database", "system"}
)
STRIP_FRONT = frozenset({"the", "a", "an", "all", "any", "every"})


@dataclass(frozen=True, slots=True)
class ForgetRequest:
    """`target`: what to forget as the user named it; "that" for the previous thing said,
    "everything" for all of it; None when it isn't clear (a pronoun, "where I live")."""

    target: str | None
    person: bool = False  # the target is (or starts with) a named person


def read_forget_request(analysis: Analysis) -> ForgetRequest | None:
    for verb in _request_verbs(analysis):
        request = _target(analysis, verb)
        if request is not None:
            return request
    return None


def _children(a: Analysis, t: Token, *deps: str) -> list[Token]:
    return [c for c in a.children(t) if not deps or c.dep in deps]


def _negated(a: Analysis, t: Token) -> bool:
    return any(c.dep == "neg" or c.lemma in ("never", "not") for c in a.children(t))


def _addressed_to_os1(a: Analysis, verb: Token) -> bool:
    """An imperative, or a request to "you": "can you…", "I want you to…", "you can…"."""
    subjects = _children(a, verb, "nsubj", "nsubjpass")
    past = verb.tag in ("VBD", "VBZ", "VBG", "VBN") and verb.lower != verb.lemma
    if past and verb.dep in ("ROOT", "conj"):
        # "I forgot my keys", "she forgets"; but "I'd rather you forgot about X" is a wish.
        head = a.head(verb)
        if not (verb.tag == "VBD" and subjects and subjects[0].lower == "you" and head != verb):
            return False
    if not subjects:
        if verb.dep not in ("ROOT", "conj"):
            return False  # "I tend to forget names", "let's forget about work"
        return verb.tag in ("VB", "VBP", "NN", "NNP", "JJ") or verb.i == 0 or not past
    subject = subjects[0].lower
    auxes = {c.lemma for c in _children(a, verb, "aux")}
    asked = any(c.i < subjects[0].i for c in _children(a, verb, "aux"))
    if subject == "we" and asked and auxes & MODALS:
        subject = "you"  # "can we delete what I said about X?"
    if subject != "you":
        return False
    if auxes & MODALS:
        first = next(t for t in a.tokens if t.sent == verb.sent)
        return first.lemma not in ("how", "why", "what", "when", "where")  # "how can you…"
    head = a.head(verb)
    # "I want you to forget", "I'd rather you forgot", "I'd like you to delete".
    return head != verb and (
        head.lemma in WANT_VERBS or any(c.lemma in WANT_VERBS for c in a.children(head))
    )


def _request_verbs(a: Analysis) -> list[Token]:
    found: list[Token] = []
    for t in a.tokens:
        if t.pos not in ("VERB", "AUX", "NOUN", "PROPN", "ADJ", "INTJ", "X") and t.dep != "ROOT":
            continue
        if t.lemma in FORGET_VERBS:
            if _negated(a, t) or _negated_by_want(a, t):
                continue  # "don't forget to…", "don't delete my notes"
            if _addressed_to_os1(a, t):
                found.append(t)
        elif t.lemma in KEEP_VERBS:
            head = a.head(t)
            stopped = head != t and head.lemma in STOP_VERBS and _addressed_to_os1(a, head)
            if stopped or (
                (_negated(a, t) and _addressed_to_os1(a, t))
                or (_negated_by_want(a, t) and _wanted_by_me(a, t))
            ):
                found.append(t)
        elif t.lemma == "mind" and any(c.lemma == "never" for c in a.children(t)):
            found.append(t)
        elif t.lemma == "rid" and a.head(t).lemma == "get" and _addressed_to_os1(a, a.head(t)):
            found.append(t)  # "get rid of X"
    return found


def _negated_by_want(a: Analysis, t: Token) -> bool:
    head = a.head(t)
    no = _negated(a, head) or any(c.lemma == "no" for c in _children(a, head, "det"))
    return head != t and head.lemma in WANT_VERBS and no


def _wanted_by_me(a: Analysis, t: Token) -> bool:
    """ "I don't want you to…", "you don't need to…", "no need to…"; not "she doesn't want"."""
    subjects = _children(a, a.head(t), "nsubj")
    return not subjects or subjects[0].lower in ("i", "you")


def _target(a: Analysis, verb: Token) -> ForgetRequest | None:
    objects = [c for c in a.children(verb) if c.dep in ("dobj", "obj", "pobj", "attr")]
    if not objects:  # "forget what I said", "stop remembering where I live"
        objects = [c for c in a.children(verb) if c.dep in ("ccomp", "advcl")]
    if not objects:  # "don't hold on to that"
        objects = [
            g
            for c in a.children(verb)
            if c.dep == "prep" and c.lemma == "to"
            for g in a.children(c)
            if g.dep in ("pobj", "pcomp")
        ]
    if not objects:  # "delete the last thing I told you", parsed loosely
        objects = _children(a, verb, "npadvmod")
    if any(o.lemma in SKILL_THINGS for o in objects):
        return None
    if any(c.lemma == "ever" for c in a.children(verb)):
        return None  # "will you ever delete my data?": a question
    places = [g for c in _children(a, verb, "prep") if c.lemma == "from" for g in a.children(c)]
    if any(p.lemma not in MEMORY_PLACES and p.pos != "PRON" for p in places):
        return None  # "remove the milk from the shopping list"
    abouts = _about_objects(a, verb)
    if not objects:
        objects = [x for x in abouts if x.lemma in CONTAINERS]
    abouts = [x for x in abouts if x.lemma not in CONTAINERS]
    if not objects and not abouts:
        return None  # "never mind" on its own dismisses
    if abouts:
        return _named(a, abouts[0])
    obj = objects[0]
    if verb.lemma == "mind" and obj.pos in ("NOUN", "PROPN"):
        return None  # "never mind the mess": a dismissal
    if obj.lemma in CONTAINERS and any(c.lower in THAT for c in _children(a, obj, "det")):
        return ForgetRequest("that")  # "delete that memory"
    if obj.lemma in SKILL_THINGS:
        return None
    if obj.lower == "it" or obj.lemma == "it":
        if any(c.lemma == "all" for c in a.children(obj)):
            return ForgetRequest(None)  # "forget it all": all of what? ask
        return None  # "forget it": a dismissal
    if obj.lower in THAT or obj.lemma in THAT:
        if _more_after(a, verb):
            return None  # "scratch that, Wednesday": a correction
        return ForgetRequest("that")
    if obj.lower in ME:
        return None  # "don't forget me"
    if obj.lemma in CONTAINERS or obj.pos == "PRON" or obj.dep == "ccomp":
        words = {t.lemma for t in a.subtree(obj)}
        if words & THAT and not any(t.pos in ("NOUN", "PROPN") for t in a.subtree(obj)):
            return ForgetRequest("that")  # "any of that"
        if words & SAID and (words & RECENT or obj.lemma in ("what", "everything", "thing")):
            return ForgetRequest("that")
        if words & RECENT and obj.lemma in ("message", "thing", "bit", "part"):
            return ForgetRequest("that")
        if obj.lemma in ("everything", "all"):
            return ForgetRequest("everything")
        if obj.lemma in ("thing", "things") and not words & SAID:
            return None  # "do you ever forget things"
        if obj.lemma in UNCLEAR or obj.lemma == "where":
            return ForgetRequest(None)
        if {"where", "who", "when", "how"} & words:
            return ForgetRequest(None)  # "where I live": ask which memories
        return None
    if obj.lemma in ("message", "thing") and any(t.lemma in RECENT for t in a.subtree(obj)):
        return ForgetRequest("that")
    if verb.lemma == "clear" and not any(t.pos == "PROPN" for t in a.subtree(obj)):
        return None
    return _named(a, obj)


def _more_after(a: Analysis, verb: Token) -> bool:
    """Whether the sentence goes on after the request ("forget it, let's talk about…")."""
    last = max(t.i for t in a.subtree(verb) if t.dep != "punct" or t.i == verb.i)
    rest = [t for t in a.tokens if t.sent == verb.sent and t.i > verb.i]
    rest = [t for t in rest if t.pos != "PUNCT" and t.lemma not in POLITE]
    return any(t.i > last for t in rest) or any(
        t.dep in ("dep", "appos", "npadvmod", "conj", "parataxis") for t in rest
    )


def _about_objects(a: Analysis, verb: Token) -> list[Token]:
    """Objects of "about/of/regarding" anywhere under the request (not under a skill thing)."""
    found: list[Token] = []
    for t in _request_words(a, verb):
        if t.lemma in ABOUT and t.dep in ("prep", "advmod", "acl", "amod", "agent"):
            owner = a.head(t)
            if owner.lemma in SKILL_THINGS:
                return []
            for c in a.children(t):
                if c.dep in ("pobj", "pcomp", "dobj"):
                    found.append(c)
                elif c.dep == "prep":  # "related to X"
                    found.extend(g for g in a.children(c) if g.dep == "pobj")
    return found


def _request_words(a: Analysis, verb: Token) -> list[Token]:
    """The request's own words: not a clause that only follows it ("forget it, let's talk
    about dinner"), but the clause that says what was said ("what I told you about X")."""
    kept = [verb]
    for t in kept:
        for c in a.children(t):
            if c.dep in ("dep", "parataxis", "conj", "advcl", "npadvmod"):
                continue
            if c.dep in ("ccomp", "xcomp") and c.lemma not in SAID | KNOW:
                continue
            kept.append(c)
    return sorted(kept, key=lambda t: t.i)


def _named(a: Analysis, head: Token) -> ForgetRequest | None:
    if head.lower == "it":
        return None  # "forget about it": a dismissal
    if head.lemma in UNCLEAR or head.lower in UNCLEAR:
        return ForgetRequest(None)
    if head.lower in THAT:
        return ForgetRequest("that")
    if head.lower in ME:
        return ForgetRequest("everything")
    if head.lemma in SKILL_THINGS:
        return None
    # "my ex-wife" can come out as three objects of "about": they are one name.
    siblings = [s for s in a.children(a.head(head)) if s.dep == head.dep and s.i > head.i]
    words = [
        t
        for t in sorted(
            a.subtree(head) + [w for s in siblings for w in a.subtree(s)], key=lambda t: t.i
        )
        if not (t.dep in ("prep",) and t.lemma == "from") and not _under(a, t, head, "from")
    ]
    while words and (words[0].lower in STRIP_FRONT or words[0].pos == "PUNCT"):
        words = words[1:]
    while words and words[-1].pos == "PUNCT":
        words = words[:-1]
    if not words:
        return None
    entity = a.entity_at(words[0].i)
    person = entity is not None and entity.label == "PERSON"
    return ForgetRequest(text_of(words), person=person or words[0].pos == "PROPN")


def _under(a: Analysis, t: Token, top: Token, lemma: str) -> bool:
    """Whether `t` hangs under a `lemma` preposition between it and `top`."""
    while t.i != top.i and t.head != t.i:
        if t.lemma == lemma and t.dep == "prep":
            return True
        t = a.head(t)
    return False
