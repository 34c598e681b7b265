"""Memory recall on LoCoMo (dev split), next to a plain BM25 over turns computed in the same
run; then search latency on 1k/10k/100k synthetic memories and the ingestion rate.

Run: .venv/bin/python bench/memory_recall.py [--data ../shared/data/locomo/locomo-dev.json]
     [--sizes 1000,10000,100000] [--variants] [--conversations conv-26]
     [--database postgresql://…|temp]
Methods are decided on one conversation (--conversations conv-26) and checked unchanged on
the other (conv-30); --variants scores each method switched alone next to the default.
With --database, memories live in PostgreSQL (each conversation a user of one database; `temp`
starts a throw-away cluster as tests/pg.py does) and the vec0 "before" is left out.
Scores are at turn level: the first K distinct source turns (D<session>:<turn>) of one search
of 100 hits. Latency: synthetic memories whose words follow LoCoMo's word frequencies, with
random unit vectors standing in for their embeddings (ingesting 100k through the embedder
would take minutes); each query is a distinct LoCoMo question embedded by the default embedder
inside the timing. The vec0 candidate search (before) and the in-memory binary index (after)
run on the same store, query by query in turn, so that load on the machine hits both alike;
"after, plain" is the in-memory index without recall's second, feedback-moved dense search and
session vectors; "after" is recall as configured without its reranker, "after, reranked" with
it (the cross-encoder's cost does not grow with the store: it reads 30 hits). `--variants`
includes "-rerank", the LoCoMo scores without the reranker, and "-deep", without the broader
ranking that fills a search below the 30 reread hits (R@50 moves, R@10 and R@20 do not).
Targets: Recall@10 >= 0.80 on categories 1-4, no language model at query time; search p95 <= 20
ms at 100k memories.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from os1.memory import Hit, LongTermMemory, Recall
from os1.memory.dates import parse_session_datetime
from os1.memory.embedders import DEFAULT_EMBEDDER, Embedder
from os1.memory.importers import ImportedMessage
from os1.memory.recall import PERSON_BOOST
from os1.memory.rerankers import get_reranker
from os1.memory.store import MemoryStore, NewMemory
from os1.storage import SQLiteStore, Store, open_store

# The --database URL: None keeps every store in a SQLite file of its own.
DATABASE_URL: str | None = None


def bench_store(tmp: Path, name: str, user: str) -> Store:
    """The store a run measures: its own SQLite file, or a user of the --database (named
    for this run, so that runs against one database do not mix)."""
    if DATABASE_URL:
        return open_store(tmp, f"{user}-{os.getpid()}-{int(time.time())}", DATABASE_URL)
    return SQLiteStore(tmp / f"{name}.db", user_id=user)


def settled(store: Store) -> None:
    """On PostgreSQL, table statistics as autovacuum would have them a minute after loading
    (a benchmark does not wait for it): plans over fresh, unanalysed tables are not ones a
    running server would use."""
    if DATABASE_URL:
        with store.transaction() as db:
            db.execute("ANALYZE")


CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo-dev.json"
)


def turns_of(sample: dict) -> list[ImportedMessage]:
    conv = sample["conversation"]
    messages: list[ImportedMessage] = []
    n = 1
    while f"session_{n}" in conv:
        when = parse_session_datetime(conv.get(f"session_{n}_date_time", ""))
        for i, turn in enumerate(conv[f"session_{n}"]):
            text = turn["text"]
            if turn.get("blip_caption"):
                text += f" [shares a photo: {turn['blip_caption']}]"
            messages.append(
                ImportedMessage(
                    id=turn["dia_id"],
                    speaker=turn["speaker"],
                    text=text,
                    time=when + timedelta(seconds=i) if when else None,
                    session=f"session_{n}",
                    line=None,
                )
            )
        n += 1
    return messages


def evidence_of(qa: dict) -> set[str]:
    ids: set[str] = set()
    for item in qa.get("evidence", []):
        ids.update(p.strip() for p in re.split(r"[;,]\s*|\s+(?=D\d)", item) if p.strip())
    return ids


class BM25:
    """Plain Okapi BM25 over turn texts: the baseline."""

    def __init__(self, docs: list[tuple[str, str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.ids = [d[0] for d in docs]
        self.tokens = [self._tok(d[1]) for d in docs]
        self.k1, self.b = k1, b
        self.avgdl = sum(map(len, self.tokens)) / len(self.tokens)
        df: Counter[str] = Counter()
        for toks in self.tokens:
            df.update(set(toks))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.tf = [Counter(t) for t in self.tokens]

    @staticmethod
    def _tok(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    def search(self, query: str, k: int) -> list[str]:
        q = self._tok(query)
        scores = []
        for i, tf in enumerate(self.tf):
            dl = len(self.tokens[i])
            s = 0.0
            for t in q:
                if t in tf:
                    f = tf[t]
                    s += (
                        self.idf[t]
                        * f
                        * (self.k1 + 1)
                        / (f + self.k1 * (1 - self.b + self.b * dl / self.avgdl))
                    )
            scores.append(s)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [self.ids[i] for i in order]


def ranked_turns(hits: list, k: int) -> list[str]:
    out: list[str] = []
    for h in hits:
        for s in h.sources:
            if re.fullmatch(r"D\d+:\d+", s) and s not in out:
                out.append(s)
    return out[:k]


def ndcg(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


RECALL_KS = (5, 10, 20, 50)


# Recall's methods switched one at a time against the default (`--variants`): the measurements
# behind keeping or dropping each of them (issue 15). "-" removes a default one, "+" adds one
# that is off by default.
VARIANTS: dict[str, dict[str, Any]] = {
    "-feedback": {"feedback": 0},
    "-session": {"session_weight": 0.0},
    "-turndates": {"turn_dates": False},
    "-timeboost": {"time_boost": 0.0},
    "-rerank": {"reranker": None},
    "-deep": {"deep": False},
    "+window": {"windows": True},
    "+split": {"split_queries": True},
    "+person": {"person_boost": PERSON_BOOST},
}


def locomo(
    data: Path,
    tmp: Path,
    *,
    vec0: bool = False,
    variants: dict[str, dict[str, Any]] | None = None,
    only: set[str] | None = None,
    embedder: str = DEFAULT_EMBEDDER,
    reranker: str = "ms-marco",
) -> None:
    samples = json.loads(data.read_text())
    if only:
        samples = [s for s in samples if s["sample_id"] in only]
    variants = variants or {}
    results: dict[str, dict[int, list[float]]] = {
        f"{system} {metric}": defaultdict(list)
        for system in ("os1", *variants, "bm25")
        for metric in [f"R@{k}" for k in RECALL_KS] + ["NDCG@10"]
    }
    query_times: list[float] = []
    # As the held-out figures are measured: `os1 memory search --k K` (K hits, searched
    # against today), then the first K distinct turns of those. A derived memory citing a turn
    # already listed takes a place, so this can be lower than R@K of the deep ranking.
    as_cli: dict[int, dict[int, list[float]]] = {k: defaultdict(list) for k in (10, 50)}
    ingest_msgs, ingest_secs = 0, 0.0
    for sample in samples:
        turns = turns_of(sample)
        store = bench_store(tmp, sample["sample_id"], sample["sample_id"])
        memory = LongTermMemory(store, embedder, reranker=reranker)  # type: ignore[arg-type]
        memory.store.memory_index = not vec0
        start = time.perf_counter()
        memory.import_messages(turns)
        memory.consolidate()
        ingest_secs += time.perf_counter() - start
        settled(store)
        ingest_msgs += len(turns)
        bm25 = BM25([(t.id, t.text) for t in turns])
        reference = max(t.time for t in turns if t.time)
        others = {
            name: Recall(memory.store, memory.embedder, **{"reranker": memory.reranker, **options})
            for name, options in variants.items()
        }
        for qa in sample["qa"]:
            relevant = evidence_of(qa)
            if not relevant:
                continue
            cat = int(qa["category"])
            t0 = time.perf_counter()
            # Facts derived from a turn cite it too: ask for twice as many hits as turns
            # scored so that the ranking holds 50 distinct turns.
            hits = memory.recall.search(qa["question"], k=100, reference=reference)
            query_times.append(time.perf_counter() - t0)
            top = max(RECALL_KS)
            rankings = {"os1": ranked_turns(hits, top)}
            for name, recall in others.items():
                found = recall.search(qa["question"], k=100, reference=reference)
                rankings[name] = ranked_turns(found, top)
            rankings["bm25"] = bm25.search(qa["question"], top)
            for k, per_cat in as_cli.items():
                shallow = memory.recall.search(qa["question"], k=k)
                per_cat[cat].append(recall_at(ranked_turns(shallow, k), relevant, k))
            for name, ranked in rankings.items():
                for k in RECALL_KS:
                    results[f"{name} R@{k}"][cat].append(recall_at(ranked, relevant, k))
                results[f"{name} NDCG@10"][cat].append(ndcg(ranked, relevant))
        store.close()
    names = ", ".join(s["sample_id"] for s in samples)
    print(f"LoCoMo dev ({names}: {ingest_msgs} turns; embedder {embedder}; reranker {reranker})")
    header = (
        f"{'metric':14}" + "".join(f"{CATEGORIES[c]:>13}" for c in range(1, 6)) + f"{'cat 1-4':>10}"
    )
    print(header)
    for name, per_cat in results.items():
        if name.split()[0] in variants and not name.endswith(("R@10", "R@50")):
            continue  # a variant's R@10 and R@50 say whether it helps
        row = f"{name:14}"
        for c in range(1, 6):
            row += f"{statistics.mean(per_cat[c]) if per_cat[c] else float('nan'):13.3f}"
        headline = [v for c in range(1, 5) for v in per_cat[c]]
        row += f"{statistics.mean(headline):10.3f}"
        print(row)
    o = [v for c in range(1, 5) for v in results["os1 R@10"][c]]
    b = [v for c in range(1, 5) for v in results["bm25 R@10"][c]]
    print(
        f"Recall@10 (cat 1-4): os1 {statistics.mean(o):.3f} vs BM25 {statistics.mean(b):.3f} "
        f"(ratio {statistics.mean(o) / statistics.mean(b):.2f}; target >= 0.80)"
    )
    cli = {k: [v for c in range(1, 5) for v in per_cat[c]] for k, per_cat in as_cli.items()}
    print(
        "as `os1 memory search --k K` measures (cat 1-4): "
        + ", ".join(f"R@{k} {statistics.mean(v):.3f}" for k, v in cli.items())
    )
    qt = sorted(query_times)
    print(
        f"query latency on these conversations: p50 {statistics.median(qt) * 1000:.1f} ms, "
        f"p95 {qt[int(0.95 * (len(qt) - 1))] * 1000:.1f} ms"
    )
    print(f"ingestion (import + embed + derive): {ingest_msgs / ingest_secs:.0f} messages/s")


WORDS = (
    "morning coffee garden sister brother work project trip paris berlin dog cat movie book "
    "concert dinner birthday doctor school running hiking painting guitar piano beach rain "
    "weekend holiday letter friend mother father job interview recipe bakery museum"
).split()
QUERIES = [
    "what did my sister say about the trip to paris",
    "when is the doctor appointment",
    "which book did I like",
    "tell me about the concert last weekend",
    "what does my friend do for work",
    "guitar lessons",
]


def synthetic_corpus(data: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Words and their frequencies from LoCoMo's turns, and its questions as queries (the
    fixed lists above when the data is missing)."""
    if not data.exists():
        return WORDS, np.full(len(WORDS), 1 / len(WORDS)), QUERIES * 10
    samples = json.loads(data.read_text())
    counts: Counter[str] = Counter()
    for sample in samples:
        for turn in turns_of(sample):
            counts.update(re.findall(r"[a-z']+", turn.text.lower()))
    words = list(counts)
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    questions = list(dict.fromkeys(qa["question"] for s in samples for qa in s["qa"]))
    return words, freq / freq.sum(), questions[:100]


class BeforeStore(MemoryStore):
    """Search as before the in-memory index: candidates from the vec0 table, and the owner's
    id in every full-text query."""

    def __init__(self, store: SQLiteStore) -> None:
        super().__init__(store, memory_index=False)
        self.index._search_scope = self.index.scoped  # type: ignore[attr-defined]


class BeforeRecall(Recall):
    """Recall as it was: words common up to 2000 memories ranked, the query embedded before
    anything else rather than beside the full-text query."""

    def __init__(self, memories: MemoryStore, embedder: Embedder) -> None:
        super().__init__(memories, embedder, common_term_docs=2000)

    def search(self, query: str, k: int = 10, *, reference: datetime | None = None) -> list[Hit]:
        self.embed_query(query.strip())
        return super().search(query, k, reference=reference)


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000


def latency(sizes: list[int], tmp: Path, data: Path, reranker: str = "ms-marco") -> None:
    rng = np.random.default_rng(7)
    words, freq, queries = synthetic_corpus(data)
    speakers = ["Caroline", "Melanie", "Joanna", "Nate", "Jon", "Gina"]
    for size in sizes:
        store = bench_store(tmp, f"synthetic-{size}", "bench")
        memory = LongTermMemory(store)  # type: ignore[arg-type]
        batch = 5000
        start = time.perf_counter()
        for offset in range(0, size, batch):
            n = min(batch, size - offset)
            texts = [
                f"{speakers[int(rng.integers(len(speakers)))]}: "
                + " ".join(rng.choice(words, int(rng.integers(6, 30)), p=freq))
                for _ in range(n)
            ]
            ids = memory.store.add_many(
                [
                    NewMemory(
                        "episode",
                        t,
                        (f"import:s{offset + i}",),
                        said_at="2026-01-01T00:00:00",
                        session=f"session_{(offset + i) // 20}",
                    )
                    for i, t in enumerate(texts)
                ],
                consolidated=True,
            )
            # Random unit vectors stand in for embeddings: the index cost is the same.
            vecs = rng.standard_normal((n, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            memory.store.set_embeddings("synthetic", list(zip(ids, vecs, vecs, strict=True)))
        build = time.perf_counter() - start
        settled(store)
        after = MemoryStore(store)
        t0 = time.perf_counter()
        after.nearest(vecs[0], 1)  # loads the in-memory index
        load = time.perf_counter() - t0
        systems = {
            # vec0 is SQLite's: on PostgreSQL only the backend's own search runs.
            **(
                {}
                if DATABASE_URL
                else {"before": BeforeRecall(BeforeStore(store), memory.embedder)}
            ),  # type: ignore[arg-type]
            "after, plain": Recall(after, memory.embedder, feedback=0, session_weight=0),
            "after": Recall(after, memory.embedder),
            "after, reranked": Recall(after, memory.embedder, reranker=get_reranker(reranker)),
        }
        for recall in systems.values():
            recall.search("warm up", k=10)
        times: dict[str, list[float]] = {name: [] for name in systems}
        embed: list[float] = []
        for q in queries:
            t0 = time.perf_counter()
            memory.embedder.embed_one(q)
            embed.append(time.perf_counter() - t0)
            for name, recall in systems.items():
                t0 = time.perf_counter()
                recall.search(q, k=10)
                times[name].append(time.perf_counter() - t0)
        print(
            f"{size:>7} memories (built in {build:.1f} s; index loaded in {load * 1000:.0f} ms;"
            f" query embedding alone p50 {percentiles(embed)[0]:.1f} ms):"
        )
        for name, t in times.items():
            p50, p95 = percentiles(t)
            print(f"    {name:18} search p50 {p50:6.1f} ms, p95 {p95:6.1f} ms")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="latency store sizes ('none': skip)"
    )
    parser.add_argument("--skip-locomo", action="store_true")
    parser.add_argument(
        "--variants", action="store_true", help="also score each recall method switched alone"
    )
    parser.add_argument(
        "--conversations",
        metavar="IDS",
        help="score only these conversations (comma-separated sample ids, e.g. conv-26): "
        "methods are chosen on one and checked on another",
    )
    parser.add_argument(
        "--embedder",
        default=DEFAULT_EMBEDDER,
        help="the name of the registered embedder LoCoMo is scored with",
    )
    parser.add_argument(
        "--reranker",
        default="ms-marco",
        help="the registered reranker recall uses ('none': off); latency reports both",
    )
    parser.add_argument(
        "--vec0", action="store_true", help="LoCoMo with the vec0 candidate search (before)"
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="keep memories in this PostgreSQL database ('temp': a throw-away cluster)",
    )
    args = parser.parse_args()
    global DATABASE_URL
    cluster = None
    if args.database == "temp":
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.pg import Cluster, app_database, postgres_bin

        bindir = postgres_bin()
        if bindir is None:
            parser.error("--database temp needs PostgreSQL's server programs (initdb)")
        cluster = Cluster(bindir)
        # As OS1 is deployed: an ordinary role, so row-level security's cost is measured.
        DATABASE_URL = app_database(cluster.start())
    else:
        DATABASE_URL = args.database
    try:
        run(args)
    finally:
        if cluster is not None:
            from os1.storage.postgres import close_pools

            close_pools()
            cluster.stop()


def run(args: argparse.Namespace) -> None:
    if DATABASE_URL:
        print(f"database: PostgreSQL ({DATABASE_URL.split('@')[-1]})")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_locomo:
            locomo(
                args.data,
                Path(tmp),
                vec0=args.vec0,
                variants=VARIANTS if args.variants else None,
                only=set(args.conversations.split(",")) if args.conversations else None,
                embedder=args.embedder,
                reranker=args.reranker,
            )
        if args.sizes and args.sizes != "none":
            latency([int(s) for s in args.sizes.split(",")], Path(tmp), args.data, args.reranker)


if __name__ == "__main__":
    main()
