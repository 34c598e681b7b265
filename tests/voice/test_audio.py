"""Bad audio gets a clear error; odd formats are converted instead."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from os1.voice import audio as audio_mod
from os1.voice import engines
from os1.voice.audio import Audio, AudioError, NoSpeech, read_audio, write_wav
from os1.voice.pipeline import speech_span


def test_stereo_44k_is_downmixed_and_resampled_to_16k_mono(tmp_path: Path) -> None:
    t = np.arange(44_100) / 44_100
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44_100)
        w.writeframes(np.stack([tone, tone], axis=1).tobytes())
    audio = read_audio(path)
    assert audio.sample_rate == 16_000
    assert audio.samples.ndim == 1 and abs(audio.seconds - 1.0) < 0.02


def test_a_truncated_wav_is_refused(tmp_path: Path, spoken_wav: Path) -> None:
    data = spoken_wav.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match="truncated"):
        read_audio(cut)


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "empty"), (b"this is plainly a text file\n" * 50, "not audio"),
     (b"RIFF\x00\x00\x00\x00WAVEjunkjunk", "broken WAV")],
)  # fmt: skip
def test_files_that_are_not_audio_are_refused(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "input.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=says):
        read_audio(path)


def test_a_huge_file_is_refused_before_decoding(
    tmp_path: Path, spoken_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio_mod, "MAX_BYTES", 1000)
    with pytest.raises(AudioError, match="too large"):
        read_audio(spoken_wav)


def test_a_recording_longer_than_a_turn_is_refused(
    spoken_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio_mod, "MAX_SECONDS", 1)
    with pytest.raises(AudioError, match="longer than"):
        read_audio(spoken_wav)


def test_silence_has_no_speech() -> None:
    with pytest.raises(NoSpeech):
        speech_span(Audio(np.zeros(32_000, np.float32), 16_000), engines.vad("silero"))


def test_white_noise_has_no_speech() -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, 48_000).astype(np.float32)
    with pytest.raises(NoSpeech):
        speech_span(Audio(noise, 16_000), engines.vad("silero"))


def test_speech_is_found_by_the_real_vad(spoken_wav: Path) -> None:
    audio = read_audio(spoken_wav)
    span = speech_span(audio, engines.vad("silero"))
    assert span.seconds > 1.5 and span.seconds < audio.seconds


def test_written_wavs_are_complete_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    write_wav(path, np.arange(1000, dtype=np.int16), 22_050)
    with wave.open(str(path)) as w:
        assert w.getnframes() == 1000 and w.getframerate() == 22_050
    assert not (tmp_path / "out.wav.part").exists()
