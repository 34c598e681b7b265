"""Voice latency: from the end of the user's speech to the first sound of the reply, with
the embedded models (Silero VAD, Whisper tiny.en, SmolLM2-135M, Piper), per stage, through the
live `VoiceSession` fed in real time (32 ms microphone frames, paced by the clock), over
spoken utterances; plus false cut-ins and the real-time factors of speech-to-text and
synthesis.

Run: .venv/bin/python bench/voice_latency.py [--n 20] [--end-of-turn-ms 600]
Target (issue 16): <= 500 ms median on a 2-core machine, 0 false cut-ins.
Stages, each from the end of the previous one:
  end-of-turn wait   last speech sample -> the session decides the turn is over
  speech-to-text     recognition still left to do at that moment (0 when the decode made
                     during the pause is the transcript)
  first token        the model's first words
  first audio        the first clause's first synthesised chunk, handed to the speaker
Utterances with a mid-sentence pause (speech, 0.6 s of silence, the rest) count a false cut-in
when the session ends the turn in the pause.
Echo (--echo N): N replies play in real time through a speaker that leaks into the microphone
(18 dB down, no echo cancellation); every second one the user talks over 1 s in. Counted: false
barge-ins and turns made of OS1's own voice (target 0), and how soon talking over it stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
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
from os1.voice.pipeline import (
    FRAME,
    Echo,
    EndOfTurn,
    Heard,
    Interrupted,
    ReplyAudio,
    Spoken,
    TurnTiming,
    VoiceSession,
)

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

# A natural pause inside a sentence: after a conjunction, a hesitation, a subordinate clause,
# a preposition or "to". None of these should end the turn.
PAUSED = [
    ("I went to the shop and", "bought some fresh bread."),
    ("I was thinking, um,", "maybe we could go out tonight."),
    ("When I got home,", "the cat was asleep on my bed."),
    ("Can you remind me to", "call my mother tomorrow?"),
    ("My sister and I are going to", "the beach this weekend."),
    ("I would like to talk about", "the trip we planned."),
]  # fmt: skip
PAUSE_SECONDS = 0.6

# Echo: OS1's voice comes back into its own microphone 18 dB down (a laptop's speaker, no echo
# cancellation); the user talks over the reply a second into it, at full loudness.
ECHO_GAIN = 0.125
BARGE = "Sorry to interrupt, can I ask you something else?"
BARGE_AFTER = 1.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def to_16k(pcm: np.ndarray, rate: int) -> np.ndarray:
    x = pcm.astype(np.float32) / 32768
    n = int(len(x) * STT_RATE / rate)
    return np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x).astype(np.float32)


async def mic_of(signal: np.ndarray, t0: float) -> AsyncIterator[np.ndarray]:
    """A microphone: each 32 ms frame arrives when it has been 'recorded'."""
    for i in range(len(signal) // FRAME):
        delay = t0 + (i + 1) * FRAME / STT_RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        yield signal[i * FRAME : (i + 1) * FRAME]


async def one_turn(
    session_args: dict[str, object], speech: list[np.ndarray]
) -> dict[str, float | int | str]:
    """Speak `speech` (parts separated by a pause) into a fresh session; time the answer."""
    lead, pause, tail = 0.5, PAUSE_SECONDS, 2.2
    parts: list[np.ndarray] = [np.zeros(int(lead * STT_RATE), np.float32)]
    for k, part in enumerate(speech):
        if k:
            parts.append(np.zeros(int(pause * STT_RATE), np.float32))
        parts.append(part)
    speech_end = sum(len(p) for p in parts)
    signal = np.concatenate([*parts, np.zeros(int(tail * STT_RATE), np.float32)])
    marks: dict[str, float] = {}
    ends: list[float] = []
    heard: list[str] = []

    def on_frame(frame: object) -> None:
        now = time.monotonic()
        if isinstance(frame, EndOfTurn):
            ends.append(now)
        elif isinstance(frame, Heard):
            heard.append(frame.text)
            marks.setdefault("heard", now)
        elif isinstance(frame, ReplyAudio):
            marks.setdefault("audio", now)

    def on_event(event: object) -> None:
        if isinstance(event, TextDelta):
            marks.setdefault("token", time.monotonic())

    async def play(pcm: np.ndarray, rate: int) -> None:
        await asyncio.sleep(0)  # the speaker: instant, so the next turn isn't held up

    session = VoiceSession(**session_args, on_frame=on_frame, on_event=on_event)  # type: ignore[arg-type]
    t0 = time.monotonic() + 0.05
    await session.run(mic_of(signal, t0), play)
    end_of_speech = t0 + speech_end / STT_RATE
    cut_in = sum(1 for e in ends if e < end_of_speech)
    final = next((e for e in ends if e >= end_of_speech), None)
    if final is None or "audio" not in marks or len(heard) != 1 + cut_in:
        return {"cut_in": cut_in, "missed": 1, "heard": " | ".join(heard)}
    return {
        "eot": final - end_of_speech, "stt": marks["heard"] - final,
        "ttft": marks["token"] - marks["heard"], "tts": marks["audio"] - marks["token"],
        "total": marks["audio"] - end_of_speech, "cut_in": cut_in, "missed": 0,
        "heard": " | ".join(heard),
    }  # fmt: skip


async def echo_turn(
    session_args: dict[str, object], question: np.ndarray, barge: np.ndarray | None
) -> dict[str, float | int | str]:
    """Ask `question` and let the reply play in real time into a speaker that leaks into the
    microphone; with `barge`, the user talks over it. Counts what the echo set off."""
    pending = [np.zeros(0, np.float32)]  # the speaker's sound still to reach the microphone
    first_audio: list[float] = []
    heard: list[str] = []
    echoes: list[str] = []
    interrupted: list[float] = []
    spoken: list[float] = []  # the reply was spoken to its end

    def on_frame(frame: object) -> None:
        if isinstance(frame, Spoken):
            spoken.append(time.monotonic())
        elif isinstance(frame, ReplyAudio):
            first_audio.append(time.monotonic())
        elif isinstance(frame, Heard):
            heard.append(frame.text)
        elif isinstance(frame, Echo):
            echoes.append(frame.text)
        elif isinstance(frame, Interrupted):
            interrupted.append(time.monotonic())
            pending[0] = np.zeros(0, np.float32)  # the speaker stops at once

    async def play(pcm: np.ndarray, rate: int) -> None:
        pending[0] = np.concatenate([pending[0], to_16k(pcm, rate)])
        await asyncio.sleep(len(pcm) / rate)  # a real speaker takes its time

    session = VoiceSession(**session_args, on_frame=on_frame)  # type: ignore[arg-type]
    user = np.concatenate([np.zeros(int(0.5 * STT_RATE), np.float32), question])
    barge_from: list[int] = []  # the frame at which the user starts talking over the reply
    barge_at: list[float] = []  # ... and when that is

    async def mic() -> AsyncIterator[np.ndarray]:
        t0 = time.monotonic()
        quiet_since = 0
        for i in range(int(60 * STT_RATE / FRAME)):
            delay = t0 + (i + 1) * FRAME / STT_RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            frame = np.zeros(FRAME, np.float32)
            part = user[i * FRAME : (i + 1) * FRAME]
            frame[: len(part)] += part
            if barge is not None and first_audio and not barge_from:
                barge_from.append(i + int(BARGE_AFTER * STT_RATE / FRAME))
                barge_at.append(t0 + barge_from[0] * FRAME / STT_RATE)
            if barge_from and i >= barge_from[0]:
                part = barge[(i - barge_from[0]) * FRAME : (i - barge_from[0] + 1) * FRAME]
                frame[: len(part)] += part
            echo, pending[0] = pending[0][:FRAME], pending[0][FRAME:]
            frame[: len(echo)] += ECHO_GAIN * echo
            done_talking = first_audio and not session.talking and not len(pending[0])
            quiet_since = quiet_since + 1 if done_talking else 0
            if quiet_since * FRAME > 3 * STT_RATE:  # the reply and its echo are over
                break
            yield frame

    await session.run(mic(), play)
    onset = barge_at[0] if barge_at else float("inf")
    cuts = [t for t in interrupted if t >= onset]
    # A reply shorter than BARGE_AFTER was over before the user spoke; one that ended within
    # a second and a half of it was not left talking over them long.
    over_before = bool(spoken) and spoken[0] < onset
    ended_soon = bool(spoken) and spoken[0] < onset + 1.5
    row: dict[str, float | int | str] = {
        "false_barge": len(interrupted) - len(cuts),
        # Turns besides the question and the user's barge-in (a turn whenever it was said).
        "echo_turns": max(0, len(heard) - 1 - (barge is not None)),
        "ignored": len(echoes), "talked_over": int(barge is not None and not over_before),
        "missed": int(barge is not None and not cuts and not ended_soon),
        "heard": " | ".join(heard),
    }  # fmt: skip
    if cuts:
        row["barge_latency"] = cuts[0] - onset
    return row


async def main(
    n: int, end_of_turn_ms: int, verbose: bool, echo_n: int = 0, anticipate: bool = True
) -> None:
    tts, stt = engines.tts("piper"), engines.stt("whisper")
    settings = Settings(model="llamacpp:smollm2-135m", max_reply_tokens=64, context_window=2048)
    model = create_model(settings)
    await model.load()

    def spoken(text: str) -> np.ndarray:
        """Piper's speech without its own leading and trailing silence, so the end of speech
        is the last sound, not the end of the file."""
        x = to_16k(np.concatenate(list(tts.synthesize(text))), tts.sample_rate)
        loud = np.flatnonzero(np.abs(x) > 0.01)
        return x[loud[0] : loud[-1] + 1] if len(loud) else x

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "voice.db")
        memory = LongTermMemory(store)
        companion = Companion(store, model, settings, memory=memory)
        if not anticipate:  # the baseline: the model sees the words only when the turn ends
            companion.anticipate = lambda text, conversation_id=None: None  # type: ignore[method-assign]
        conv = store.create_conversation().id
        # Warm every model once (first-call costs are start-up, not conversation).
        spoken("Warm up.")
        async for _ in companion.turn("Hello!", conv):
            pass
        args: dict[str, object] = {
            "companion": companion, "stt": stt, "tts": tts, "vad": None,
            "conversation_id": conv, "timing": TurnTiming(base_ms=end_of_turn_ms),
        }  # fmt: skip
        rows: list[dict[str, float | int | str]] = []
        paused_rows: list[dict[str, float | int | str]] = []
        stt_rtf: list[float] = []
        tts_rtf: list[float] = []
        for text in (UTTERANCES * 2)[:n]:
            t0 = time.perf_counter()
            speech = spoken(text)
            tts_rtf.append((time.perf_counter() - t0) / (len(speech) / STT_RATE))
            t0 = time.perf_counter()
            stt.transcribe(Audio(speech, STT_RATE))
            stt_rtf.append((time.perf_counter() - t0) / (len(speech) / STT_RATE))
            args["vad"] = engines.vad("silero")
            rows.append(await one_turn(args, [speech]))
        for first, second in PAUSED:
            args["vad"] = engines.vad("silero")
            paused_rows.append(await one_turn(args, [spoken(first), spoken(second)]))
        echo_rows: list[dict[str, float | int | str]] = []
        for k, text in enumerate((UTTERANCES * 2)[:echo_n]):
            args["vad"] = engines.vad("silero")
            barge = spoken(BARGE) if k % 2 else None
            echo_rows.append(await echo_turn(args, spoken(text), barge))
        store.close()
    print(
        f"voice latency over {len(rows)} utterances + {len(paused_rows)} with a "
        f"{PAUSE_SECONDS:.1f} s mid-sentence pause (embedded models, base end of turn "
        f"{end_of_turn_ms} ms)"
    )
    timed = [r for r in rows + paused_rows if not r["missed"] and not r["cut_in"]]
    for key, label in (("eot", "end-of-turn wait"), ("stt", "speech-to-text left"),
                       ("ttft", "time to first token"), ("tts", "first synthesised chunk"),
                       ("total", "end of speech -> first reply audio")):  # fmt: skip
        values = [float(r[key]) for r in timed]
        print(f"  {label:36} median {statistics.median(values) * 1000:7.0f} ms   "
              f"p95 {pct(values, 0.95) * 1000:7.0f} ms")  # fmt: skip
    cut_whole = sum(int(r["cut_in"]) for r in rows)
    cut_paused = sum(int(r["cut_in"]) for r in paused_rows)
    print(f"  false cut-ins: {cut_whole} on {len(rows)} whole sentences, "
          f"{cut_paused} on {len(paused_rows)} sentences with a pause")  # fmt: skip
    for r in rows + paused_rows:
        if r["missed"] or r["cut_in"]:
            print(f"    {'cut in' if r['cut_in'] else 'no answer'}: heard {r['heard']!r}")
        elif verbose:
            stages = "  ".join(
                f"{k} {float(r[k]) * 1000:5.0f}" for k in ("eot", "stt", "ttft", "tts", "total")
            )
            print(f"    {stages}  {r['heard']!r}")
    print(
        f"  real-time factor: speech-to-text {statistics.median(stt_rtf):.3f}, "
        f"synthesis {statistics.median(tts_rtf):.3f} (median; < 1 is faster than real time)"
    )
    if echo_rows:
        barged = [r for r in echo_rows if r["talked_over"]]
        latency = [float(r["barge_latency"]) for r in barged if "barge_latency" in r]
        print(
            f"  echo ({ECHO_GAIN:g} of the voice back in the microphone): "
            f"{sum(int(r['false_barge']) for r in echo_rows)} false barge-ins and "
            f"{sum(int(r['echo_turns']) for r in echo_rows)} echo turns in "
            f"{len(echo_rows)} replies ({sum(int(r['ignored']) for r in echo_rows)} stretches "
            f"of echo ignored); talked over {len(barged)} times, "
            f"{sum(int(r['missed']) for r in barged)} missed"
            + (f", stopped after median {statistics.median(latency) * 1000:.0f} ms "
               f"(p95 {pct(latency, 0.95) * 1000:.0f} ms)" if latency else "")
        )  # fmt: skip
        for r in echo_rows:
            if verbose or r["false_barge"] or int(r["echo_turns"]) > 0 or r["missed"]:
                flags = " ".join(f"{k} {r[k]}" for k in ("false_barge", "echo_turns", "ignored",
                                                             "talked_over", "missed"))  # fmt: skip
                print(f"    echo: {flags}: heard {r['heard']!r}")
    total = statistics.median([float(r["total"]) for r in timed])
    print(
        f"  target <= 500 ms median: {'met' if total <= 0.5 else 'not met'} ({total * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--end-of-turn-ms", type=int, default=Settings().voice_end_of_turn_ms)
    parser.add_argument("--verbose", action="store_true", help="one line per utterance")
    parser.add_argument(
        "--echo", type=int, default=4, help="replies played back into the microphone (every "
        "second one talked over)",
    )  # fmt: skip
    parser.add_argument(
        "--no-anticipate", action="store_true", help="the model does not evaluate the words "
        "while the end-of-turn silence runs out (the baseline for that step)",
    )  # fmt: skip
    options = parser.parse_args()
    asyncio.run(
        main(
            options.n, options.end_of_turn_ms, options.verbose, options.echo,
            anticipate=not options.no_anticipate,
        )  # fmt: skip
    )
