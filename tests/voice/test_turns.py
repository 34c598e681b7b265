"""Recognition while the user speaks, the end of turn that listens to the words, and the early
start of the reply's voice — with the real engines (Whisper, Silero, spaCy, Piper)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest

from os1.config import Settings
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore
from os1.voice import engines
from os1.voice.audio import STT_RATE, Audio
from os1.voice.local import cut_repeat
from os1.voice.pipeline import (
    FRAME,
    EndOfTurn,
    Heard,
    Partial,
    SentenceSplitter,
    StablePrefix,
    TurnTiming,
    VoiceSession,
    turn_complete,
)


@pytest.mark.parametrize(
    "words",
    [
        "How was your day?",
        "Hi, I just got home from work.",
        "Play me something calm, please.",
        "It was raining all afternoon",  # Whisper often leaves off the full stop
    ],
)
def test_a_finished_sentence_or_question_completes_the_turn(words: str) -> None:
    assert turn_complete(words) is True


@pytest.mark.parametrize(
    "words",
    [
        "I went to the shop and",
        "I was thinking, um",
        "Can you remind me to",
        "I would like to talk about",
        "When I got home,",
        "If you can",
        "My friend",
    ],
)
def test_words_that_clearly_go_on_keep_the_turn_open(words: str) -> None:
    assert turn_complete(words) is False


@pytest.mark.parametrize("words", ["Hi.", "Okay.", "Well, yes."])
def test_a_word_or_two_with_a_full_stop_may_be_a_comma_pause_and_does_not_end_early(
    words: str,
) -> None:
    # Piper pauses ~220 ms at the comma of "Hi, I just got home", and Whisper writes "Hi.".
    assert turn_complete(words) is None


def test_the_silence_that_ends_a_turn_follows_the_words_and_the_setting() -> None:
    timing = TurnTiming(base_ms=Settings().voice_end_of_turn_ms)
    assert timing.frames(True) < timing.frames(None) < timing.frames(False)
    longer = TurnTiming(base_ms=1200)
    assert longer.frames(None) == pytest.approx(2 * timing.frames(None), abs=1)


def test_the_stable_prefix_holds_only_words_two_decodes_agree_on_and_never_shrinks() -> None:
    stable = StablePrefix()
    assert stable.feed("I went") == ""
    assert stable.feed("I went to the sharp") == "I went"
    assert stable.feed("I went to the shop and") == "I went to the"
    assert stable.feed("I want") == "I went to the"  # a worse decode withdraws nothing


def test_the_first_clause_is_spoken_before_the_sentence_ends() -> None:
    splitter = SentenceSplitter(first_clause_words=4)
    assert splitter.feed("Oh, I see") == []  # "Oh," is too short to say alone
    assert splitter.feed(" what you mean, and") == ["Oh, I see what you mean,"]
    # After the first clause, whole sentences again: the voice is already talking.
    assert splitter.feed(" it sounds lovely, really. Tell") == ["and it sounds lovely, really."]
    assert splitter.flush() == ["Tell"]


def test_whisper_repeating_itself_is_cut_back_to_one_saying() -> None:
    assert cut_repeat("How was your day? How was your") == "How was your day?"
    assert cut_repeat("it was raining, it was raining, it was raining") == "it was raining,"
    for honest in ("I think I can.", "Hi. Hi, how are you?", "No, no, no."):
        assert cut_repeat(honest) == honest


def spoken(piper: engines.TextToSpeech, text: str) -> np.ndarray:
    """`text` in Piper's voice, the same every run: its default noise draws new audio each
    time, which Whisper tiny now and then hears otherwise ("the shop and" → "the shopping.")."""
    from piper import SynthesisConfig

    voice = piper._load()  # type: ignore[attr-defined]
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = [
        np.frombuffer(c.audio_int16_bytes, np.int16)
        for c in voice.synthesize(text, syn_config=steady)
    ]
    pcm = np.concatenate(chunks).astype(np.float32) / 32768
    n = int(len(pcm) * STT_RATE / piper.sample_rate)
    x = np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm)
    loud = np.flatnonzero(np.abs(x) > 0.01)
    return x[loud[0] : loud[-1] + 1].astype(np.float32)


def test_short_utterances_are_recognised_in_a_short_window(piper, whisper) -> None:  # type: ignore[no-untyped-def]
    speech = spoken(piper, "What should I cook for dinner tonight?")
    audio = Audio(np.concatenate([np.zeros(4000, np.float32), speech]), STT_RATE)
    assert whisper.transcribe(audio).text == "What should I cook for dinner tonight?"


async def paced(signal: np.ndarray, counter: list[int]) -> AsyncIterator[np.ndarray]:
    """A microphone in real time; counts the frames it delivered."""
    t0 = time.monotonic()
    for i in range(len(signal) // FRAME):
        await asyncio.sleep(max(0.0, t0 + (i + 1) * FRAME / STT_RATE - time.monotonic()))
        counter[0] = i + 1
        yield signal[i * FRAME : (i + 1) * FRAME]


async def listen(
    store: SQLiteStore, parts: list[np.ndarray], pause: float, timing: TurnTiming
) -> tuple[list[object], list[int], int]:
    # The trailing silence outlasts the longest wait for a verdict (1.8 × the base), so the
    # turn ends even when the decode that gives the verdict comes late.
    tail = max(2.5, timing.frames(False) * FRAME / STT_RATE + 0.5)
    silence = [np.zeros(int(s * STT_RATE), np.float32) for s in (0.4, pause, tail)]
    signal = np.concatenate([silence[0], parts[0], *(x for p in parts[1:] for x in (silence[1], p)),
                             silence[2]])  # fmt: skip
    speech_end_frame = (len(signal) - len(silence[2])) // FRAME
    frames: list[object] = []
    counter = [0]
    ended_at: list[int] = []

    def on_frame(frame: object) -> None:
        frames.append(frame)
        if isinstance(frame, EndOfTurn):
            ended_at.append(counter[0])

    async def play(pcm: np.ndarray, rate: int) -> None:
        await asyncio.sleep(0)

    model = ScriptedModel(replies=["Oh, that sounds like a lovely plan for the day."])
    session = VoiceSession(
        Companion(store, model, Settings(model="scripted:x")), engines.stt("whisper"),
        engines.tts("tone"), engines.vad("silero"), timing=timing, on_frame=on_frame,
    )  # fmt: skip
    await session.run(paced(signal, counter), play)
    return frames, ended_at, speech_end_frame


async def test_a_finished_sentence_ends_the_turn_early_and_is_already_transcribed(
    store: SQLiteStore, piper
) -> None:  # type: ignore[no-untyped-def]
    # Slack for a busy machine (the decode that gives the verdict runs during the pause: with
    # the cores taken it came 1.6 s after the speech); the verdict must still beat it.
    timing = TurnTiming(base_ms=2000)
    speech = spoken(piper, "I finished the long letter to my sister last night.")
    frames, ended_at, speech_end = await listen(store, [speech], 0.0, timing)
    assert len(ended_at) == 1
    assert ended_at[0] - speech_end < timing.frames(None)
    heard = [f for f in frames if isinstance(f, Heard)]
    assert len(heard) == 1 and "sister" in heard[0].text.lower()
    assert heard[0].stt_seconds < 0.05  # decoded during the pause: nothing left at the end
    partials = [f for f in frames if isinstance(f, Partial)]
    assert partials, "nothing was recognised while the user spoke"
    # The partials were this utterance; the whole turn's decode is what is kept, and may still
    # correct a word two decodes of a cut-off buffer agreed on ("water" for "letter").
    first = partials[-1].stable.lower().split()[:2]
    assert first and heard[0].text.lower().split()[: len(first)] == first


async def test_a_pause_after_and_does_not_end_the_turn(store: SQLiteStore, piper) -> None:  # type: ignore[no-untyped-def]
    timing = TurnTiming(base_ms=600)
    parts = [spoken(piper, "I went to the shop and"), spoken(piper, "bought some fresh bread.")]
    frames, ended_at, _ = await listen(store, parts, 0.6, timing)
    heard = [f.text for f in frames if isinstance(f, Heard)]
    assert len(ended_at) == 1, heard
    assert "bread" in heard[0]
