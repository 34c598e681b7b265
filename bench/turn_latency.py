"""Turn latency: OS1 versus raw llama-cpp-python on the same prompt and model, measured in
the same run, plus OS1's own per-turn overhead with the scripted model.

Run: .venv/bin/python bench/turn_latency.py [--runs 7] [--max-tokens 48]
Targets (issue 2): time-to-first-token and tokens/s ratio <= 1.05; overhead <= 10 ms median.

Busy machine: .venv/bin/python bench/turn_latency.py --busy [--compare-old]
The embedded model's first token and tokens/s idle, beside two CPU-bound processes, and beside
a second OS1 process generating all the time, each as a ratio to idle. Targets: <= 2x idle
beside two CPU hogs, <= 3x beside a second OS1. `--compare-old` runs the same modes with the
old choice (one thread per logical CPU, no taking turns) for comparison (slow: minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from llama_cpp import Llama

from os1.config import Settings
from os1.events import TextDelta, TurnDone
from os1.memory import LongTermMemory
from os1.mind.companion import Companion
from os1.mind.persona import Identity, system_prompt
from os1.mind.prompt import compose_prompt
from os1.models import create_model
from os1.models.llamacpp import LlamaCppModel
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore

MESSAGE = "I had a long day at work and I'm tired. Can you tell me something nice?"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def raw_run(
    llm: Llama, tokens: list[int], max_tokens: int, stops: list[str]
) -> tuple[float, float, int]:
    llm.reset()  # cold prompt each run, for both sides
    start = time.perf_counter()
    first = last = 0.0
    n = 0
    for chunk in llm.create_completion(
        tokens, max_tokens=max_tokens, temperature=0, repeat_penalty=1.1, stop=stops, stream=True
    ):
        now = time.perf_counter()
        if chunk["choices"][0]["text"]:
            if n == 0:
                first = now
            n += 1
            last = now
    return first - start, (n - 1) / (last - first) if n > 1 else 0.0, n


async def os1_run(companion: Companion, model: LlamaCppModel) -> tuple[float, float, int]:
    model._llm.reset()
    start = time.perf_counter()
    first = last = 0.0
    pieces: list[str] = []
    async for event in companion.turn(MESSAGE, new=True):
        now = time.perf_counter()
        if isinstance(event, TextDelta):
            if not pieces:
                first = now
            pieces.append(event.text)
            last = now
        elif isinstance(event, TurnDone):
            pass
    # A piece may carry several tokens (they are handed over in batches): count tokens.
    n = model.count_tokens("".join(pieces[1:]))
    return first - start, n / (last - first) if last > first else 0.0, n + 1


async def embedded(runs: int, max_tokens: int, home: Path) -> None:
    settings = Settings(
        model="llamacpp:smollm2-135m",
        max_reply_tokens=max_tokens,
        temperature=0,
        context_window=2048,
        small_model_profile=False,  # the same prompt as the raw side, streamed as it comes
    )
    model = create_model(settings)
    assert isinstance(model, LlamaCppModel)
    await model.load()
    store = SQLiteStore(home / "llama.db")
    companion = Companion(store, model, settings, today=lambda: date(2026, 11, 29))
    messages = compose_prompt(
        system=system_prompt(Identity.load(store), date(2026, 11, 29)),
        history=[],
        user_message=MESSAGE,
        context_window=settings.context_window,
        reply_tokens=max_tokens,
        count=model.count_message_tokens,
    )
    tokens = model.prompt_tokens(messages)
    raw = Llama(
        model_path=str(model.path),
        n_ctx=settings.context_window,
        n_threads=model.threads,
        n_threads_batch=model.threads,
        verbose=False,
    )
    raw_ttft, raw_tps, os1_ttft, os1_tps = [], [], [], []
    await os1_run(companion, model)  # warm-up both (page cache, allocations)
    raw_run(raw, tokens, max_tokens, model._stops)
    for _ in range(runs):
        t, s, n_raw = raw_run(raw, tokens, max_tokens, model._stops)
        raw_ttft.append(t)
        raw_tps.append(s)
        t, s, n_os1 = await os1_run(companion, model)
        os1_ttft.append(t)
        os1_tps.append(s)
    print(
        f"embedded SmolLM2-135M, prompt {len(tokens)} tokens, {runs} runs, "
        f"{n_raw}/{n_os1} tokens generated (raw/os1), cold prompt each run"
    )
    rt, ot = statistics.median(raw_ttft), statistics.median(os1_ttft)
    rs, os_ = statistics.median(raw_tps), statistics.median(os1_tps)
    print(
        f"  time to first token: raw {rt * 1000:7.1f} ms   os1 {ot * 1000:7.1f} ms   "
        f"ratio {ot / rt:.3f} (target <= 1.05)"
    )
    print(
        f"  tokens/s:            raw {rs:7.1f}      os1 {os_:7.1f}      "
        f"ratio {rs / os_:.3f} (raw/os1, target <= 1.05)"
    )
    # A second turn in the same conversation reuses the cached persona prefix.
    conv = store.create_conversation().id
    async for _ in companion.turn(MESSAGE, conv):
        pass
    start = time.perf_counter()
    warm = 0.0
    async for event in companion.turn("Thank you. What else?", conv):
        if isinstance(event, TextDelta) and not warm:
            warm = time.perf_counter() - start
    print(f"  warm follow-up turn (KV prefix reused): first token after {warm * 1000:.1f} ms")
    store.close()


async def overhead(turns: int, home: Path, with_memory: bool) -> None:
    reply = "That sounds like a lot. I'm glad you told me — what would help most right now?"
    model = ScriptedModel(replies=[reply])
    settings = Settings(model="scripted:echo")
    store = SQLiteStore(home / f"scripted-{with_memory}.db")
    memory = LongTermMemory(store) if with_memory else None
    if memory is not None:
        memory.embedder.embed(["load the model before timing"])
    companion = Companion(store, model, settings, memory=memory)
    # Baseline: the scripted model alone, no OS1 around it.
    base: list[float] = []
    for _ in range(turns):
        start = time.perf_counter()
        async for _ in model.stream([], max_tokens=256, temperature=0):
            pass
        base.append(time.perf_counter() - start)
    totals: list[float] = []
    conv = store.create_conversation().id
    for i in range(turns):
        start = time.perf_counter()
        async for _ in companion.turn(f"message number {i}: {MESSAGE}", conv):
            pass
        totals.append(time.perf_counter() - start)
        if memory is not None and i % 20 == 19:
            memory.consolidate()  # the background step, outside the timed turns
    b = statistics.median(base)
    over = [t - b for t in totals]
    label = "with long-term memory (recall every turn)" if with_memory else "without memory"
    print(f"scripted model, {turns} turns in one growing conversation, {label}")
    print(
        f"  model alone median {b * 1000:.3f} ms; OS1 overhead per turn: median "
        f"{statistics.median(over) * 1000:.2f} ms, p95 {pct(over, 0.95) * 1000:.2f} ms "
        f"(target median <= 10 ms)"
    )
    store.close()


# -- a busy machine -------------------------------------------------------------------------

HOG = "while True: pass"
# A second OS1: the same model through OS1's backend, generating back to back until killed.
OTHER_OS1 = """
import asyncio, sys
from os1.config import Settings
from os1.models import create_model
from os1.models.base import Message

async def main():
    settings = Settings(model="llamacpp:smollm2-135m", context_window=2048,
                        model_threads=int(sys.argv[1]), model_take_turns=sys.argv[2] == "1")
    model = create_model(settings)
    await model.load()
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        model._llm.reset()
        msgs = [Message("system", "You are a friendly companion."),
                Message("user", f"Tell me a long story about a lighthouse, number {n}.")]
        async for _ in model.stream(msgs, max_tokens=96, temperature=0.7):
            pass

asyncio.run(main())
"""


async def stream_run(model: LlamaCppModel, max_tokens: int) -> tuple[float, float]:
    """First-token time and tokens/s of one cold-prompt generation through OS1's model."""
    from os1.models.base import Message

    model._llm.reset()
    messages = [Message("system", "You are a kind companion."), Message("user", MESSAGE)]
    start = time.perf_counter()
    first = last = 0.0
    pieces: list[str] = []
    async for piece in model.stream(messages, max_tokens=max_tokens, temperature=0):
        now = time.perf_counter()
        if not pieces:
            first = now
        pieces.append(piece)
        last = now
    # Pieces may carry several tokens each: count the tokens, not the pieces.
    n = model.count_tokens("".join(pieces[1:]))
    return first - start, n / (last - first) if last > first else 0.0


def start_load(mode: str, threads: int, take_turns: bool) -> list[subprocess.Popen[bytes]]:
    if mode == "idle":
        return []
    if mode == "two CPU hogs":
        return [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(2)]
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_OS1, str(threads), "1" if take_turns else "0"],
        stdout=subprocess.PIPE,
    )
    assert other.stdout is not None
    other.stdout.readline()  # "ready": loaded, generating from now on
    time.sleep(0.5)
    return [other]


def stop_load(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


async def busy(runs: int, max_tokens: int, threads: int, take_turns: bool, label: str) -> None:
    settings = Settings(
        model="llamacpp:smollm2-135m",
        context_window=2048,
        model_threads=threads,
        model_take_turns=take_turns,
    )
    model = create_model(settings)
    assert isinstance(model, LlamaCppModel)
    await model.load()
    await stream_run(model, max_tokens)  # warm-up
    print(f"{label}: {model.threads} thread(s), turns {model.turns.enabled}, {runs} runs per mode")
    idle: tuple[float, float] | None = None
    for mode in ("idle", "two CPU hogs", "a second OS1 generating"):
        procs = start_load(mode, threads, take_turns)
        try:
            results = [await stream_run(model, max_tokens) for _ in range(runs)]
        finally:
            stop_load(procs)
        ttft = statistics.median(r[0] for r in results)
        tps = statistics.median(r[1] for r in results)
        if idle is None:
            idle = (ttft, tps)
        target = {"idle": "", "two CPU hogs": " (target <= 2x)"}.get(mode, " (target <= 3x)")
        print(
            f"  {mode:24} first token {ttft * 1000:8.1f} ms ({ttft / idle[0]:5.2f}x idle)   "
            f"{tps:6.1f} tokens/s ({idle[1] / tps if tps else float('inf'):5.2f}x slower){target}"
        )
    await model.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--busy", action="store_true", help="idle vs a busy machine")
    parser.add_argument("--no-turns", action="store_true", help="with --busy: also untaken")
    parser.add_argument("--compare-old", action="store_true", help="with --busy: old threads")
    args = parser.parse_args()
    if args.busy:
        asyncio.run(busy(args.runs, args.max_tokens, 0, True, "OS1 now (auto threads)"))
        if args.no_turns:
            asyncio.run(busy(args.runs, args.max_tokens, 0, False, "auto threads, no turns"))
        if args.compare_old:
            cpus = os.cpu_count() or 1
            asyncio.run(busy(2, args.max_tokens, cpus, False, "before (a thread per CPU)"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(overhead(args.turns, Path(tmp), with_memory=False))
        asyncio.run(overhead(args.turns, Path(tmp), with_memory=True))
        asyncio.run(embedded(args.runs, args.max_tokens, Path(tmp)))


if __name__ == "__main__":
    main()
