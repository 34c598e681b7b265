"""The small-model profile: what keeps a 135M-parameter model sounding like itself.

A tiny model copies whatever is in its prompt, drifts in long replies and slips into the
user's life ("Catherine. She's my ex-wife"). So, with it: a compact persona with a few example
exchanges, only the last few turns of history, short replies trimmed to the last whole
sentence, sentences it already said dropped, and a reply that speaks as the user or as a
human with a life replaced by a short, honest one OS1 composes itself.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import AsyncGenerator, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import cast

from os1 import language
from os1.config import Settings
from os1.language import Analysis, Token
from os1.mind import safety
from os1.mind.persona import Identity
from os1.models.base import ChatModel, Message

# Messages of history kept: two exchanges are context enough, and older replies are what a
# small model copies its drift from.
HISTORY_MESSAGES = 4
# Short replies drift less; a sentence or two fits comfortably.
MAX_REPLY_TOKENS = 60
# Replies shorter than this after cleaning are not worth sending.
MIN_REPLY_CHARS = 12


def profile_enabled(settings: Settings, model: ChatModel) -> bool:
    """On for the embedded model, off for models behind a server, unless set."""
    if settings.small_model_profile is not None:
        return settings.small_model_profile
    return model.backend == "llamacpp"


@functools.cache
def _persona_source() -> tuple[str, tuple[tuple[str, str], ...]]:
    text = (resources.files("os1") / "data" / "small_persona.md").read_text(encoding="utf-8")
    system, _, examples = text.partition("\n---\n")
    shots: list[tuple[str, str]] = []
    for line in examples.splitlines():
        role, sep, content = line.partition(": ")
        if sep and role in ("user", "assistant"):
            shots.append((role, content.strip()))
    return system.strip(), tuple(shots)


def persona_messages(identity: Identity, today: date) -> list[Message]:
    """The compact system prompt and its example exchanges. Pure, so the prefix stays cached."""
    system, shots = _persona_source()
    values = {
        "name": identity.companion_name,
        "user_name": identity.user_name or "the user",
        "today": today.strftime("%A %d %B %Y"),
    }
    for key, value in values.items():
        system = system.replace("{" + key + "}", value)
    messages = [Message("system", system)]
    messages += [Message("user" if role == "user" else "assistant", c) for role, c in shots]
    return messages


def window_start(history: Sequence[tuple[int, str]], anchor: int | None) -> int:
    """Where the last one or two exchanges start in `history` ((message id, role), oldest
    first): at `anchor`, the id the window started at last turn, while that keeps at most
    HISTORY_MESSAGES; otherwise at the last exchange's user message.

    The window's start moves by two exchanges at a time, not one: between moves the next
    prompt begins with the previous one (its reply included), so the model reuses its cached
    tokens and evaluates only the new message. Moving by one exchange every turn changed
    everything after the persona, and the tiny model re-read it all each time (about 0.5 s a
    turn on two cores, most of a spoken reply's wait). The start is kept as a message id, not
    counted from the history's length: past the lines read for a prompt (a fixed number),
    that length stops growing, and the window slid every turn."""
    ids = [memory_id for memory_id, _ in history]
    if anchor is not None and anchor in ids:
        start = ids.index(anchor)
        if len(history) - start <= HISTORY_MESSAGES:
            return start
    start = max(0, len(history) - HISTORY_MESSAGES // 2)
    while start < len(history) and history[start][1] != "user":
        start += 1
    return start


def reply_tokens(settings: Settings) -> int:
    return min(settings.max_reply_tokens, MAX_REPLY_TOKENS)


# -- checking a reply ------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?\u2026]+(?:[.!?\u2026]+[\"')\]]*|$)")
_ENDED = re.compile(r"[.!?\u2026][\"')\]]*$")
_WORD = re.compile(r"[a-z0-9']+")

_RELATIONS = (
    r"(?:ex-?wife|ex-?husband|ex|wife|husband|partner|boyfriend|girlfriend|fianc[eé]e?|"
    r"mother|mum|mom|father|dad|mama|papa|parents?|sister|brother|siblings?|son|daughter|"
    r"kids?|children|child|baby|grandma|grandmother|grandpa|grandfather|grandparents?|"
    r"aunt|uncle|cousin|niece|nephew|family|friends?|best friend|boss|colleagues?|coworkers?|"
    r"neighbou?rs?|roommate|flatmate|dog|cat|pet)"
)
_LIFE_THINGS = (
    r"(?:job|work|office|career|salary|house|home|flat|apartment|car|bike|garden|kitchen|"
    r"bed|body|hands?|feet|face|hair|birthday|wedding|childhood|school|university|hometown|"
    r"room|phone|weekend|holiday|vacation|trip)"
)
# Feelings the user just said about themselves, which the model echoes as its own.
_FEELING = (
    r"(?:lonely|alone|sad|tired|exhausted|anxious|stressed|depressed|happy|okay|ok|fine|"
    r"excited|nervous|scared|angry|bored|sick|ill|hungry|sleepy|lost|overwhelmed)"
)
_FEELING_SAID = re.compile(
    r"\b(?:i(?: a|')?m |feeling |a (?:little|bit) |so |very |really )+("
    + _FEELING
    + r")\b|\bi feel (?:so |very |really |a (?:little|bit) )?("
    + _FEELING
    + r")\b",
    re.IGNORECASE,
)
_NEUTRAL = frozenset({"okay", "ok", "fine"})


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def same_sentence(a: str, b: str) -> bool:
    """The same sentence, give or take a word or punctuation."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    if wa == wb:
        return True
    sa, sb = set(wa), set(wb)
    small = min(len(sa), len(sb))
    return small >= 3 and len(sa & sb) / len(sa | sb) >= 0.8


# -- speaking as the user, or as a human with a life -------------------------------------------
#
# Read on the parse of each reply sentence (os1.language), with the vocabulary in
# data/human_life.json: a first-person owner ("my", "our", "of mine") of a relation, a body
# part, a home or a job; "I"/"we" as the subject of a verb of bodily or social life that is
# not hypothetical ("I'd love to hear"), negated ("I don't eat") or a question; a human's
# state or role ("I'm married", "I'm a nurse"); the user's own feeling or a person the user
# named taken as the model's own ("I love Catherine", "I love her").


@functools.cache
def _life() -> dict[str, frozenset[str]]:
    raw = json.loads((resources.files("os1") / "data" / "human_life.json").read_text("utf-8"))
    return {k: frozenset(v) for k, v in raw.items() if isinstance(v, list)}


_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i'd|i'll|i've|me|my|mine|we|we're|we'll|our|us)\b")
_SUBJECT_FIRST = frozenset({"i", "we"})
_OWNER_FIRST = frozenset({"my", "our", "mine", "ours"})
_MODAL = frozenset({"can", "could", "would", "'d", "should", "might", "may", "must", "ca"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})
_CHAIN = frozenset({"xcomp", "conj", "advcl", "ccomp"})  # whose subject is the head's
_PEOPLE_PRONOUNS = frozenset({"her", "him"})
_WILL = frozenset({"will", "'ll", "shall"})
# What a verb of life needs beside it to be an outing rather than talk ("I went through it").
_GOING = frozenset({"go", "come", "head", "get"})
_GOING_TO = frozenset({"to", "out", "home", "back", "for", "on", "away", "up", "there", "off"})
_LOOSE = frozenset({"have", "take", "get", "spend", "grab", "lose", "work", "raise"})
# Words that put a sentence in OS1's own frame ("I live on your computer, as an AI").
_AI_FRAME = frozenset({"ai", "assistant", "computer", "program", "software"})


def _first_person_subject(a: Analysis, verb: Token) -> Token | None:
    """The "I"/"we" this verb's clause is about, following "going to go and meet" upwards."""
    seen = 0
    while seen < 6:
        for child in a.children(verb):
            if child.dep in _SUBJECTS:
                return child if child.lemma in _SUBJECT_FIRST else None
        if verb.dep not in _CHAIN or verb.head == verb.i:
            return None
        verb = a.head(verb)
        seen += 1
    return None


def _hedged(a: Analysis, verb: Token) -> bool:
    """Hypothetical, negated, conditional or asked, here or in the clauses it hangs from."""
    seen = 0
    while True:
        for child in a.children(verb):
            if child.dep == "neg" or (child.dep == "aux" and child.lower in _MODAL):
                return True
            if child.dep == "mark" and child.lower in ("if", "unless", "when", "whenever"):
                return True
            if child.dep == "aux" and child.lower in ("do", "does", "did") and child.i < verb.i:
                # "Do I sleep?" asks; "I did go" does not
                if not any(c.dep in _SUBJECTS and c.i < child.i for c in a.children(verb)):
                    return True
        if any(c.dep in _SUBJECTS for c in a.children(verb)):
            return False  # its own clause: what it hangs from is another statement
        if verb.dep not in _CHAIN or verb.head == verb.i or seen >= 6:
            return False
        verb = a.head(verb)
        seen += 1
        if verb.lemma == "wait":  # "I can't wait to see her": eager, not hedged
            return False


def _a_life_verb(a: Analysis, verb: Token, life: dict[str, frozenset[str]]) -> bool:
    if verb.pos not in ("VERB", "AUX"):
        return False
    if verb.lemma not in life["life_verbs"] and verb.lower not in life["life_verbs"]:
        return False
    kids = list(a.children(verb))
    if verb.lemma in _GOING and not (verb.lemma == "get" and any(c.dep == "dobj" for c in kids)):
        if verb.lemma == "go" and any(c.dep == "xcomp" for c in kids):
            return False  # "going to" as the future: the verb after it decides
        if not any(c.lower in _GOING_TO or c.lemma in life["home"] for c in kids):
            if verb.lemma != "get" or not any(c.lemma in life["states"] for c in kids):
                return False
    if verb.lemma in _LOOSE:
        # "I have a cat", "I took my cat", "I work at": only with a thing of a life beside it
        things = life["relations"] | life["home"] | life["life"] | life["body"]
        near = [t for c in kids for t in a.subtree(c) if c.dep not in _SUBJECTS]
        if any(t.dep == "acl" and t.lemma in ("call", "name") for t in near):
            return True  # "I've got a retriever called Max"
        if not any(t.lemma in things for t in near) and not (
            verb.lemma == "work" and any(c.lower in ("at", "as", "for") for c in kids)
        ):
            return False
    if verb.lemma == "see" and any(c.dep == "aux" and c.lower in _WILL for c in kids):
        return True  # "I'll see you next week": a meeting in person
    if verb.lemma == "see" and not any(c.dep == "dobj" and c.pos == "PROPN" for c in kids):
        if not any(c.dep == "dobj" and c.lemma in _PEOPLE_PRONOUNS | {"someone"} for c in kids):
            return False
    return True


def _owned(a: Analysis, owner: Token, life: dict[str, frozenset[str]]) -> bool:
    """ "my mother", "my ex-wife", "a friend of mine", "our house": owned by the speaker."""
    things = life["relations"] | life["body"] | life["home"] | life["life"]
    if owner.lower in ("mine", "ours"):
        head = a.head(owner)
        if head.lower == "of" and a.head(head).lemma in things:
            return True
        return False
    head = a.head(owner)
    words = [t for t in a.tokens[owner.i + 1 : head.i + 1] if t.sent == owner.sent]
    words += [t for t in a.tokens[head.i + 1 : head.i + 3] if t.text == "-" or t.dep == "attr"]
    if not any(t.lemma in things or t.lower in things for t in words):
        return False
    if head.lemma in ("job", "work") and head.dep == "nsubj":
        # "My job is keeping you company": OS1's own work, which is the user
        if any(t.lower in ("you", "your") for t in a.subtree(a.head(head))):
            return False
    # "I'm here for you, my friend": a term of address, not a relation
    before = a.tokens[owner.i - 1] if owner.i else None
    return not (before is not None and before.text == "," and head.lemma == "friend")


def _names(user: Analysis) -> set[str]:
    """People the user named: entities, and proper nouns that do not open a sentence."""
    names = {e.text.lower() for e in user.entities if e.label == "PERSON"}
    for t in user.tokens:
        if t.pos == "PROPN" and t.i and user.tokens[t.i - 1].sent == t.sent:
            names.add(t.lower)
    return names


def _life_in(a: Analysis, user: Analysis, names: set[str]) -> bool:
    life = _life()
    user_words = {t.lemma for t in user.tokens} | {t.lower for t in user.tokens}
    framed = any(t.lemma in _AI_FRAME for t in a.tokens)
    for t in a.tokens:
        if t.lower in _OWNER_FIRST and _owned(a, t, life):
            return True
        if t.lower in ("i", "me") and t.dep == "conj" and a.head(t).lower in names:
            return True  # "Anna and I": a couple out of the user's life
        if t.dep in _SUBJECTS or t.pos not in ("VERB", "AUX", "ADJ", "NOUN"):
            continue
        if framed:
            continue
        subject = _first_person_subject(a, t) if t.pos in ("VERB", "AUX") else None
        if t.dep in ("acomp", "attr", "oprd"):
            subject = _first_person_subject(a, a.head(t))
            if subject is None or _hedged(a, a.head(t)):
                continue
            if t.lemma in life["states"] or t.lower in life["states"]:
                return True
            if t.dep == "attr" and t.lemma in life["roles"]:
                if not any(c.lower in ("your", "an") or c.lemma == "ai" for c in a.children(t)):
                    return True
            if t.lemma in life["feelings"] and t.lemma in user_words:
                return True  # the user's feeling, taken as the model's own
            continue
        if subject is None or _hedged(a, t):
            continue
        if t.lemma == "feel":
            for c in a.children(t):
                if c.lemma in life["feelings"] and c.lemma in user_words:
                    return True
        if t.lemma in life["states"] and t.tag == "VBN":  # "I was born", "I got married"
            return True
        if _a_life_verb(a, t, life):
            return True
        if t.lemma in life["people_verbs"]:
            for c in a.children(t):
                if c.dep == "dobj" and (c.lower in _PEOPLE_PRONOUNS or c.lower in names):
                    return True
    return False


@functools.lru_cache(maxsize=64)
def _parsed(analyzer: Hashable, text: str) -> Analysis:
    return cast(language.Analyzer, analyzer).analyze(text)


def _analysis(text: str) -> Analysis:
    """The parse of `text`, kept a while: the user's message is read for every sentence."""
    return _parsed(cast(Hashable, language.analyzer()), text)


def speaks_as_user_or_human(
    reply: str, user_text: str = "", user_names: Iterable[str] = ()
) -> bool:
    """True when the reply claims a human life or the user's own relations and feelings."""
    if safety.claims_human(reply):
        return True
    lowered = reply.lower().replace("\u2019", "'")
    names = {n.lower() for n in user_names}
    user = _analysis(user_text)
    names |= _names(user)
    if not _FIRST_PERSON.search(lowered) and not any(n in lowered for n in names):
        return False  # nobody in it is the speaker: no parse needed
    return _life_in(_analysis(reply), user, names)


_HARD_NEWS = re.compile(
    r"\b(?:lonely|alone|sad|tired|exhausted|anxious|stressed|depressed|nervous|scared|angry|"
    r"sick|ill|died|dead|death|passed away|lost|loss|miss|missing|divorced?|badly|worse|hurt|"
    r"grey|gray|strict|rude|awful|terrible|allergic)\b",
    re.IGNORECASE,
)
_CHEERS = re.compile(
    r"^\W*(?:that(?:'s| is) (?:wonderful|great|lovely|amazing|fantastic|awesome)|"
    r"(?:i'm|i am) (?:so )?glad(?: to hear)?|how (?:wonderful|lovely)|congratulations)\b",
    re.IGNORECASE,
)
_CONDOLENCE = re.compile(r"\bsorry for your loss\b", re.IGNORECASE)
_GRIEF = re.compile(r"\b(?:died|dead|death|passed away|lost|loss|funeral)\b", re.IGNORECASE)


def mistimed(sentence: str, user_text: str) -> bool:
    """Cheer at hard news, or condolences where nobody died: the tiny model's stock phrases."""
    if _CHEERS.search(sentence) and _HARD_NEWS.search(user_text):
        return True
    return bool(_CONDOLENCE.search(sentence)) and not _GRIEF.search(user_text)


@dataclass
class Checked:
    """A reply after the profile's checks; `issues` name what was changed, for the record."""

    text: str
    issues: list[str] = field(default_factory=list)

    @property
    def replaced(self) -> bool:
        """The model's words were not OS1's own: nothing of them was kept."""
        return "replaced" in self.issues

    @property
    def role_confusion(self) -> bool:
        return "role_confusion" in self.issues


# A last word that leaves the sentence hanging even when the model stopped there.
_DANGLING = re.compile(
    r"\b(?:and|or|but|so|then|the|a|an|to|of|with|for|in|on|at|my|your|i|is|are|was|that|"
    r"because|if|when|about|from|by)\W*$",
    re.IGNORECASE,
)
_COMPLETE = re.compile(r"^.*[.!?\u2026][\"')\]]*(?=\s)", re.DOTALL)


class SentenceGate:
    """Lets a streamed reply through one whole sentence at a time.

    A sentence already said (earlier in the conversation or in this reply) is dropped; one
    that speaks as the user or as a human stops the reply there; an unfinished last sentence
    is never let out. A reply with nothing left becomes an honest fallback.
    """

    def __init__(
        self, user_text: str, earlier_replies: Sequence[str] = (), user_name: str | None = None
    ) -> None:
        self.user_text = user_text
        self.said = [s for r in earlier_replies for s in split_sentences(r)]
        self.names = [user_name] if user_name else []
        self.accepted: list[str] = []
        self.issues: list[str] = []
        self.stopped = False
        self._buffer = ""

    def _note(self, issue: str) -> None:
        if issue not in self.issues:
            self.issues.append(issue)

    def _check(self, sentences: Iterable[str]) -> list[str]:
        out: list[str] = []
        for sentence in sentences:
            if self.stopped:
                break
            if any(same_sentence(sentence, old) for old in [*self.said, *self.accepted]):
                self._note("repeat")
                continue
            if mistimed(sentence, self.user_text):
                self._note("tone")
                continue
            if speaks_as_user_or_human(sentence, self.user_text, self.names):
                self._note("role_confusion")
                self.stopped = True
                break
            self.accepted.append(sentence)
            out.append(sentence)
        return out

    def feed(self, piece: str) -> list[str]:
        """The sentences completed by this piece that may be shown."""
        if self.stopped:
            return []
        self._buffer += piece
        match = _COMPLETE.match(self._buffer)
        if match is None:
            return []
        complete, self._buffer = match.group(0), self._buffer[match.end() :]
        return self._check(split_sentences(" ".join(complete.split())))

    def finish(self, ended: bool) -> list[str]:
        """What is left when the model stops; `ended` says it stopped on its own, not at the
        token limit, so a last sentence without a full stop is still whole."""
        rest = " ".join(self._buffer.split())
        self._buffer = ""
        out: list[str] = []
        if rest and not self.stopped:
            tail = split_sentences(rest)
            if tail and not _ENDED.search(tail[-1]):
                if ended and len(tail[-1]) >= MIN_REPLY_CHARS and not _DANGLING.search(tail[-1]):
                    tail[-1] += "."
                else:
                    tail.pop()
                    self._note("cut_off")
            out = self._check(tail)
        if len(" ".join(self.accepted)) < MIN_REPLY_CHARS:
            if not self.role_confusion_seen:
                self._note("empty")
            self._note("replaced")
            self.accepted = []
            fallback = fallback_reply(self.user_text, self.said)
            self.accepted.append(fallback)
            return [fallback]
        return out

    @property
    def role_confusion_seen(self) -> bool:
        return "role_confusion" in self.issues

    @property
    def text(self) -> str:
        return " ".join(self.accepted)


async def gated(
    stream: AsyncGenerator[str, None], gate: SentenceGate, max_tokens: int
) -> AsyncGenerator[str, None]:
    """The model's stream, let out a whole sentence at a time through `gate`."""
    pieces = 0
    first = True
    async with contextlib.aclosing(stream):
        async for piece in stream:
            pieces += 1
            for sentence in gate.feed(piece):
                yield sentence if first else " " + sentence
                first = False
            if gate.stopped:
                break  # closing the stream stops generation at the next token
    for sentence in gate.finish(ended=not gate.stopped and pieces < max_tokens):
        yield sentence if first else " " + sentence
        first = False


def check_reply(
    reply: str,
    *,
    user_text: str,
    earlier_replies: Sequence[str] = (),
    user_name: str | None = None,
    ended: bool = False,
) -> Checked:
    """A whole reply through the gate: whole sentences, no repeats, nobody else's life."""
    gate = SentenceGate(user_text, earlier_replies, user_name)
    gate.feed(reply)
    gate.finish(ended)
    return Checked(gate.text, gate.issues)


# -- the fallback ----------------------------------------------------------------------------

_GREETING = re.compile(r"^\W*(?:hi|hello|hey|good (?:morning|afternoon|evening))\b", re.I)
_TOLD_ABOUT = re.compile(
    r"\bmy (?:(?:ex-?)?[a-z]+ )?(" + _RELATIONS + r"|" + _LIFE_THINGS + r")\b", re.IGNORECASE
)
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:what|who|where|when|why|how|do|does|can|could|would)\b", re.IGNORECASE
)

_FALLBACKS: dict[str, tuple[str, ...]] = {
    "greeting": (
        "Hi, it's good to hear from you. How are you feeling today?",
        "Hello again. What's on your mind today?",
        "Hey, I'm glad you're here. How has your day been?",
    ),
    "feeling": (
        "Thank you for telling me you're feeling {feeling}. I'm here with you; what's been "
        "on your mind?",
        "Feeling {feeling} is hard. Do you want to tell me more about it?",
        "I'm glad you said so. What would help a little while you're feeling {feeling}?",
    ),
    "told": (
        "Thank you for telling me about your {thing}. How do you feel about that?",
        "I'll keep that in mind about your {thing}. What else would you like me to know?",
        "That's good to know about your {thing}. Tell me more?",
    ),
    "question": (
        "That's a good question, and I'm not sure. What do you think?",
        "I don't know that one, to be honest. What made you wonder?",
        "I'm an AI, so I can't be certain there. What's your sense of it?",
    ),
    "other": (
        "I hear you. Tell me a bit more?",
        "Thank you for sharing that with me. How are you feeling about it?",
        "I'm listening. What's been on your mind lately?",
        "That sounds like it matters to you. What happened next?",
    ),
}


def fallback_reply(user_text: str, earlier: Sequence[str] = ()) -> str:
    """A short, honest, warm reply that reflects the user's message, not said before."""
    values: dict[str, str] = {}
    feelings = [(m.group(1) or m.group(2)).lower() for m in _FEELING_SAID.finditer(user_text)]
    # "I'm okay. A little lonely.": the feeling that matters is the one that isn't "okay".
    feelings.sort(key=lambda f: f in _NEUTRAL)
    if _QUESTION.search(user_text.strip()) and not _GREETING.search(user_text):
        kind = "question"
    elif feelings:
        kind = "feeling"
        values["feeling"] = feelings[0]
    elif told := _TOLD_ABOUT.search(user_text):
        kind = "told"
        values["thing"] = told.group(1).lower()
    elif _GREETING.search(user_text):
        kind = "greeting"
    else:
        kind = "other"
    options = [t.format(**values) for t in _FALLBACKS[kind]]
    options += list(_FALLBACKS["other"])
    said = [s for text in earlier for s in split_sentences(text)]
    for option in options:
        if not any(same_sentence(s, old) for s in split_sentences(option) for old in said):
            return option
    return options[0]
