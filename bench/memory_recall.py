"""Memory recall on LoCoMo (dev split), next to a plain BM25 over turns computed in the same
run; then search latency on 1k/10k/100k synthetic memories and the ingestion rate.

Run: .venv/bin/python bench/memory_recall.py [--data ../shared/data/locomo/locomo-dev.json]
     [--sizes 1000,10000,100000]
Scores are at turn level: a hit's sources are the imported turn ids (D<session>:<turn>).
Targets (issue 3): Recall@10 >= 0.80 on categories 1-4, no model call at query time;
search p95 <= 20 ms at 100k memories.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import numpy as np

from os1.memory import LongTermMemory
from os1.memory.dates import parse_session_datetime
from os1.memory.importers import ImportedMessage
from os1.memory.store import NewMemory
from os1.storage import SQLiteStore

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


def locomo(data: Path, tmp: Path) -> None:
    samples = json.loads(data.read_text())
    results: dict[str, dict[int, list[float]]] = {
        name: defaultdict(list)
        for name in ("os1 R@5", "os1 R@10", "os1 NDCG@10", "bm25 R@5", "bm25 R@10", "bm25 NDCG@10")
    }
    query_times: list[float] = []
    ingest_msgs, ingest_secs = 0, 0.0
    for sample in samples:
        turns = turns_of(sample)
        store = SQLiteStore(tmp / f"{sample['sample_id']}.db", user_id=sample["sample_id"])
        memory = LongTermMemory(store, "minilm")
        start = time.perf_counter()
        memory.import_messages(turns)
        memory.consolidate()
        ingest_secs += time.perf_counter() - start
        ingest_msgs += len(turns)
        bm25 = BM25([(t.id, t.text) for t in turns])
        reference = max(t.time for t in turns if t.time)
        for qa in sample["qa"]:
            relevant = evidence_of(qa)
            if not relevant:
                continue
            cat = int(qa["category"])
            t0 = time.perf_counter()
            # Facts derived from a turn cite it too: ask for more hits than 10 so that the
            # ranking holds 10 distinct turns.
            hits = memory.recall.search(qa["question"], k=20, reference=reference)
            query_times.append(time.perf_counter() - t0)
            mine = ranked_turns(hits, 10)
            base = bm25.search(qa["question"], 10)
            for name, ranked in (("os1", mine), ("bm25", base)):
                results[f"{name} R@5"][cat].append(recall_at(ranked, relevant, 5))
                results[f"{name} R@10"][cat].append(recall_at(ranked, relevant, 10))
                results[f"{name} NDCG@10"][cat].append(ndcg(ranked, relevant))
        store.close()
    print(f"LoCoMo dev ({len(samples)} conversations, {ingest_msgs} turns)")
    header = (
        f"{'metric':14}" + "".join(f"{CATEGORIES[c]:>13}" for c in range(1, 6)) + f"{'cat 1-4':>10}"
    )
    print(header)
    for name, per_cat in results.items():
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


def latency(sizes: list[int], tmp: Path) -> None:
    rng = np.random.default_rng(7)
    queries = [
        "what did my sister say about the trip to paris",
        "when is the doctor appointment",
        "which book did I like",
        "tell me about the concert last weekend",
        "what does my friend do for work",
        "guitar lessons",
    ] * 5
    for size in sizes:
        store = SQLiteStore(tmp / f"synthetic-{size}.db", user_id="bench")
        memory = LongTermMemory(store, "minilm")
        batch = 5000
        start = time.perf_counter()
        for offset in range(0, size, batch):
            n = min(batch, size - offset)
            texts = [" ".join(rng.choice(WORDS, 12)) for _ in range(n)]
            ids = memory.store.add_many(
                [
                    NewMemory(
                        "episode", t, (f"import:s{offset + i}",), said_at="2026-01-01T00:00:00"
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
        memory.recall.search("warm up", k=10)
        times = []
        for q in queries:
            t0 = time.perf_counter()
            memory.recall.search(q, k=10)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(
            f"{size:>7} memories: search p50 {statistics.median(times) * 1000:6.1f} ms, "
            f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:6.1f} ms "
            f"(built in {build:.1f} s; includes embedding the query)"
        )
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--skip-locomo", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_locomo:
            locomo(args.data, Path(tmp))
        if args.sizes:
            latency([int(s) for s in args.sizes.split(",")], Path(tmp))


if __name__ == "__main__":
    main()
