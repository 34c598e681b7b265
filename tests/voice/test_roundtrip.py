"""Real models: Piper speaks known sentences, Whisper writes them down again."""

from __future__ import annotations

import re

import numpy as np

from os1.voice.audio import STT_RATE, Audio

SENTENCES = [
    "Good morning, I hope you slept well.",
    "Remind me to call my mother on Sunday evening.",
    "The meeting with the design team moved to Thursday afternoon.",
    "I would love to read you the letter I wrote last night.",
    "It has been raining all week and I miss the sun.",
]


def wer(reference: str, hypothesis: str) -> float:
    ref = re.findall(r"[a-z']+", reference.lower())
    hyp = re.findall(r"[a-z']+", hypothesis.lower())
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / len(ref)


def test_piper_speech_is_transcribed_with_low_word_error_rate(piper, whisper) -> None:  # type: ignore[no-untyped-def]
    # Piper adds random variation to every rendering, so the rate is taken over the whole
    # set (word-weighted, as WER is usually reported), not sentence by sentence.
    errors = words = 0.0
    heard = []
    for sentence in SENTENCES:
        pcm = np.concatenate(list(piper.synthesize(sentence))).astype(np.float32) / 32768
        n = int(len(pcm) * STT_RATE / piper.sample_rate)
        samples = np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm)
        transcript = whisper.transcribe(Audio(samples.astype(np.float32), STT_RATE)).text
        heard.append(transcript)
        count = len(sentence.split())
        errors += wer(sentence, transcript) * count
        words += count
    assert errors / words <= 0.1, heard


def test_word_error_rate_counts_edits() -> None:
    assert wer("a b c d", "a b c d") == 0
    assert wer("a b c d", "a x c") == 0.5


def test_the_espeak_fallback_voice_is_understood_too(whisper) -> None:  # type: ignore[no-untyped-def]
    from os1.voice import engines

    espeak = engines.tts("espeak")
    sentence = "Please call my mother tomorrow morning."
    pcm = np.concatenate(list(espeak.synthesize(sentence, style="calm"))).astype(np.float32)
    n = int(len(pcm) * STT_RATE / espeak.sample_rate)
    samples = np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm / 32768)
    transcript = whisper.transcribe(Audio(samples.astype(np.float32), STT_RATE)).text
    # espeak-ng is robotic: MODELS.md measured 0.14-0.28 WER on it with Whisper tiny.
    assert wer(sentence, transcript) <= 0.4, transcript
