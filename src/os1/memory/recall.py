"""Hybrid, time-aware retrieval: lexical (FTS5/BM25) and semantic (embeddings) candidates,
fused by score, the dense search repeated once from the best hits (pseudo-relevance feedback),
then weighed by the session around each memory, dates named in the query (and in the turn,
read against the day it was said), importance and recency; a cross-encoder rereads the best.
Windows of consecutive turns can join as a second ranking (off by default), and fill a search
asked for more hits than the reranker reads, below those.
No language model is called here: recall must be fast and must work with the tiny model."""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import overload

import numpy as np

from os1.errors import ModelError
from os1.memory.dates import TimeRange, find_time_ranges
from os1.memory.embedders import Embedder, MiniLMEmbedder
from os1.memory.query_split import split_query
from os1.memory.rerankers import Reranker
from os1.memory.store import Memory, MemoryStore, memory_source, public_source

log = logging.getLogger(__name__)

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
# Recency counts from the newest turn when that is older than the search: searched today,
# an imported chat from 2023 kept no recent end at all. As `os1 memory search --k 10` is
# measured (searched today), LoCoMo dev Recall@10 rose on conv-26, where it was decided (0.764
# → 0.768), and on conv-30, checked unchanged (0.802 → 0.821); searched at the conversation's
# end, as the bench's deep ranking is, nothing changes (0.800).
# Query vectors kept: a turn searches its text more than once (the prompt's memories, a tool,
# a grounded answer), and embedding costs more than the whole index search.
QUERY_CACHE_SIZE = 64
# When on, a memory said by (or about) a person the question names gains as much as one from a
# time the question names (TIME_BOOST): both are constraints the question states
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
# Windows of consecutive turns in one session, ranked as units of their own and fused with the
# turn ranking by reciprocal rank (issue 15): evidence often spans a question, its answer and
# what follows. Chosen on LoCoMo conv-26 (3 turns beat 6, the chunk of Engram; a window's
# lexical score is its best turn's, which beat the sum and the mean), then checked unchanged
# on conv-30. Recall@50 rose on both (conv-26 0.887 → 0.920, conv-30 0.883 → 0.915) but
# Recall@10 only on conv-26 (0.737 → 0.759) and fell on conv-30 (0.808 → 0.755, multi-hop
# 0.50 → 0.38: a window floods the top with one session's turns where the evidence is spread
# over several). So off by default; `windows=True` for callers that read deep.
WINDOW_TURNS = 3
# A memory from a time the question names ("what did I do last week?") gains this much. Not
# a textbook value; checked for fitting (issue 15): without it LoCoMo conv-26 Recall@10 was
# 0.734 (0.737 with), conv-30 0.796 (0.808 with). Also the weight of PERSON_BOOST.
TIME_BOOST = 0.3
# With `turn_dates`, a turn counts as from a time the question names when a date it names
# ("last month", "next Saturday"), read against the day it was said, falls in it. Decided on
# LoCoMo conv-26: Recall@10 0.731 → 0.737, R@50 0.880 → 0.887; conv-30 unchanged (0.808,
# 0.883: two of its questions name a date). The dates of that many turns stay resolved.
NAMED_DATES_CACHE_SIZE = 4096
# Measured for issue 15 and not kept, each decided on LoCoMo conv-26 alone and checked
# unchanged on conv-30 (Recall@10, categories 1-4; 0.737 and 0.808 without):
# - Spreading one session's hits (its n-th hit scored / log2(n + 1), DCG's discount): 0.654,
#   0.697. A single-hop answer is often the second or third hit of the best session (single-hop
#   0.871 → 0.729), and multi-hop did not rise. Maximal marginal relevance over the turns'
#   vectors (Carbonell & Goldstein, 1998) lost on conv-26 too (0.685 at lambda 0.5).
# - Reciprocal rank fusion of the dense and lexical rankings instead of the weighted sum of
#   their scores: 0.673, 0.710.
# - A turn scored by its best sentence when that is higher (MaxP, Dai & Callan, 2019), for a
#   fact among pleasantries: 0.751, 0.796 (R@50 0.893, 0.879), with the sentences embedded at
#   query time; it lost on the check.
# - Each session's whole text as a BM25 document, added as the session mean's cosine is:
#   0.760, 0.750. Like windows, it lifts whole sessions, and loses where every session talks
#   of the same things.
# - The cosine to the mean of a memory's topic segment (TextTiling over the turns' vectors,
#   Hearst 1997, depth > mean - std / 2) in place of, or next to, its session's mean: best on
#   conv-26 with blocks of 2 turns, 0.748; conv-30 0.784. Segments of ~4 turns add little
#   beyond the turn's own vector and lift other segments on the same topic.
# The reranker (a cross-encoder, `rerankers.py`) rereads this many of the best hits with the
# question; each hit's place among them then follows the sum of its standardised score and its
# standardised reranker score: the two count alike, no weight tuned. Decided on LoCoMo conv-26
# (Recall@10 0.737 → 0.789, multi-hop 0.35 → 0.42) and checked unchanged on conv-30 (0.808 →
# 0.821). The reranker alone, ignoring recall's own score, lost on both (0.730, 0.791): it
# knows nothing of dates, sessions or feedback. With MiniLM's vectors 20 was the knee: 15 gave
# half the gain, 30 to 50 no more (0.799-0.805 over both). With bge-small's (the default since)
# more of the answers sit at places 20-30, and the cross-encoder lifts them: `os1 memory search`
# R@10 0.796 at 20, 0.812 at 25, 0.820 at 30 (conv-26 0.793 → 0.817, conv-30 0.802 → 0.827),
# 0.820 at 40 with R@50 down 0.937 → 0.931; MiniLM at 30 stayed put (0.790 → 0.792). So 30,
# for ~5-8 ms of one core a pair. Windows (above) still lose with it on conv-30: 0.821 → 0.796.
RERANK_TOP = 30
# A search asked for more hits than the reranker rereads (`os1 memory search --k 50`, a tool
# reading deep) keeps that head as it is and fills the rest from a broader ranking: windows of
# turns (above), the person the question names (PERSON_BOOST) and DEEP_CANDIDATES per side.
# Each is what lost at the top and wins below it. Decided on LoCoMo conv-26 and checked
# unchanged on conv-30, Recall@50 as `os1 memory search --k 50` is measured (Recall@10 does
# not move: the top 20 are the same): without, 0.880 / 0.883; windows below the head 0.909 /
# 0.920; with the person too 0.927 / 0.923; with 200 candidates too 0.939 / 0.927 (300 gave
# the same). Measured once over both: a head of 10 instead of 20, no better at 50 (0.916 vs
# 0.912 without person and candidates) and worse in the bench's deep R@10.
DEEP_CANDIDATES = 200
# Session vectors kept in memory between searches (~75 MB of 384-d vectors): a mean per
# session, and with windows the turns' own.
SESSION_CACHE_VECTORS = 50_000


@dataclass(frozen=True, slots=True)
class _Breadth:
    """How wide one ranking looks: candidates per side, windows, the named person's weight."""

    candidates: int
    windows: bool
    person_boost: float


@dataclass(frozen=True, slots=True)
class _Session:
    """One session's embedded episodes in order, their vectors (the rows of `matrix`, kept
    for windows), the sum and unit mean of those, and what the session held when read: its
    episodes' number and newest id, and those not embedded yet (`missing`)."""

    ids: tuple[int, ...]
    matrix: np.ndarray | None
    mean: np.ndarray
    total: np.ndarray
    count: int
    newest: int
    missing: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        """Vectors held."""
        return 2 + (0 if self.matrix is None else len(self.matrix))


def _session(
    ids: list[int],
    vectors: dict[int, np.ndarray],
    count: int,
    newest: int,
    missing: list[int],
    keep_matrix: bool,
) -> _Session | None:
    """A session from its embedded episodes' vectors (None when none is embedded)."""
    ids = sorted(ids)
    if not ids:
        return None
    matrix = np.array([vectors[i] for i in ids], dtype=np.float32)
    total = matrix.sum(axis=0)
    mean = total / max(float(np.linalg.norm(total)), 1e-12)
    # The turns' vectors are kept only for windows: a mean is 1/20 of a session.
    return _Session(
        tuple(ids), matrix if keep_matrix else None, mean, total, count, newest, tuple(missing)
    )


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
        windows: bool = False,
        window_turns: int = WINDOW_TURNS,
        turn_dates: bool = True,
        time_boost: float = TIME_BOOST,
        reranker: Reranker | None = None,
        rerank_top: int = RERANK_TOP,
        deep: bool = True,
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
        self.windows = windows
        self.window_turns = max(1, window_turns)
        self.turn_dates = turn_dates
        self.time_boost = time_boost
        self.reranker = reranker
        self.rerank_top = rerank_top
        self.deep = deep
        self._reranker_failed = False
        # Memory id → (its text, the dates it names, resolved against when it was said).
        self._named_dates: OrderedDict[int, tuple[str, tuple[TimeRange, ...]]] = OrderedDict()
        self._dates_lock = threading.Lock()
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._cached_vectors = 0
        self._sessions_lock = threading.Lock()
        self._sessions_loaded: set[int] = set()  # vector sizes whose sessions were all read
        self._forgettings = memories.forgettings()  # as the session cache last saw them
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()
        self._degraded = False  # the embedder failed on the last search
        self._cosine_map = _cosine_map(embedder)

    @overload
    def cosine(self, similarity: float) -> float: ...
    @overload
    def cosine(self, similarity: np.ndarray) -> np.ndarray: ...
    def cosine(self, similarity: float | np.ndarray) -> float | np.ndarray:
        """A cosine of this embedder's on MiniLM's scale: the lexical and session weights
        were set on it, and a model whose unrelated sentences sit near 0.5 would otherwise
        give words most of the say (bge-small's vectors alone beat MiniLM's by 0.16 R@10 on
        LoCoMo dev, yet fused as they came the two scored the same, 0.790)."""
        offset, factor = self._cosine_map
        return similarity if factor == 1.0 and offset == 0.0 else offset + factor * similarity

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
        hits = self._reranked(query, self._with_neighbours(hits))
        if self.deep and k > self.rerank_top and hits:
            hits = self._deepened(query, k, reference, hits)
        return _one_find_each(hits)[:k]

    def _deepened(self, query: str, k: int, reference: datetime, hits: list[Hit]) -> list[Hit]:
        """`hits` down to the reread head, then a broad ranking of the rest (see DEEP_*).

        The head is where precision pays, and every search ranks it alike whatever its k;
        below it, a search asked for many hits wants what the close ranking misses: the turn
        beside the one that matched, the named person's other turns."""
        head = hits[: self.rerank_top]
        broad = self._ranked(
            query,
            k,
            reference,
            _Breadth(
                candidates=max(self.candidates, DEEP_CANDIDATES),
                windows=True,
                person_boost=max(self.person_boost, PERSON_BOOST),
            ),
        )
        seen = {h.memory.id for h in head}
        result = list(head)
        floor = head[-1].score
        for hit in broad:
            if hit.memory.id in seen:
                continue
            seen.add(hit.memory.id)
            # The two rankings score differently; scores still fall down the list, so that
            # callers' relevance floors keep cutting it from the bottom.
            floor = min(floor, hit.score)
            result.append(Hit(hit.memory, floor))
        return result

    def _reranked(self, query: str, hits: list[Hit]) -> list[Hit]:
        """The best `rerank_top` hits reordered by recall's score and the reranker's
        together; the rest keep their places after them.

        The reordered hits take the same scores, best first: callers' relevance floors (the
        notes search's) count as many hits above them as before, and scores still fall down
        the list."""
        head = hits[: self.rerank_top]
        if self.reranker is None or len(head) < 2:
            return hits
        try:
            judged = self.reranker.score(query, [h.memory.text for h in head])
        except ModelError as exc:
            # A missing or broken reranker costs the closer reading, never the search.
            if not self._reranker_failed:
                self._reranker_failed = True
                log.warning("memory search goes on without its reranker: %s", exc.message)
            return hits
        own = np.array([h.score for h in head], dtype=np.float64)
        together = _standardised(own) + _standardised(judged.astype(np.float64))
        order = sorted(range(len(head)), key=lambda i: -together[i])
        scores = sorted(own, reverse=True)
        reread = [Hit(head[i].memory, float(s)) for i, s in zip(order, scores, strict=True)]
        return reread + hits[len(head) :]

    def _ranked(
        self, query: str, k: int, reference: datetime, breadth: _Breadth | None = None
    ) -> list[Hit]:
        """The fused, weighed candidates for one query, best first (before neighbours);
        `breadth` says how wide to look (the instance's own settings by default)."""
        breadth = breadth or _Breadth(self.candidates, self.windows, self.person_boost)
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
        lexical = self.memories.lexical(match, breadth.candidates) if match else []
        try:
            vector = pending.result() if pending is not None else self.embed_query(query)
        except ModelError as exc:
            # An embedding server that is down, slow or confused (the `openai` embedder) must
            # not cost the user the turn: the words alone still find what was said in them.
            self._embedder_failed(exc)
            return self._lexical_only(lexical, query, k, reference)
        self._embedder_back()
        read: dict[int, np.ndarray] = {}  # float vectors, for the feedback pass to reuse
        dense = self.memories.nearest(vector, breadth.candidates, read=read)
        scores = self._fused(dense, lexical)
        searched = vector  # the vector whose cosines are in `scores`
        plain_best = max(scores.values(), default=0.0)
        if self.feedback and scores:
            top = sorted(scores, key=scores.__getitem__, reverse=True)[: self.feedback]
            own = self.memories.own_vectors(top)
            if own:
                moved = vector + FEEDBACK_WEIGHT * np.mean(list(own.values()), axis=0)
                moved /= max(float(np.linalg.norm(moved)), 1e-12)
                again = self.memories.nearest(moved, breadth.candidates, again=True, read=read)
                scores = self._fused(again, lexical)
                searched = moved
        if not scores:
            return []
        shortlist = sorted(scores, key=scores.__getitem__, reverse=True)[: max(k * 3, 30)]
        ranges = find_time_ranges(query, reference)
        found = self.memories.get_many(shortlist)
        if self.session_weight or breadth.windows:
            self._forget_sessions_if_forgotten()
        if self.session_weight and not breadth.windows:
            self._load_sessions(int(vector.shape[0]))
        sessions = (
            self._sessions_of(found, int(vector.shape[0]), breadth.windows)
            if self.session_weight or breadth.windows
            else {}
        )
        if self.session_weight:
            for m in found:
                session = sessions.get(m.session or "")
                if session is not None and session.mean.shape == vector.shape:
                    scores[m.id] += self.session_weight * self.cosine(float(session.mean @ vector))
        named = _named_people(query, found) if breadth.person_boost else set()
        if self.feedback or self.session_weight:
            # Feedback and sessions reorder; the question's own best match keeps setting the
            # scale. Otherwise a store with one unrelated note would find it "relevant": fed
            # back, the note matches itself, and callers' relevance floors (the notes search's
            # 0.3) read raw scores.
            top_score = max(scores[m.id] for m in found)
            if top_score > 0:
                scale = plain_best / top_score
                scores = {m.id: scores[m.id] * scale for m in found}
        recent = self._recency_reference(reference)
        hits = [
            Hit(
                m,
                scores[m.id]
                * self._weight(m, ranges, reference, recent)
                * _person(m, named, breadth.person_boost),
            )
            for m in found
        ]
        hits.sort(key=lambda h: h.score, reverse=True)
        if breadth.windows and sessions and hits:
            hits = self._with_windows(hits, sessions, vector, searched, lexical, ranges, reference)
        return hits

    def _lexical_only(
        self, lexical: list[tuple[int, float]], query: str, k: int, reference: datetime
    ) -> list[Hit]:
        """The ranking from words alone, weighed as usual, for when the embedder fails."""
        scores = self._fused([], lexical)
        shortlist = sorted(scores, key=scores.__getitem__, reverse=True)[: max(k * 3, 30)]
        ranges = find_time_ranges(query, reference)
        found = self.memories.get_many(shortlist)
        recent = self._recency_reference(reference)
        hits = [Hit(m, scores[m.id] * self._weight(m, ranges, reference, recent)) for m in found]
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def _embedder_failed(self, exc: ModelError) -> None:
        # Said once per outage, not once per search: under load that would be every turn.
        if not self._degraded:
            self._degraded = True
            log.warning("memory search falls back to words alone: %s", exc.message)

    def _embedder_back(self) -> None:
        if self._degraded:
            self._degraded = False
            log.info("memory search uses its embedder again")

    def _with_windows(
        self,
        hits: list[Hit],
        sessions: dict[str, _Session],
        vector: np.ndarray,
        searched: np.ndarray,
        lexical: list[tuple[int, float]],
        ranges: list[TimeRange],
        reference: datetime,
    ) -> list[Hit]:
        """`hits` fused by reciprocal rank with a second ranking: the episodes of the
        sessions among them, each by the best window of `window_turns` consecutive turns
        that holds it. A window is scored as one text would be: the cosine of the query to
        its turns' mean vector, plus the lexical scores of its turns (each word it holds
        counts, whichever turn holds it).

        A turn like "yes, twice last month" says little alone; the turns around it say what
        happened twice. Ranks, not scores, merge the two rankings (turns and windows are
        scored differently), and turns that were no candidate join through their window."""
        best_lexical = max((score for _, score in lexical), default=0.0) or 1.0
        lexical_of = {i: score / best_lexical for i, score in lexical}
        window_of: dict[int, float] = {}
        own_of: dict[int, float] = {}
        for session in sessions.values():
            if session.matrix is None or session.matrix.shape[1] != vector.shape[0]:
                continue
            best = self._window_scores(session.ids, session.matrix, vector, lexical_of)
            own = session.matrix @ searched
            for index, memory_id in enumerate(session.ids):
                window_of[memory_id] = float(best[index])
                own_of[memory_id] = float(own[index])
        # Turns of one window tie: their own cosine orders them.
        order = sorted(window_of, key=lambda i: (window_of[i], own_of[i]), reverse=True)
        order = order[: len(hits)]
        known = {h.memory.id: h.memory for h in hits}
        missing = [i for i in order if i not in known]
        known.update((m.id, m) for m in self.memories.get_many(missing) if m.superseded_by is None)
        windowed = [
            Hit(known[i], window_of[i] * self._weight(known[i], ranges, reference))
            for i in order
            if i in known
        ]
        windowed.sort(key=lambda h: h.score, reverse=True)
        fused = _fuse([hits, windowed])
        # Fused scores are ranks; the best keeps the turn ranking's best score (callers'
        # relevance floors read scores).
        scale = hits[0].score / fused[0].score
        return [Hit(h.memory, h.score * scale) for h in fused]

    def _window_scores(
        self,
        ids: tuple[int, ...],
        matrix: np.ndarray,
        vector: np.ndarray,
        lexical_of: dict[int, float],
    ) -> np.ndarray:
        """For each turn of the session, the score of the best window holding it."""
        n = len(ids)
        width = min(self.window_turns, n)
        # Sums over every run of `width` consecutive turns, from cumulative sums.
        summed = np.vstack([np.zeros((1, matrix.shape[1])), np.cumsum(matrix, 0)])
        windows = summed[width:] - summed[:-width]
        windows /= np.maximum(np.linalg.norm(windows, axis=1, keepdims=True), 1e-12)
        words = np.array([lexical_of.get(i, 0.0) for i in ids])
        window_words = np.array([words[j : j + width].max() for j in range(n - width + 1)])
        window = self.cosine(windows @ vector) + self.lexical_weight * window_words
        # Turn i is in windows max(0, i - width + 1) .. min(i, n - width).
        best = np.empty(n)
        for i in range(n):
            best[i] = window[max(0, i - width + 1) : min(i, n - width) + 1].max()
        return best

    def _forget_sessions_if_forgotten(self) -> None:
        """Start the session cache over when memories were forgotten since it was built:
        nothing forgotten may weigh on a ranking, and on SQLite a new episode can take a
        forgotten one's id, so that a session's count and newest id look unchanged."""
        forgettings = self.memories.forgettings()
        if forgettings == self._forgettings:
            return
        with self._sessions_lock:
            self._sessions.clear()
            self._cached_vectors = 0
            self._sessions_loaded.clear()
            self._forgettings = forgettings

    def _load_sessions(self, dim: int) -> None:
        """Every session's mean, read once in one pass. Otherwise each search reads the
        vectors of the sessions it meets for the first time: at 100k memories, a search over
        sessions not seen yet read ~600 vectors (about a third of its time), and a user's
        searches meet new sessions for a long while."""
        with self._sessions_lock:
            if dim in self._sessions_loaded:
                return
            self._sessions_loaded.add(dim)
        sums = self.memories.session_vector_sums(dim)
        with self._sessions_lock:
            for name, (ids, missing, total) in sums.items():
                if self._cached_vectors >= SESSION_CACHE_VECTORS:
                    break
                if name in self._sessions or not ids:
                    continue  # read by a search meanwhile, or nothing embedded yet
                mean = total / max(float(np.linalg.norm(total)), 1e-12)
                newest = max(ids[-1], max(missing, default=0))
                self._sessions[name] = _Session(
                    ids, None, mean, total, len(ids) + len(missing), newest, missing
                )
                self._cached_vectors += 2

    def _sessions_of(self, found: list[Memory], dim: int, windows: bool) -> dict[str, _Session]:
        """The episodes and vectors of each session among `found`, for `dim`-sized vectors.

        Kept between searches. One indexed read per search says how many episodes each
        session holds and its newest: a session that only grew (a conversation going on)
        reads just its new episodes' vectors, and one that lost some is read whole again. An
        episode not embedded yet is asked for again until it is."""
        names = sorted({m.session for m in found if m.session})
        if not names:
            return {}
        shapes = self.memories.session_shapes(names)
        with self._sessions_lock:
            cached = {n: self._sessions.get(n) for n in shapes}
        result: dict[str, _Session] = {}
        changed: dict[str, _Session] = {}
        whole: list[str] = []
        for name, (count, newest) in shapes.items():
            known = cached[name]
            if known is None or known.total.shape != (dim,):
                whole.append(name)
            elif windows and known.matrix is None:
                whole.append(name)
            elif (count, newest) == (known.count, known.newest) and not known.missing:
                result[name] = known
            else:
                grown = self._grown(name, known, count, newest)
                if grown is None:
                    whole.append(name)
                else:
                    changed[name] = grown
        if whole:
            members: dict[str, list[int]] = {}
            for memory_id, name in self.memories.session_episodes(whole):
                members.setdefault(name, []).append(memory_id)
            vectors = self.memories.own_vectors([i for ids in members.values() for i in ids])
            for name, ids in members.items():
                embedded = [i for i in ids if i in vectors and vectors[i].shape == (dim,)]
                session = _session(
                    embedded,
                    vectors,
                    len(ids),
                    max(ids),
                    [i for i in ids if i not in vectors or vectors[i].shape != (dim,)],
                    windows,
                )
                if session is not None:
                    changed[name] = session
        result.update(changed)
        with self._sessions_lock:
            for name, session in changed.items():
                old = self._sessions.pop(name, None)
                self._cached_vectors += session.size - (old.size if old else 0)
                self._sessions[name] = session
            for name in result:
                if name in self._sessions:
                    self._sessions.move_to_end(name)
            while self._cached_vectors > SESSION_CACHE_VECTORS and self._sessions:
                self._cached_vectors -= self._sessions.popitem(last=False)[1].size
        return result

    def _grown(self, name: str, known: _Session, count: int, newest: int) -> _Session | None:
        """`known` with the episodes added to its session since, and those embedded since;
        None when the session also lost some (it is then read whole)."""
        added = self.memories.session_episodes_after(name, known.newest)
        if len(added) != count - known.count:
            return None
        asked = [*known.missing, *added]
        vectors = self.memories.own_vectors(asked)
        fresh = [i for i in asked if i in vectors and vectors[i].shape == known.total.shape]
        total = known.total.copy()
        for i in fresh:
            total += vectors[i]
        ids = sorted([*known.ids, *fresh])
        matrix = None
        if known.matrix is not None:
            rows = {i: known.matrix[n] for n, i in enumerate(known.ids)}
            rows.update((i, vectors[i]) for i in fresh)
            matrix = np.array([rows[i] for i in ids], dtype=np.float32)
        taken = set(fresh)
        return _Session(
            tuple(ids),
            matrix,
            total / max(float(np.linalg.norm(total)), 1e-12),
            total,
            count,
            max(newest, known.newest),
            tuple(i for i in asked if i not in taken),
        )

    def _fused(
        self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]]
    ) -> dict[int, float]:
        """Lexical and cosine scores summed per memory (the lexical one scaled to its best)."""
        scores: dict[int, float] = {}
        for memory_id, similarity in dense:
            scores[memory_id] = self.cosine(similarity)
        if lexical:
            best = max(score for _, score in lexical) or 1.0
            for memory_id, score in lexical:
                scores[memory_id] = scores.get(memory_id, 0.0) + (
                    self.lexical_weight * score / best
                )
        return scores

    def _with_neighbours(self, hits: list[Hit]) -> list[Hit]:
        top = [h for h in hits if h.memory.kind == "episode"][: self.expand_top]
        if not top:
            return hits
        neighbours = self.memories.session_neighbours([], episodes=[h.memory for h in top])
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

    def _recency_reference(self, reference: datetime) -> datetime:
        """What "recent" counts from: the search's moment, or the newest turn's when that is
        earlier. A history imported or left for months keeps its own recent end, so the
        ranking does not change with the day it is searched on."""
        newest = _parse(self.memories.newest_said_at())
        if newest is None:
            return reference
        if (newest.tzinfo is None) != (reference.tzinfo is None):
            newest = newest.replace(tzinfo=None if newest.tzinfo else reference.tzinfo)
        return min(reference, newest)

    def _weight(
        self,
        memory: Memory,
        ranges: list[TimeRange],
        reference: datetime,
        recent: datetime | None = None,
    ) -> float:
        weight = 1.0 + 0.1 * (memory.importance - 0.3)  # facts the user cares about rise a little
        said = _parse(memory.said_at)
        if said is not None:
            # Recent things rise a little too: a half-life of a month, at most +5 %.
            since = (recent or reference).replace(tzinfo=None)
            age_days = abs((since - said.replace(tzinfo=None)).days)
            weight *= 1.0 + RECENCY_BOOST * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
        if ranges and self._from_then(memory, ranges):
            weight *= 1.0 + self.time_boost  # "what did I do last week?": things from then first
        return weight

    def _from_then(self, memory: Memory, ranges: list[TimeRange]) -> bool:
        """Whether the memory happened, was said, or (with `turn_dates`) names a date within
        one of the ranges."""
        when = _parse(memory.happened_at) or _parse(memory.said_at)
        if when is not None and any(_within(when, r) for r in ranges):
            return True
        if not self.turn_dates or memory.kind != "episode":
            return False
        return any(_overlap(named, r) for named in self._dates_named(memory) for r in ranges)

    def _dates_named(self, memory: Memory) -> tuple[TimeRange, ...]:
        """The dates a turn names ("last Saturday", "next month"), resolved against the day
        it was said: a question about June finds "we went camping last month" said in July."""
        said = _parse(memory.said_at)
        if said is None:
            return ()
        with self._dates_lock:
            cached = self._named_dates.get(memory.id)
        if cached is not None and cached[0] == memory.text:
            return cached[1]
        named = tuple(find_time_ranges(memory.text, said))
        with self._dates_lock:
            self._named_dates[memory.id] = (memory.text, named)
            while len(self._named_dates) > NAMED_DATES_CACHE_SIZE:
                self._named_dates.popitem(last=False)
        return named


_embedding_pool: ThreadPoolExecutor | None = None
_pool_guard = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads that embed queries, shared by every user's recall; started on first use."""
    global _embedding_pool
    with _pool_guard:
        if _embedding_pool is None:
            _embedding_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="os1-query")
        return _embedding_pool


def _cosine_map(embedder: Embedder) -> tuple[float, float]:
    """(offset, factor) taking the embedder's cosines onto MiniLM's spread."""
    spread = embedder.cosine_spread
    reference = MiniLMEmbedder.cosine_spread
    if spread is None or reference is None or spread == reference:
        return 0.0, 1.0
    factor = reference[1] / spread[1]
    return reference[0] - factor * spread[0], factor


def _person(memory: Memory, named: set[str], boost: float) -> float:
    """More weight for a memory said by, or about, a person the question names."""
    if not named:
        return 1.0
    who = {(memory.speaker or "").lower(), (memory.subject or "").lower()}
    return 1.0 + boost if who & named else 1.0


def _named_people(query: str, memories: list[Memory]) -> set[str]:
    """The speakers and subjects among `memories` whom the query names (lower-cased)."""
    words = set(re.findall(r"[\w']+", query.lower()))
    words |= {w.removesuffix("'s") for w in words}
    people = {(m.speaker or "").lower() for m in memories}
    people |= {(m.subject or "").lower() for m in memories if m.kind != "episode"}
    return {p for p in people if p and p not in ("user", "assistant") and p in words}


def _one_find_each(hits: list[Hit]) -> list[Hit]:
    """`hits` less those a hit above already found: a turn below a fact derived from it, or
    a fact below the turn it was derived from (what they cite is the same). Facts derived
    from one turn (or one mail) all stay: each says something of its own.

    A list of k hits then holds up to k things found, not a fact and its turn twice over.
    As `os1 memory search --k 10` is measured on the LoCoMo dev split (the first 10 distinct
    turns cited), Recall@10 rose 0.786 → 0.794: conv-26 0.768 → 0.779, conv-30 unchanged
    (0.821)."""
    turns: set[str] = set()  # cited by the turns listed
    derived: set[str] = set()  # cited by the facts listed
    kept: list[Hit] = []
    for hit in hits:
        sources = set(hit.memory.sources)
        episode = hit.memory.kind == "episode"
        if sources and sources <= (derived if episode else turns):
            continue
        if episode:
            # A fact cites the turn's words and the turn itself.
            sources.add(memory_source(hit.memory.id))
        (turns if episode else derived).update(sources)
        kept.append(hit)
    return kept


def _standardised(values: np.ndarray) -> np.ndarray:
    """Zero mean, unit spread: scores on different scales made comparable."""
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


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


def _overlap(a: TimeRange, b: TimeRange) -> bool:
    # Naive with naive, as in `_within`.
    a_start, a_end, b_start, b_end = (
        t.replace(tzinfo=None) for t in (a.start, a.end, b.start, b.end)
    )
    return a_start < b_end and b_start < a_end


def _within(when: datetime, time_range: object) -> bool:
    start, end = time_range.start, time_range.end  # type: ignore[attr-defined]
    # Compare naive with naive: stored times may or may not carry a zone.
    when_n, start_n, end_n = (t.replace(tzinfo=None) for t in (when, start, end))
    return bool(start_n <= when_n < end_n)
