"""A fake analyzer for tests: scripted analyses for known messages, and for anything else a
flat one (words, no structure) that no recogniser reads as a request."""

from __future__ import annotations

import re

from os1.language.analysis import Analysis, Token


class FakeAnalyzer:
    name = "fake"

    def __init__(self, scripted: dict[str, Analysis] | None = None) -> None:
        self.scripted = dict(scripted or {})
        self.calls: list[str] = []

    def analyze(self, text: str) -> Analysis:
        self.calls.append(text)
        if text in self.scripted:
            return self.scripted[text]
        words = re.findall(r"\w+|[^\w\s]", text)
        tokens = tuple(
            Token(i=i, text=w, lemma=w.lower(), pos="X", tag="XX", dep="dep", head=0, space=" ")
            for i, w in enumerate(words)
        )
        return Analysis(text=text, tokens=tokens)
