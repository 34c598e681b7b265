"""Hybrid, time-aware retrieval: lexical (FTS5/BM25) and semantic (embeddings) candidates,
fused by score, the dense search repeated once from the best hits (pseudo-relevance feedback),
then weighed by the session around each memory, dates named in the query, importance and
recency.
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
from os1.memory.query_split import split_query
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
# When on, a memory said by (or about) a person the question names gains as much as one from a
# time the question names (the 1.3 of `_weight`): both are constraints the question states
# outright. Others stay in the ranking: "what did Jon say about Gina's shop?" is answered by Jon.
# Off by default: on the LoCoMo dev split Recall@10 fell 0.756 → 0.750 (R@50 rose 0.881 →
# 0.893). In a two-person conversation nearly every question names one of the speakers, and
# the evidence is as often the other's reply.
PERSON_BOOST = 0.3
# Reciprocal rank fusion's damping constant, the value of its authors (Cormack et al., 2009):
# it makes the top ranks of each list count without letting one list's rank 1 dominate.
RRF_K = 60
# Pseudo-relevance feedback (Rocchio, 1971): the query's vector moves towards the few best
# memories of a first pass, and the dense search runs again. Evidence worded unlike the
# question ("what does Melanie do to destress?" → "running clears my head") is often worded
# like the turns that do match it. 0.75 is the textbook weight of the relevant documents
# (Manning, Raghavan & Schütze, "Introduction to IR", 9.1.1), with the query's at 1. On the
# LoCoMo dev split Recall@10 rose 0.722 → 0.742 with 3 memories; it rose with 1 to 5 memories
# (+0.008 to +0.024) and at weights 0.5 to 1, and fell with 10 (-0.009): only the very top of
# a first pass is reliable enough to follow.
FEEDBACK_DOCS = 3
FEEDBACK_WEIGHT = 0.75
# A memory's score adds the cosine of the query to its session's mean vector, at the same
# weight as its own cosine: the turn and the conversation around it count alike (no tuning).
# On the LoCoMo dev split Recall@10 rose 0.742 → 0.756 (R@50 fell 0.889 → 0.881); at half the
# weight the rise was smaller, not reversed.
SESSION_WEIGHT = 1.0


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
        person_boost: float = 0.0,
        split_queries: bool = False,
        feedback: int = FEEDBACK_DOCS,
        session_weight: float = SESSION_WEIGHT,
    ) -> None:
        self.memories = memories
        self.embedder = embedder
        self.candidates = candidates
        self.lexical_weight = lexical_weight
        self.expand_top = expand_top
        self.common_term_docs = common_term_docs
        self.person_boost = person_boost
        self.split_queries = split_queries
        self.feedback = feedback
        self.session_weight = session_weight
        # Session name → (its episodes' ids when computed, their mean vector).
        self._sessions: dict[str, tuple[tuple[int, ...], np.ndarray | None]] = {}
        self._sessions_lock = threading.Lock()
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
        reference = reference or datetime.now(UTC)
        hits = self._ranked(query, k, reference)
        # Off by default: on the LoCoMo dev split it fires on 9 of 304 questions and changes
        # no Recall@10 (it lost one before splits were limited to conjoined names).
        parts = split_query(query) if self.split_queries else []
        if parts:
            # Each part finds the evidence about one person or time; the whole question keeps
            # what mentions both. Reciprocal ranks merge them without comparing raw scores.
            hits = _fuse([hits] + [self._ranked(p, k, reference) for p in parts])
        return self._with_neighbours(hits)[:k]

    def _ranked(self, query: str, k: int, reference: datetime) -> list[Hit]:
        """The fused, weighed candidates for one query, best first (before neighbours)."""
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
        dense = self.memories.nearest(vector, self.candidates)
        scores = self._fused(dense, lexical)
        plain_best = max(scores.values(), default=0.0)
        if self.feedback and scores:
            top = sorted(scores, key=scores.__getitem__, reverse=True)[: self.feedback]
            own = self.memories.own_vectors(top)
            if own:
                moved = vector + FEEDBACK_WEIGHT * np.mean(list(own.values()), axis=0)
                moved /= max(float(np.linalg.norm(moved)), 1e-12)
                scores = self._fused(self.memories.nearest(moved, self.candidates), lexical)
        if not scores:
            return []
        shortlist = sorted(scores, key=scores.__getitem__, reverse=True)[: max(k * 3, 30)]
        ranges = find_time_ranges(query, reference)
        found = self.memories.get_many(shortlist)
        named = _named_people(query, found) if self.person_boost else set()
        if self.session_weight:
            sessions = self._session_similarity(vector, found)
            for m in found:
                scores[m.id] += self.session_weight * sessions.get(m.session or "", 0.0)
        if self.feedback or self.session_weight:
            # Feedback and sessions reorder; the question's own best match keeps setting the
            # scale. Otherwise a store with one unrelated note would find it "relevant": fed
            # back, the note matches itself, and callers' relevance floors (the notes search's
            # 0.3) read raw scores.
            top_score = max(scores[m.id] for m in found)
            if top_score > 0:
                scale = plain_best / top_score
                scores = {m.id: scores[m.id] * scale for m in found}
        hits = [
            Hit(m, scores[m.id] * self._weight(m, ranges, reference) * self._person(m, named))
            for m in found
        ]
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def _session_similarity(self, vector: np.ndarray, found: list[Memory]) -> dict[str, float]:
        """Cosine of the query to the mean vector of each session among `found`.

        A session's mean vector stands for what the whole conversation was about: a turn like
        "yes, twice last month" says little alone, but its session was about the beach. The
        means are kept between searches and recomputed for a session only when its episodes
        changed (one indexed read of the sessions' ids per search)."""
        names = sorted({m.session for m in found if m.session})
        if not names:
            return {}
        members: dict[str, list[int]] = {}
        for memory_id, session in _session_members(self.memories, names):
            members.setdefault(session, []).append(memory_id)
        result: dict[str, float] = {}
        with self._sessions_lock:
            stale = [
                n for n in members if self._sessions.get(n, ((), None))[0] != tuple(members[n])
            ]
        fresh = self.memories.own_vectors([i for n in stale for i in members[n]])
        for name in stale:
            vectors = [fresh[i] for i in members[name] if i in fresh]
            if not vectors:
                continue
            mean = np.mean(vectors, axis=0)
            mean /= max(float(np.linalg.norm(mean)), 1e-12)
            with self._sessions_lock:
                self._sessions[name] = (tuple(members[name]), mean)
        with self._sessions_lock:
            for name in members:
                mean_vector = self._sessions.get(name, ((), None))[1]
                if mean_vector is not None and mean_vector.shape == vector.shape:
                    result[name] = float(mean_vector @ vector)
        return result

    def _fused(
        self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]]
    ) -> dict[int, float]:
        """Lexical and cosine scores summed per memory (the lexical one scaled to its best)."""
        scores: dict[int, float] = {}
        for memory_id, similarity in dense:
            scores[memory_id] = similarity
        if lexical:
            best = max(score for _, score in lexical) or 1.0
            for memory_id, score in lexical:
                scores[memory_id] = scores.get(memory_id, 0.0) + (
                    self.lexical_weight * score / best
                )
        return scores

    def _person(self, memory: Memory, named: set[str]) -> float:
        """More weight for a memory said by, or about, a person the question names."""
        if not named:
            return 1.0
        who = {(memory.speaker or "").lower(), (memory.subject or "").lower()}
        return 1.0 + self.person_boost if who & named else 1.0

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


def _session_members(memories: MemoryStore, names: list[str]) -> list[tuple[int, str]]:
    """(id, session) of every episode in the named sessions, in id order."""
    # On the (user_id, session, id) index of episodes. Belongs in MemoryStore; it reads the
    # store's connection here only because that file has another owner this round.
    marks = ",".join("?" * len(names))
    rows = memories.db.query(
        f"SELECT id, session FROM memories WHERE user_id = ? AND kind = 'episode' "
        f"AND session IN ({marks}) ORDER BY session, id",
        (memories.user_id, *names),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def _named_people(query: str, memories: list[Memory]) -> set[str]:
    """The speakers and subjects among `memories` whom the query names (lower-cased)."""
    words = set(re.findall(r"[\w']+", query.lower()))
    words |= {w.removesuffix("'s") for w in words}
    people = {(m.speaker or "").lower() for m in memories}
    people |= {(m.subject or "").lower() for m in memories if m.kind != "episode"}
    return {p for p in people if p and p not in ("user", "assistant") and p in words}


def _fuse(rankings: list[list[Hit]]) -> list[Hit]:
    """Reciprocal rank fusion of rankings of the same memories; scores become fused ones."""
    fused: dict[int, float] = {}
    memory: dict[int, Memory] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking):
            fused[hit.memory.id] = fused.get(hit.memory.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            memory[hit.memory.id] = hit.memory
    order = sorted(fused, key=fused.__getitem__, reverse=True)
    return [Hit(memory[i], fused[i]) for i in order]


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
