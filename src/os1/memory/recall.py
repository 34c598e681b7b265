"""Hybrid, time-aware retrieval: lexical (FTS5/BM25) and semantic (embeddings) candidates,
fused by rank, then weighed by dates named in the query, importance and recency.
No language model is called here: recall must be fast and must work with the tiny model."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from os1.memory.dates import find_time_ranges
from os1.memory.embedders import Embedder
from os1.memory.store import Memory, MemoryStore, public_source

# Words that carry no topic; dropping them keeps BM25 from matching on "what" and "did".
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves ever also much many kind like get got go went going""".split()
)

# Weight of the lexical score (BM25 scaled to the best hit, so 0..1) next to the cosine
# similarity (about 0..1 for related texts). Lexical evidence matters for names and rare words.
LEXICAL_WEIGHT = 0.7
# The best episodes bring the turns just before and after them: evidence in a conversation
# often spans a question and its answer.
EXPAND_TOP = 2
NEIGHBOUR_FACTOR = 0.98
# Words in more memories than this are left to the semantic side. Ranking a word costs in
# proportion to the memories holding it: at 2000, the full-text query alone took ~5 ms of a
# search at 100k memories. Only large stores reach it (a LoCoMo conversation's most common word,
# a speaker's name, is in ~340 of its ~400 turns: same recall at 500 as at 2000).
COMMON_TERM_DOCS = 500
RECENCY_BOOST = 0.05
RECENCY_HALF_LIFE_DAYS = 30
# Query vectors kept: a turn searches its text more than once (the prompt's memories, a tool,
# a grounded answer), and embedding costs more than the whole index search.
QUERY_CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class Hit:
    memory: Memory
    score: float

    @property
    def sources(self) -> list[str]:
        return [public_source(s) for s in self.memory.sources]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.memory.id,
            "kind": self.memory.kind,
            "text": self.memory.text,
            "score": round(self.score, 6),
            "sources": self.sources,
            "said_at": self.memory.said_at,
        }


def fts_terms(text: str) -> list[str]:
    """The topic words of `text`, in order, without repeats."""
    words = [w for w in re.findall(r"[\w']+", text.lower()) if w not in STOPWORDS]
    words = [w.strip("'") for w in words if len(w.strip("'")) > 1 or w.isdigit()]
    return list(dict.fromkeys(words))


def fts_query(text: str, drop: set[str] | None = None) -> str | None:
    """An FTS5 OR-query of the topic words in `text` (None when there are none)."""
    terms = [t for t in fts_terms(text) if not drop or t not in drop]
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


class Recall:
    """Search one user's memories."""

    def __init__(
        self,
        memories: MemoryStore,
        embedder: Embedder,
        *,
        candidates: int = 100,
        lexical_weight: float = LEXICAL_WEIGHT,
        expand_top: int = EXPAND_TOP,
        common_term_docs: int = COMMON_TERM_DOCS,
    ) -> None:
        self.memories = memories
        self.embedder = embedder
        self.candidates = candidates
        self.lexical_weight = lexical_weight
        self.expand_top = expand_top
        self.common_term_docs = common_term_docs
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector, from the cache when the same text was searched lately."""
        with self._vectors_lock:
            vector = self._vectors.get(query)
            if vector is not None:
                self._vectors.move_to_end(query)
                return vector
        vector = self.embedder.embed_one(query)
        vector.setflags(write=False)  # shared by every search of this text
        with self._vectors_lock:
            self._vectors[query] = vector
            while len(self._vectors) > QUERY_CACHE_SIZE:
                self._vectors.popitem(last=False)
        return vector

    def search(self, query: str, k: int = 10, *, reference: datetime | None = None) -> list[Hit]:
        query = query.strip()
        if not query:
            return []
        scores: dict[int, float] = {}
        # The model embeds the query on a worker thread while SQLite ranks the words here:
        # both release the GIL, and together they are most of a search.
        with self._vectors_lock:
            vector = self._vectors.get(query)
        pending = None if vector is not None else _pool().submit(self.embed_query, query)
        # Words found in thousands of memories say little and cost a lot to rank: leave them
        # to the semantic side (a no-op until the store is large).
        match = fts_query(
            query, self.memories.common_terms(fts_terms(query), self.common_term_docs)
        )
        lexical = self.memories.lexical(match, self.candidates) if match else []
        vector = pending.result() if pending is not None else self.embed_query(query)
        for memory_id, similarity in self.memories.nearest(vector, self.candidates):
            scores[memory_id] = similarity
        if lexical:
            best = max(score for _, score in lexical) or 1.0
            for memory_id, score in lexical:
                scores[memory_id] = scores.get(memory_id, 0.0) + (
                    self.lexical_weight * score / best
                )
        if not scores:
            return []
        shortlist = sorted(scores, key=scores.__getitem__, reverse=True)[: max(k * 3, 30)]
        reference = reference or datetime.now(UTC)
        ranges = find_time_ranges(query, reference)
        hits = [
            Hit(m, scores[m.id] * self._weight(m, ranges, reference))
            for m in self.memories.get_many(shortlist)
        ]
        hits.sort(key=lambda h: h.score, reverse=True)
        return self._with_neighbours(hits)[:k]

    def _with_neighbours(self, hits: list[Hit]) -> list[Hit]:
        top = [h for h in hits if h.memory.kind == "episode"][: self.expand_top]
        if not top:
            return hits
        neighbours = self.memories.session_neighbours([h.memory.id for h in top])
        wanted = [i for h in top for i in neighbours.get(h.memory.id, ()) if i is not None]
        extra = {m.id: m for m in self.memories.get_many(wanted) if m.superseded_by is None}
        result: list[Hit] = []
        seen: set[int] = set()
        for hit in hits:
            if hit.memory.id in seen:
                continue
            result.append(hit)
            seen.add(hit.memory.id)
            if hit in top:
                for i in neighbours.get(hit.memory.id, ()):
                    if i is not None and i in extra and i not in seen:
                        result.append(Hit(extra[i], hit.score * NEIGHBOUR_FACTOR))
                        seen.add(i)
        return result

    @staticmethod
    def _weight(memory: Memory, ranges: list, reference: datetime) -> float:  # type: ignore[type-arg]
        weight = 1.0 + 0.1 * (memory.importance - 0.3)  # facts the user cares about rise a little
        said = _parse(memory.said_at)
        if said is not None:
            # Recent things rise a little too: a half-life of a month, at most +5 %.
            age_days = abs((reference.replace(tzinfo=None) - said.replace(tzinfo=None)).days)
            weight *= 1.0 + RECENCY_BOOST * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
        if ranges:
            when = _parse(memory.happened_at) or _parse(memory.said_at)
            if when is not None and any(_within(when, r) for r in ranges):
                weight *= 1.3  # "what did I do last week?": things from then come first
        return weight


_embedding_pool: ThreadPoolExecutor | None = None
_pool_guard = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads that embed queries, shared by every user's recall; started on first use."""
    global _embedding_pool
    with _pool_guard:
        if _embedding_pool is None:
            _embedding_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="os1-query")
        return _embedding_pool


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


def _within(when: datetime, time_range: object) -> bool:
    start, end = time_range.start, time_range.end  # type: ignore[attr-defined]
    # Compare naive with naive: stored times may or may not carry a zone.
    when_n, start_n, end_n = (t.replace(tzinfo=None) for t in (when, start, end))
    return bool(start_n <= when_n < end_n)
