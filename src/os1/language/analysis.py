"""What the language layer gives the rest of OS1: a typed, read-only analysis of a message,
modelled on spaCy's `Doc` but free of it, so fakes and other engines can produce one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Token:
    i: int  # index in the message
    text: str
    lemma: str  # lower-cased
    pos: str  # universal part of speech: VERB, NOUN, PROPN, PRON, AUX, PART…
    tag: str  # fine-grained tag: VB (base form), VBD (past)…
    dep: str  # dependency label to `head`: ROOT, dobj, nsubj, prep, pobj, neg…
    head: int  # index of the head token (itself for a sentence root)
    ent: str = ""  # entity label, "" outside entities
    space: str = ""  # whitespace after the token
    sent: int = 0  # index of the sentence

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int  # exclusive
    text: str


@dataclass(frozen=True, slots=True)
class Entity:
    start: int
    end: int
    text: str
    label: str


@dataclass(frozen=True)
class Analysis:
    text: str
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...] = ()
    noun_chunks: tuple[Span, ...] = ()
    _children: dict[int, tuple[int, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        kids: dict[int, list[int]] = {}
        for t in self.tokens:
            if t.head != t.i:
                kids.setdefault(t.head, []).append(t.i)
        self._children.update({k: tuple(v) for k, v in kids.items()})

    def children(self, token: Token) -> Iterator[Token]:
        return (self.tokens[i] for i in self._children.get(token.i, ()))

    def subtree(self, token: Token) -> list[Token]:
        """The token and everything that depends on it, in text order."""
        found = [token.i]
        for index in found:
            found.extend(self._children.get(index, ()))
        return [self.tokens[i] for i in sorted(found)]

    def head(self, token: Token) -> Token:
        return self.tokens[token.head]

    def sentences(self) -> list[list[Token]]:
        out: dict[int, list[Token]] = {}
        for t in self.tokens:
            out.setdefault(t.sent, []).append(t)
        return list(out.values())

    def entity_at(self, index: int) -> Entity | None:
        return next((e for e in self.entities if e.start <= index < e.end), None)


def text_of(tokens: list[Token]) -> str:
    """The original text of consecutive tokens."""
    return "".join(t.text + t.space for t in tokens).strip()


class Analyzer(Protocol):
    """Parses a message once; everything else reads the result."""

    name: str

    def analyze(self, text: str) -> Analysis: ...
