"""Stand-in engines for tests, registered like the real ones: instant and deterministic."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from os1.voice.audio import Audio
from os1.voice.engines import SpeechToText, TextToSpeech, Transcript, VoiceActivity


class FakeSTT(SpeechToText):
    """Hears whatever OS1_FAKE_TRANSCRIPT says (default: "hello there")."""

    name = "fake"

    def transcribe(self, audio: Audio) -> Transcript:
        return Transcript(os.environ.get("OS1_FAKE_TRANSCRIPT", "hello there"), audio.seconds)


class ToneTTS(TextToSpeech):
    """A 220 Hz tone, 60 ms per word, one chunk per 100 ms."""

    name = "tone"
    sample_rate = 16_000
    seconds_per_word = 0.06

    def synthesize(
        self, text: str, *, style: str = "warm", speed: float = 1.0
    ) -> Iterator[np.ndarray]:
        n = int(len(text.split()) * self.seconds_per_word / speed * self.sample_rate)
        t = np.arange(n) / self.sample_rate
        pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
        for start in range(0, n, 1600):
            yield pcm[start : start + 1600]


class EnergyVAD(VoiceActivity):
    """Loudness as speech: fine for synthetic signals, fooled by real noise."""

    name = "energy"
    threshold = 0.02

    def reset(self) -> None:
        pass

    def probability(self, frame: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(np.square(frame)))) if len(frame) else 0.0
        return min(1.0, rms / self.threshold / 2)
