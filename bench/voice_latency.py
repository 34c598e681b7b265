"""Voice latency: from the end of the user's speech to the first byte of reply audio, with
the embedded models (Silero VAD, Whisper tiny.en, SmolLM2-135M, Piper), per stage, over
spoken utterances; plus the real-time factors of speech-to-text and synthesis.

Run: .venv/bin/python bench/voice_latency.py [--n 20]
Target (issue 4): <= 500 ms median on a 2-core machine.
Stages: end-of-turn wait (audio time the endpointer needs to be sure the user stopped, plus
its compute), speech-to-text, time to first token, and first synthesised chunk (from the
first token until the first sentence's audio exists).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from os1.config import Settings
from os1.events import TextDelta
from os1.memory import LongTermMemory
from os1.mind.companion import Companion
from os1.models import create_model
from os1.storage import SQLiteStore
from os1.voice import engines
from os1.voice.audio import STT_RATE, Audio
from os1.voice.pipeline import FRAME, Endpointer, frames_of, reply_audio

UTTERANCES = [
    "Hi, I just got home from work.", "Can you tell me something nice?",
    "I had lunch with my sister today.", "What should I cook for dinner tonight?",
    "I am thinking about going for a run.", "My friend Amy is visiting next week.",
    "I finished reading that book about whales.", "It was raining all afternoon.",
    "Do you remember what I told you yesterday?", "I feel a little tired but happy.",
    "Let's plan the weekend together.", "The meeting went better than I expected.",
    "I want to write a letter to my grandmother.", "How was your day?",
    "I found a new coffee place near the park.", "My cat knocked over a plant again.",
    "I'm nervous about the interview tomorrow.", "Play me something calm, please.",
    "I think I need a holiday soon.", "Thank you for listening to me.",
    "We watched an old movie last night.", "I started learning the guitar.",
]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def to_16k(pcm: np.ndarray, rate: int) -> np.ndarray:
    x = pcm.astype(np.float32) / 32768
    n = int(len(x) * STT_RATE / rate)
    return np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x).astype(np.float32)


async def main(n: int) -> None:
    tts, stt = engines.tts("piper"), engines.stt("whisper")
    settings = Settings(model="llamacpp:smollm2-135m", max_reply_tokens=64, context_window=2048)
    model = create_model(settings)
    await model.load()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "voice.db")
        memory = LongTermMemory(store, "minilm")
        companion = Companion(store, model, settings, memory=memory)
        conv = store.create_conversation().id
        # Warm every model once (first-call costs are start-up, not conversation).
        list(tts.synthesize("Warm up."))
        stt.transcribe(Audio(np.zeros(16_000, np.float32), STT_RATE))
        async for _ in companion.turn("Hello!", conv):
            pass
        rows: list[dict[str, float]] = []
        stt_rtf: list[float] = []
        tts_rtf: list[float] = []
        for text in (UTTERANCES * 2)[:n]:
            t0 = time.perf_counter()
            pcm = np.concatenate(list(tts.synthesize(text)))
            tts_rtf.append((time.perf_counter() - t0) / (len(pcm) / tts.sample_rate))
            speech = to_16k(pcm, tts.sample_rate)
            signal = np.concatenate(
                [np.zeros(8000, np.float32), speech, np.zeros(16_000, np.float32)]
            )
            # End of turn: feed frames as a microphone would; the wait is the audio between
            # the last voiced frame and the endpointer's decision, plus its compute time.
            endpointer = Endpointer(engines.vad("silero"))
            compute = 0.0
            last_voiced = end_at = None
            for i, frame in enumerate(frames_of(Audio(signal, STT_RATE))):
                c0 = time.perf_counter()
                voiced = endpointer.vad.probability(frame) >= endpointer.threshold
                compute += time.perf_counter() - c0
                if voiced:
                    last_voiced = i
                change = endpointer.advance(frame, voiced)
                if change == "end":
                    end_at = i
                    break
            assert last_voiced is not None and end_at is not None
            eot = (end_at - last_voiced) * FRAME / STT_RATE + compute / (i + 1)
            utterance = endpointer.take()
            s0 = time.perf_counter()
            heard = stt.transcribe(utterance).text
            stt_s = time.perf_counter() - s0
            stt_rtf.append(stt_s / utterance.seconds)
            marks: dict[str, float] = {}
            r0 = time.perf_counter()

            def note(event: object, marks: dict[str, float] = marks) -> None:
                if isinstance(event, TextDelta) and "token" not in marks:
                    marks["token"] = time.perf_counter()

            pieces = reply_audio(companion, heard, tts, conversation_id=conv, on_event=note)
            async for _ in pieces:
                marks["audio"] = time.perf_counter()
                break
            await pieces.aclose()
            ttft = marks["token"] - r0
            first_chunk = marks["audio"] - marks["token"]
            rows.append({"eot": eot, "stt": stt_s, "ttft": ttft, "tts": first_chunk,
                         "total": eot + stt_s + ttft + first_chunk})  # fmt: skip
        store.close()
    print(f"voice latency over {len(rows)} utterances (embedded models, 2-core machine)")
    for key, label in (("eot", "end-of-turn wait"), ("stt", "speech-to-text"),
                       ("ttft", "time to first token"), ("tts", "first synthesised chunk"),
                       ("total", "end of speech -> first reply audio")):  # fmt: skip
        values = [r[key] for r in rows]
        print(f"  {label:36} median {statistics.median(values) * 1000:7.0f} ms   "
              f"p95 {pct(values, 0.95) * 1000:7.0f} ms")  # fmt: skip
    print(
        f"  real-time factor: speech-to-text {statistics.median(stt_rtf):.3f}, "
        f"synthesis {statistics.median(tts_rtf):.3f} (median; < 1 is faster than real time)"
    )
    total = statistics.median([r["total"] for r in rows])
    print(
        f"  target <= 500 ms median: {'met' if total <= 0.5 else 'not met'} ({total * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20)
    asyncio.run(main(parser.parse_args().n))
