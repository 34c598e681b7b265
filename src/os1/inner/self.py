"""A self that grows, owned by the user: the companion's own claims — what it has come to find
interesting, opinions it formed and why, what it is curious about, how it sees the two of
them — each with the conversation it came from.

Kept as data in the user's profile (`inner_self`), so it survives a change of model and is
exported with the rest of the profile. It is a log of changes, never overwritten: the claims
now are the replay of every change, each kept with its reason, so any earlier version can be
seen and returned to (a reset is itself a change, and can be undone the same way).

With the small model the self grows deterministically: a topic the user returns to in
`RETURNS` different conversations (noun phrases and named things, read by the language layer)
becomes one of the companion's interests.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from importlib import resources
from typing import Any, Literal, cast, get_args

from os1.errors import NotFound, OS1Error
from os1.language import analyze
from os1.language.analysis import Analysis, Token
from os1.storage.base import Store, StoredMessage

PROFILE_KEY = "inner_self"
# The topics counted towards interests, kept apart from the versions: a turn's prompt reads the
# self's claims, and the topics (up to KEEP_TOPICS, ~75 KB) cost ~0.5 ms to decode each time.
TOPICS_KEY = "inner_self_topics"
Kind = Literal["interest", "opinion", "curiosity", "relationship"]
KINDS: tuple[str, ...] = get_args(Kind)
Change = Literal["add", "edit", "remove", "reset", "forget"]
RETURNS = 3  # conversations a topic must come up in before it is the companion's interest too
MAX_CLAIM_CHARS = 300  # a claim is a sentence, not a persona rewrite
KEEP_TOPICS = 500  # topics counted; the least recent go first
FORMULA_WORDS = 2  # a verbless sentence this short is a greeting or thanks, not a subject
SUMMARY_PER_KIND = 4  # claims of each kind in the prompt's summary
# Named things worth an interest; people, peoples ("Roman"), dates and numbers are not.
TOPIC_LABELS = {
    "ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "GPE", "LOC", "FAC", "LANGUAGE",
}  # fmt: skip
# A phrase inside one of these is about someone or some time, not a subject.
NOT_TOPIC_LABELS = {
    "PERSON", "NORP", "DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT",
}  # fmt: skip
_HEADINGS = {
    "interest": "What you've come to find interesting",
    "opinion": "Opinions you've formed",
    "curiosity": "What you're curious about",
    "relationship": "How you see the two of you",
}


class SelfError(OS1Error):
    """A change to the self that cannot be made as asked."""


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str  # one of KINDS
    text: str
    why: str = ""
    conversation_id: int | None = None  # where it came from (None: written by the user)
    source: str = ""  # "msg:ID", or "user" for the user's own edits
    since: str = ""  # ISO datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Version:
    """One change to the self: `number` is the version it produced."""

    number: int
    change: str  # one of Change
    at: str
    reason: str
    by: str  # "companion" or "user"
    claim_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    claims: list[dict[str, Any]] | None = None  # a reset: the whole self it returned to
    forgotten: bool | None = None  # words in it were erased when the user forgot something

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class Self:
    """The companion's self for one user, read and changed through the store's profile."""

    def __init__(self, store: Store) -> None:
        self.store = store
        data = dict(store.profile_value(PROFILE_KEY) or {})
        self._versions: list[dict[str, Any]] = list(data.get("versions") or [])
        # A self saved before TOPICS_KEY holds its topics itself: they are moved out once,
        # here, so that later reads of the claims skip them.
        self._older_topics: dict[str, dict[str, Any]] | None = data.get("topics")
        self._topics_read: dict[str, dict[str, Any]] | None = None
        if self._older_topics is not None:
            self._save()

    @property
    def _topics(self) -> dict[str, dict[str, Any]]:
        """The topics, read on first use (the prompt's summary never needs them)."""
        if self._topics_read is None:
            stored = self.store.profile_value(TOPICS_KEY)
            self._topics_read = dict(stored if stored is not None else self._older_topics or {})
        return self._topics_read

    # -- reading ----------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return len(self._versions)

    def history(self) -> list[Version]:
        return [Version(**v) for v in self._versions]

    def claims(self, at: int | None = None) -> list[Claim]:
        """The claims as of version `at` (default: now), by id."""
        upto = self.version if at is None else at
        if not 0 <= upto <= self.version:
            raise NotFound(
                f"no version {upto} of the self (there are {self.version})",
                hint="`os1 self history` lists them.",
            )
        state: dict[int, Claim] = {}
        for v in self._versions[:upto]:
            if v["change"] == "reset":
                state = {c["id"]: Claim(**c) for c in v.get("claims") or []}
            elif v.get("after") is not None:
                state[v["claim_id"]] = Claim(**v["after"])
            else:
                state.pop(v["claim_id"], None)
        return sorted(state.values(), key=lambda c: c.id)

    def claim(self, claim_id: int) -> Claim:
        found = next((c for c in self.claims() if c.id == claim_id), None)
        if found is None:
            raise NotFound(f"no claim {claim_id} in the self", hint="`os1 self show` lists them.")
        return found

    def summary(self) -> str:
        """A compact paragraph for the system prompt, or "" while the self is empty."""
        claims = self.claims()
        if not claims:
            return ""
        lines = ["Who you have become with this user (they can see and edit this):"]
        for kind in KINDS:
            mine = [c for c in claims if c.kind == kind][-SUMMARY_PER_KIND:]
            if mine:
                said = "; ".join(c.text + (f" (because {c.why})" if c.why else "") for c in mine)
                lines.append(f"- {_HEADINGS[kind]}: {said}.")
        return "\n".join(lines)

    # -- changing -----------------------------------------------------------------------------

    def add(
        self,
        kind: str,
        text: str,
        *,
        why: str = "",
        reason: str,
        by: str = "user",
        at: datetime | None = None,
        conversation_id: int | None = None,
        source: str = "user",
    ) -> Claim:
        when = (at or datetime.now().astimezone()).isoformat()
        claim = Claim(
            id=self._next_id(),
            kind=_kind(kind),
            text=_text(text),
            why=_text(why, allow_empty=True),
            conversation_id=conversation_id,
            source=source,
            since=when,
        )
        self._record("add", reason, by, when, claim.id, None, claim.as_dict())
        return claim

    def edit(
        self,
        claim_id: int,
        *,
        text: str | None = None,
        why: str | None = None,
        kind: str | None = None,
        reason: str,
        at: datetime | None = None,
    ) -> Claim:
        old = self.claim(claim_id)
        new = replace(
            old,
            text=old.text if text is None else _text(text),
            why=old.why if why is None else _text(why, allow_empty=True),
            kind=old.kind if kind is None else _kind(kind),
        )
        if new == old:
            raise SelfError("that changes nothing", hint="give --text, --why or --kind.")
        when = (at or datetime.now().astimezone()).isoformat()
        self._record("edit", reason, "user", when, claim_id, old.as_dict(), new.as_dict())
        return new

    def remove(self, claim_id: int, *, reason: str, at: datetime | None = None) -> Claim:
        old = self.claim(claim_id)
        when = (at or datetime.now().astimezone()).isoformat()
        self._record("remove", reason, "user", when, claim_id, old.as_dict(), None)
        return old

    def reset(self, to: int, *, reason: str = "", at: datetime | None = None) -> list[Claim]:
        """Return to version `to` (0: the empty self). Kept as a new version, so undoable."""
        claims = self.claims(at=to)
        when = (at or datetime.now().astimezone()).isoformat()
        self._versions.append(
            Version(
                number=self.version + 1,
                change="reset",
                at=when,
                reason=reason or f"reset to version {to}",
                by="user",
                claims=[c.as_dict() for c in claims],
            ).as_dict()
        )
        self._save()
        return claims

    # -- growing from what the user shares -------------------------------------------------

    def grow(self, message: StoredMessage, at: datetime) -> list[Claim]:
        """Count the topics of the user's message, once per conversation; a topic reached in
        `RETURNS` conversations becomes an interest (never twice, nor after the user removed
        it: a topic that has been a claim is marked and left alone)."""
        found = topics(analyze(message.content))
        if not found:
            return []
        grown: list[Claim] = []
        changed = False
        # Longest first: "jazz piano" is claimed before the "jazz" within it.
        for key, text in sorted(found.items(), key=lambda kv: -len(kv[0].split())):
            seen = self._topics.setdefault(key, {"text": text, "conversations": []})
            seen["last"] = at.isoformat()
            if message.conversation_id in seen["conversations"] or seen.get("claimed"):
                continue
            seen["conversations"] = [*seen["conversations"], message.conversation_id]
            changed = True
            if len(seen["conversations"]) >= RETURNS:
                seen["claimed"] = True
                if self._within_claimed(key):
                    continue
                grown.append(
                    self.add(
                        "interest",
                        f"I've come to find {seen['text']} interesting",
                        why=f"you've brought it up in {len(seen['conversations'])} "
                        "of our conversations",
                        reason=f"a topic the user returned to: {seen['text']}",
                        by="companion",
                        at=at,
                        conversation_id=message.conversation_id,
                        source=f"msg:{message.id}",
                    )
                )
        if changed and not grown:
            self._save()
        return grown

    def unlearn(self, turns: Iterable[tuple[int, str]]) -> int:
        """Forgotten turns (conversation id, text) no longer count towards a topic ("forget
        that"); a topic no other conversation brought up goes entirely. Claims already made
        cite their own source and are left to `forget`. Returns the topics removed."""
        removed = 0
        for conversation_id, text in turns:
            for key in topics(analyze(text)):
                seen = self._topics.get(key)
                if seen is None or seen.get("claimed"):
                    continue
                rest = [c for c in seen["conversations"] if c != conversation_id]
                if rest:
                    seen["conversations"] = rest
                else:
                    del self._topics[key]
                    removed += 1
        if removed:
            self._save()
        return removed

    def forget(self, found: re.Pattern[str]) -> int:
        """Erase what mentions a forgotten thing from the claims *and* from every earlier
        version: forgetting outranks history. Returns the claims removed now."""
        doomed = [c for c in self.claims() if found.search(_json(c.as_dict()))]
        # The changes stay counted (versions keep their numbers), their words do not.
        scrubbed = [_scrubbed(v, found) if found.search(_json(v)) else v for v in self._versions]
        topics_gone = [k for k, v in self._topics.items() if found.search(f"{k} {v['text']}")]
        if scrubbed == self._versions and not topics_gone:
            return 0
        self._versions = scrubbed
        for key in topics_gone:
            del self._topics[key]
        when = datetime.now().astimezone().isoformat()
        for claim in doomed:
            self._record("forget", "forgotten at the user's request", "user", when,
                         claim.id, None, None, save=False)  # fmt: skip
        self._save()
        return len(doomed)

    def _within_claimed(self, key: str) -> bool:
        """A topic that is part of, or holds, one already claimed ("jazz" and "jazz piano")."""
        words = set(key.split())
        return any(
            k != key and v.get("claimed") and (words <= set(k.split()) or set(k.split()) <= words)
            for k, v in self._topics.items()
        )

    # -- storage ------------------------------------------------------------------------------

    def _next_id(self) -> int:
        ids = [v["claim_id"] for v in self._versions if v.get("claim_id") is not None]
        ids += [c["id"] for v in self._versions for c in v.get("claims") or []]
        return max(ids, default=0) + 1

    def _record(
        self,
        change: Change,
        reason: str,
        by: str,
        at: str,
        claim_id: int,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        *,
        save: bool = True,
    ) -> None:
        self._versions.append(
            Version(self.version + 1, change, at, reason, by, claim_id, before, after).as_dict()
        )
        if save:
            self._save()

    def _save(self) -> None:
        topics = self._topics
        if len(topics) > KEEP_TOPICS:
            recent = sorted(topics, key=lambda k: topics[k].get("last", ""))
            for key in recent[: len(topics) - KEEP_TOPICS]:
                if not topics[key].get("claimed"):
                    del topics[key]
        self.store.set_profiles({PROFILE_KEY: {"versions": self._versions}, TOPICS_KEY: topics})


def topics(analysis: Analysis) -> dict[str, str]:
    """The subjects of a message: named things and noun phrases, keyed by lemma. Pronouns,
    people, times and quantities ("a lot of") are not subjects; "my X" is the user's own life
    (his job, his sister), which the open threads and memories follow, not an interest."""
    found: dict[str, str] = {}
    tokens = analysis.tokens
    for ent in analysis.entities:
        if ent.label in TOPIC_LABELS:
            found[ent.text.lower()] = ent.text
    # A verbless scrap of a sentence ("thanks", "good night") is a formula, not a subject.
    formulas = {
        t.i
        for sentence in analysis.sentences()
        if len([t for t in sentence if t.pos not in ("PUNCT", "SPACE")]) <= FORMULA_WORDS
        and not any(t.pos in ("VERB", "AUX") for t in sentence)
        for t in sentence
    }
    for chunk in analysis.noun_chunks:
        if chunk.start in formulas:
            continue
        words = list(tokens[chunk.start : chunk.end])
        root = next((t for t in words if t.head < chunk.start or t.head >= chunk.end), words[-1])
        if root.pos != "NOUN" or _stop(root):
            continue
        if any(
            (e := analysis.entity_at(t.i)) is not None
            and (e.label in NOT_TOPIC_LABELS or e.label in TOPIC_LABELS)
            for t in words
        ):
            continue
        kids = list(analysis.children(root))
        if any(k.dep == "poss" for k in kids) or any(
            k.dep == "prep" and k.lower == "of" for k in kids
        ):
            continue
        compounds = [t for t in words if t.dep == "compound" and t.pos in ("NOUN", "PROPN")]
        found.setdefault(
            " ".join(t.lemma for t in [*compounds, root]),
            " ".join([*(t.lower for t in compounds), root.lemma]),
        )
        if compounds:
            # "the jazz piano session" is about jazz piano too, the way he returns to it.
            found.setdefault(
                " ".join(t.lemma for t in compounds), " ".join(t.lower for t in compounds)
            )
    return found


def _stop(token: Token) -> bool:
    return token.lemma in _not_topics() or len(token.lemma) < 3 or not token.lemma.isalpha()


@functools.cache
def _not_topics() -> frozenset[str]:
    """spaCy's stop words, the nouns too general to be a subject, and the user's relations
    (his sister is someone, not a topic): package data, read once."""
    from spacy.lang.en.stop_words import STOP_WORDS

    data = resources.files("os1") / "data"
    generic = json.loads((data / "generic_nouns.json").read_text("utf-8"))["nouns"]
    relations = json.loads((data / "human_life.json").read_text("utf-8"))["relations"]
    return frozenset(STOP_WORDS) | frozenset(generic) | frozenset(relations)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise SelfError(f"no kind of claim {kind!r}", hint=f"one of: {', '.join(KINDS)}.")
    return kind


def _text(text: str, *, allow_empty: bool = False) -> str:
    text = " ".join(text.split())
    if not text and not allow_empty:
        raise SelfError("a claim needs some words")
    if len(text) > MAX_CLAIM_CHARS:
        raise SelfError(
            f"a claim is one sentence (at most {MAX_CLAIM_CHARS} characters)",
            hint="the persona you wrote is changed with `os1 persona`, not here.",
        )
    return text


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _scrubbed(version: dict[str, Any], found: re.Pattern[str]) -> dict[str, Any]:
    """A version with every claim that mentions the forgotten thing taken out."""
    out = dict(version)
    if found.search(str(out.get("reason", ""))):
        out["reason"] = "(forgotten)"
    for side in ("before", "after"):
        claim = out.get(side)
        if claim is not None and found.search(_json(claim)):
            out[side] = None
            out["forgotten"] = True
    if out.get("claims") is not None:
        out["claims"] = [
            c for c in cast(list[dict[str, Any]], out["claims"])
            if not found.search(_json(c))
        ]  # fmt: skip
    if out.get("before") is None and out.get("after") is None and out["change"] != "reset":
        out["change"] = "forget"
    return out
