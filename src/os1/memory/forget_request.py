"""Requests to forget, read from the parse of the user's own words, not from a list of
sentences: a request verb (forget, delete, erase, "stop remembering", "don't keep", "never
mind"…) said to OS1 — an imperative, or "can you / I want you to …" — and its object or
"about" phrase, which names what to forget.

Not requests: questions about forgetting ("do you ever forget things?"), stories ("I forgot my
keys"), reminders ("don't forget to call mum"), dismissals ("forget it, let's talk about
dinner"), and deleting things that belong to a skill ("delete the reminder about …").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from os1.language import Analysis, Token
from os1.language.analysis import text_of

# The words are package data (os1/data/forget_words.json), not code: the reader is the
# structure below; the lists say which verbs and nouns play which part in it.
_WORDS = json.loads((resources.files("os1") / "data" / "forget_words.json").read_text("utf-8"))


def _words(key: str) -> frozenset[str]:
    return frozenset(_WORDS[key])


# Verbs that ask to forget on their own ("forget X", "delete X").
FORGET_VERBS = _words("forget_verbs")
# Verbs that can only mean forgetting: any object is what to forget ("forget the trip"). The
# others in FORGET_VERBS remove things in the world too ("wipe the floor", "drop me a line"), so
# they need an object that is clearly something said or known (see `_worldly`).
MENTAL_VERBS = _words("mental_verbs")
# Verbs that ask to forget when negated or stopped ("don't keep that", "stop remembering X").
KEEP_VERBS = _words("keep_verbs")
# "I want you to forget", "I'd rather you forgot".
WANT_VERBS = _words("want_verbs")
# "I'd appreciate it if you forgot X", "it'd be great if you could delete X".
WISH_HEADS = WANT_VERBS | _words("wish_heads")
# Verbs that put the request through someone: "make yourself forget X", "help me forget X".
CAUSE_VERBS = _words("cause_verbs")
# Verbs that carry a request in their complement: "would you mind deleting X", "try to forget".
FRAME_VERBS = _words("frame_verbs")
STOP_VERBS = _words("stop_verbs")
MODALS = _words("modals")
# Said as a statement, only these ask: "you can / should forget X"; "you'll forget about this"
# and "you might forget" predict, "you must forget a lot" guesses.
STATED_MODALS = _words("stated_modals")
# Where a request without a verb of forgetting still removes something from memory:
# "take Mona out of your memory", "get him out of your head".
OUT_OF = _words("out_of")
# Objects that belong to a skill, not to memory: "delete the reminder about the dentist".
SKILL_THINGS = _words("skill_things")
# Objects that only hold what to forget: "everything about X", "the part about X".
CONTAINERS = _words("containers")
ABOUT = _words("about")
THAT = _words("that")
# "that stuff", "those things": which of it? ask.
VAGUE = _words("vague")
# What the user says or OS1 knows; "delete the conversation about X" names memory, not a thing.
MEMORY_NOUNS = _words("memory_nouns")
# Of the verbs that also act on the world, these act on data: "delete my phone number" asks
# OS1 to forget it, "wipe my phone" or "drop my bag" does not.
DATA_VERBS = _words("data_verbs")
# The small model leaves some past forms as their own lemma ("forgot"); read them as the verb.
LEMMA_FIXES: dict[str, str] = _WORDS["lemma_fixes"]
UNCLEAR = _words("unclear")
SAID = _words("said")
KNOW = _words("know")
RECENT = _words("recent")
ME = _words("me")
POLITE = _words("polite")
# Where memories are ("remove X from your memory"); "from the shopping list" is elsewhere.
MEMORY_PLACES = _words("memory_places")
STRIP_FRONT = _words("strip_front")


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
    return _wanted_gone(analysis)


def _lemma(t: Token) -> str:
    return LEMMA_FIXES.get(t.lemma, t.lemma)


def _children(a: Analysis, t: Token, *deps: str) -> list[Token]:
    return [c for c in a.children(t) if not deps or c.dep in deps]


def _negated(a: Analysis, t: Token) -> bool:
    return any(c.dep == "neg" or c.lemma in ("never", "not") for c in a.children(t))


def _addressed_to_os1(a: Analysis, verb: Token) -> bool:
    """An imperative, or a request to "you": "can you…", "I want you to…", "you can…"."""
    subjects = _children(a, verb, "nsubj", "nsubjpass")
    past = verb.tag in ("VBD", "VBZ", "VBG", "VBN") and verb.lower != _lemma(verb)
    if past and verb.dep in ("ROOT", "conj"):
        # "I forgot my keys", "she forgets"; but "I'd rather you forgot about X" is a wish.
        head = a.head(verb)
        if not (verb.tag == "VBD" and subjects and subjects[0].lower == "you" and head != verb):
            return False
    if not subjects:
        head = a.head(verb)
        if verb.dep == "xcomp" and head.lemma in FRAME_VERBS and head != verb:
            return _addressed_to_os1(a, head)  # "would you mind deleting X", "try to forget X"
        if verb.dep not in ("ROOT", "conj"):
            # "I've changed my mind, delete what I told you": an imperative after a comma,
            # bare (no "to", no modal, no "if"); not "I tend to forget names".
            bare = verb.tag == "VB" and not _children(a, verb, "aux", "mark", "auxpass")
            after_pause = verb.i > 0 and a.tokens[verb.i - 1].lower in (",", ";", "-", ":")
            return bare and after_pause and verb.dep in ("advcl", "ccomp", "parataxis", "dep")
        return verb.tag in ("VB", "VBP", "NN", "NNP", "JJ") or verb.i == 0 or not past
    subject = subjects[0].lower
    auxes = {c.lemma for c in _children(a, verb, "aux")}
    asked = any(c.i < subjects[0].i for c in _children(a, verb, "aux"))
    if subject == "we" and asked and auxes & MODALS:
        subject = "you"  # "can we delete what I said about X?"
    head = a.head(verb)
    if subject == "yourself" and head != verb and head.lemma in CAUSE_VERBS:
        return _addressed_to_os1(a, head)  # "can you make yourself forget X"
    if subject != "you":
        return False
    if auxes & (MODALS if asked else STATED_MODALS):
        first = next(t for t in a.tokens if t.sent == verb.sent)
        return first.lemma not in ("how", "why", "what", "when", "where")  # "how can you…"
    # "I want you to forget", "I'd rather you didn't keep", "I'd appreciate it if you forgot",
    # "is it possible for you to forget".
    return head != verb and (
        head.lemma in WISH_HEADS
        or any(c.lemma in WISH_HEADS for c in _children(a, head, "acomp"))
        or any(c.lemma in WANT_VERBS for c in a.children(head))
        or any(c.lemma in WANT_VERBS for c in a.children(verb))
    )


def _request_verbs(a: Analysis) -> list[Token]:
    found: list[Token] = []
    for t in a.tokens:
        if t.pos not in ("VERB", "AUX", "NOUN", "PROPN", "ADJ", "INTJ", "X") and t.dep != "ROOT":
            continue
        if _lemma(t) in FORGET_VERBS:
            if _negated(a, t) or _negated_by_want(a, t):
                continue  # "don't forget to…", "don't delete my notes"
            if _addressed_to_os1(a, t):
                found.append(t)
        elif t.lemma in KEEP_VERBS and _not_needed(a, t):
            found.append(t)  # "you don't have to remember X", "you don't need to keep that"
        elif t.lemma in KEEP_VERBS:
            head = a.head(t)
            # "stop remembering X", "don't bother remembering X".
            stopping = head.lemma in STOP_VERBS or (head.lemma == "bother" and _negated(a, head))
            stopped = head != t and stopping and _addressed_to_os1(a, head)
            if stopped or (
                (_negated(a, t) and _addressed_to_os1(a, t))
                or (_negated_by_want(a, t) and _wanted_by_me(a, t))
            ):
                found.append(t)
        elif t.lemma == "mind" and any(c.lemma == "never" for c in a.children(t)):
            found.append(t)
        elif t.lemma == "rid" and a.head(t).lemma == "get" and _addressed_to_os1(a, a.head(t)):
            found.append(t)  # "get rid of X"
        elif t.lemma == "rid" and _bare_get_rid(a, t):
            found.append(t)  # "get rid of X", parsed as a passive
        elif t.lemma == "pretend" and _never_said(a, t) and _addressed_to_os1(a, t):
            found.append(t)  # "pretend I never told you about X"
        elif _takes_back(a, t):
            found.append(t)  # "I take back what I said about X": the user withdraws it
        elif t.pos == "VERB" and _out_of_memory(a, t) and _addressed_to_os1(a, t):
            found.append(t)  # "take Mona out of your memory", "get him out of your head"
        elif _lets_go_of(a, t):
            found.append(t)  # "let go of what I told you about X"
    return found


def _lets_go_of(a: Analysis, go: Token) -> bool:
    """ "(I'd like you to) let go of X", said to OS1: read as "forget", with X held to what a
    verb acting on the world needs (`_worldly`): something said or known ("what I told you
    about X", "the thing about my job"), not "the rope" or "the past"."""
    let = a.head(go)
    if go.lemma != "go" or let == go or let.lemma != "let" or _negated(a, let):
        return False
    if _children(a, go, "nsubj") or _children(a, let, "dobj"):
        return False  # "let me go", "let's go": someone else goes
    if not any(c.lemma == "of" for c in _children(a, go, "prep")):
        return False
    if _addressed_to_os1(a, let):
        return True
    # "I'd like you to let go of X": "you" is the wish's object, "let" its complement.
    wish = a.head(let)
    return (
        let.dep == "xcomp"
        and wish.lemma in WANT_VERBS
        and not _negated(a, wish)
        and any(c.lower == "you" for c in _children(a, wish, "dobj"))
    )


def _of_phrasal(a: Analysis, of: Token) -> bool:
    """The "of" of "get rid of X" and "let go of X": it takes the object, not a topic."""
    owner = a.head(of)
    return of.lemma == "of" and (
        owner.lemma == "rid" or (owner.lemma == "go" and _lets_go_of(a, owner))
    )


def _wanted_gone(a: Analysis) -> ForgetRequest | None:
    """ "I'd like everything about X deleted", "I want my address erased": the user's wish
    that something be forgotten, with the forgetting verb as a passive participle."""
    for t in a.tokens:
        if _lemma(t) not in FORGET_VERBS or t.tag not in ("VBN", "VBD") or _negated(a, t):
            continue
        if _children(a, t, "auxpass", "aux"):
            continue  # "I want what was deleted back": a participle of its own clause
        if not _out_of_memory(a, t) and _children(a, t, "prep", "prt", "advmod", "dative"):
            continue  # "I want Sarah removed from the group", "Jake dropped off at school"
        wish, steps = a.head(t), 0
        while wish.lemma not in WANT_VERBS and wish != a.head(wish) and steps < 3:
            wish, steps = a.head(wish), steps + 1
        if wish.lemma not in WANT_VERBS or _negated(a, wish):
            continue
        if not any(s.lower in ("i", "we") for s in _children(a, wish, "nsubj")):
            continue  # "she wants her posts deleted"
        things = _children(a, wish, "dobj") or _children(a, t, "nsubj", "nsubjpass")
        if not things:
            continue
        thing = things[0]
        if thing.lemma in SKILL_THINGS or _skill_compound(a, thing) or _worldly(a, t, thing):
            return None  # "I want the reminder deleted", "I'd like the trash removed"
        words = [w for w in a.subtree(thing) if w.i != t.i and w.pos != "PUNCT"]
        return _phrase_target(a, words)
    return None


def _phrase_target(a: Analysis, words: list[Token]) -> ForgetRequest | None:
    """What a phrase names as the thing to forget: "everything about X" is X, "that" the last
    thing said, "everything" all of it, otherwise the phrase itself."""
    if not words:
        return None
    if words[0].lemma in CONTAINERS:
        for k, w in enumerate(words):
            if w.lemma in ABOUT and k + 1 < len(words):
                return _named(a, words[k + 1]) if len(words) == k + 2 else _plain(a, words[k + 1 :])
        if words[0].lower in THAT:
            return ForgetRequest("that")
        if words[0].lemma in ("everything", "all"):
            return ForgetRequest("everything")
        return ForgetRequest(None)
    return _plain(a, words)


def _plain(a: Analysis, words: list[Token]) -> ForgetRequest | None:
    while words and words[0].lower in STRIP_FRONT:
        words = words[1:]
    if not words:
        return None
    if len(words) == 1:
        return _named(a, words[0])
    entity = a.entity_at(words[0].i)
    person = entity is not None and entity.label == "PERSON"
    return ForgetRequest(text_of(words), person=person or words[0].pos == "PROPN")


def _never_said(a: Analysis, t: Token) -> bool:
    return any(
        c.dep == "ccomp"
        and c.lemma in SAID
        and _negated(a, c)
        and _children(a, c, "nsubj")
        and _children(a, c, "nsubj")[0].lower == "i"
        for c in a.children(t)
    )


def _takes_back(a: Analysis, t: Token) -> bool:
    """ "(I) take back what I said about X": withdrawing one's own words, now. Only with the
    words said as object; "I take that back" is a correction, read by the fact layer."""
    if t.lemma != "take" or t.tag not in ("VB", "VBP") or _negated(a, t):
        return False
    if not any(c.lemma == "back" and c.dep in ("advmod", "prt") for c in a.children(t)):
        return False
    said = any(c.dep == "ccomp" and c.lemma in SAID for c in a.children(t))
    subjects = _children(a, t, "nsubj")
    return said and all(s.lower in ("i", "you") for s in subjects)


def _out_of_memory(a: Analysis, verb: Token) -> bool:
    """ "… out of your memory", "… from your mind": the phrase itself says what to do."""
    for c in _children(a, verb, "prep", "prt", "advmod"):
        if c.lemma not in OUT_OF:
            continue
        places = [g for g in a.subtree(c) if g.dep == "pobj"]
        if any(p.lemma in MEMORY_PLACES for p in places):
            return True
    return False


def _not_needed(a: Analysis, t: Token) -> bool:
    """ "You don't have to / needn't remember X": said to OS1, not "I don't have to"."""
    head = a.head(t)
    if head == t or head.lemma not in ("have", "need") or not _negated(a, head):
        return False
    subjects = _children(a, head, "nsubj")
    return bool(subjects) and subjects[0].lower == "you" and not _negated(a, t)


def _bare_get_rid(a: Analysis, rid: Token) -> bool:
    gets = [c for c in a.children(rid) if c.lemma == "get" and c.dep in ("auxpass", "aux")]
    subjects = _children(a, rid, "nsubj", "nsubjpass")
    return bool(gets) and gets[0].tag == "VB" and not subjects and rid.dep == "ROOT"


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
    if verb.lemma in ("rid", "go"):  # "get rid of X", "let go of X": X is the object
        objects = [g for c in _children(a, verb, "prep") if c.lemma == "of" for g in a.children(c)]
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
    if any(o.lemma in SKILL_THINGS or _skill_compound(a, o) for o in objects):
        return None  # "delete the reminder", "delete my calendar entry"
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
    if _worldly(a, verb, obj):
        return None  # "wipe the floor", "drop me a line", "clear the air"
    if obj.lemma in CONTAINERS:
        # "my details", "the whole Tessa thing": the owner or the name is the target.
        owner = [c for c in a.children(obj) if c.dep == "poss" and c.lower in ("my", "our")]
        names = [c for c in a.children(obj) if c.dep == "compound" and c.pos == "PROPN"]
        if names:
            return _named(a, names[0])
        if owner and obj.lemma not in THAT | {"all", "everything", "what"}:
            return _named(a, obj)
    if verb.lemma == "mind" and obj.pos in ("NOUN", "PROPN"):
        return None  # "never mind the mess": a dismissal
    if obj.lemma in CONTAINERS and any(c.lower in THAT for c in _children(a, obj, "det")):
        if obj.lemma in VAGUE or obj.tag == "NNS":
            return ForgetRequest(None)  # "delete that stuff": which of it? ask
        return ForgetRequest("that")  # "delete that memory"
    if obj.lemma in SKILL_THINGS:
        return None
    if obj.lower == "it" or obj.lemma == "it":
        if any(c.lemma == "all" for c in a.children(obj)):
            return ForgetRequest(None)  # "forget it all": all of what? ask
        told = _told_earlier(a, verb)
        if told is not None:
            return told  # "I regret telling you about X, please forget it"
        if verb.lemma in DATA_VERBS | {"wipe"} and not _more_after(a, verb):
            return ForgetRequest(None)  # "delete it": something is meant; ask which
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
        if obj.dep == "ccomp" and obj.lemma in SAID:
            # "scrap what I said", "forget I said anything": the last thing said;
            # "forget I mentioned Jules": what was said.
            said = [c for c in _children(a, obj, "dobj") if c.lemma not in CONTAINERS | UNCLEAR]
            if said and said[0].pos in ("NOUN", "PROPN"):
                return _named(a, said[0])
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


def _told_earlier(a: Analysis, verb: Token) -> ForgetRequest | None:
    """What "it" points back to in the same message: the subject of an earlier "I told you
    about X" ("I regret telling you about X, please forget it")."""
    for t in a.tokens[: verb.i]:
        if t.lemma not in SAID:
            continue
        for prep in _children(a, t, "prep"):
            if prep.lemma in ABOUT:
                named = [g for g in a.children(prep) if g.dep == "pobj"]
                if named:
                    return _named(a, named[0])
    return None


def _skill_compound(a: Analysis, t: Token) -> bool:
    return any(c.dep == "compound" and c.lemma in SKILL_THINGS for c in a.children(t))


def _worldly(a: Analysis, verb: Token, obj: Token) -> bool:
    """Whether a verb that also acts on the world ("wipe", "clear", "drop") has a thing of the
    world for object, not something said or known: "wipe the floor", not "wipe my memory"."""
    if verb.lemma in MENTAL_VERBS or obj.pos != "NOUN" or obj.lemma in CONTAINERS | MEMORY_NOUNS:
        return False
    if _out_of_memory(a, verb):
        return False
    if {t.lemma for t in a.subtree(obj)} & (SAID | KNOW):
        return False  # "the story I told you"
    mine = any(c.dep == "poss" and c.lower in ("my", "our") for c in a.children(obj))
    return not (mine and verb.lemma in DATA_VERBS)


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
        owner = a.head(t)
        if _of_phrasal(a, t):
            continue  # "get rid of X", "let go of X" (see `_target`)
        # "the thing with Ingrid": "with" names the subject only after a container.
        holder = owner.lemma in CONTAINERS or any(
            c.lemma in CONTAINERS for c in _children(a, owner, "dobj")
        )
        with_ = t.lemma == "with" and t.dep == "prep" and holder
        if (t.lemma in ABOUT or with_) and t.dep in ("prep", "advmod", "acl", "amod", "agent"):
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
