"""Audio in and out: decode any file to 16 kHz mono, refuse what can't be trusted with one
clear error, and write WAV. Decoding and resampling go through PyAV (FFmpeg's resampler)."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from os1.errors import OS1Error

STT_RATE = 16_000
MAX_SECONDS = 10 * 60  # one spoken turn; longer files are refused, not half-processed
MAX_BYTES = 200 * 1024 * 1024


class AudioError(OS1Error):
    exit_code = 2
    code = "bad_audio"
    default_hint = "Give a WAV, FLAC, MP3 or OGG file with speech in it; nothing was stored."


class NoSpeech(AudioError):
    code = "no_speech"
    default_hint = "Speak a little louder or closer to the microphone; nothing was stored."


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def read_audio(path: str | Path, rate: int = STT_RATE) -> Audio:
    """Decode, downmix and resample a file; AudioError for anything broken."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"no audio file at {path}")
    size = path.stat().st_size
    if size == 0:
        raise AudioError(f"{path.name} is empty")
    if size > MAX_BYTES:
        raise AudioError(
            f"{path.name} is too large ({size // 2**20} MB; at most {MAX_BYTES // 2**20})"
        )
    _check_wav_header(path)
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError(f"{path.name} has no audio in it")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            chunks: list[np.ndarray] = []
            total = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    data = out.to_ndarray().reshape(-1)
                    chunks.append(data)
                    total += len(data)
                    if total > MAX_SECONDS * rate:
                        raise AudioError(
                            f"{path.name} is longer than {MAX_SECONDS // 60} minutes",
                            hint="Split it into shorter turns; nothing was stored.",
                        )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise AudioError(f"{path.name} is not audio OS1 can read ({exc})") from None
    if not chunks or sum(len(c) for c in chunks) == 0:
        raise AudioError(f"{path.name} holds no audio samples")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return Audio(samples, rate)


def _check_wav_header(path: Path) -> None:
    """A WAV that promises more audio than the file holds was cut off: say so, rather than
    quietly answering half a sentence."""
    with path.open("rb") as f:
        head = f.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    try:
        with wave.open(str(path), "rb") as w:
            expected = w.getnframes() * w.getnchannels() * w.getsampwidth()
            got = len(w.readframes(w.getnframes()))
    except (wave.Error, EOFError) as exc:
        if "unknown format" in str(exc):
            return  # e.g. float WAV: the decoder handles it
        raise AudioError(f"{path.name} is a broken WAV file ({exc})") from None
    if got < expected:
        raise AudioError(
            f"{path.name} is truncated: the header promises {expected} bytes of audio, "
            f"the file holds {got}"
        )


def write_wav(path: str | Path, pcm: np.ndarray, rate: int) -> None:
    """Write int16 mono PCM atomically (a half-written file never appears under the name)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())
    tmp.replace(path)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)


def resample_int16(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Linear resampling for playback/output paths (speech survives it well)."""
    if from_rate == to_rate or len(pcm) == 0:
        return pcm
    n = int(round(len(pcm) * to_rate / from_rate))
    x = np.linspace(0, len(pcm) - 1, n)
    return np.interp(x, np.arange(len(pcm)), pcm.astype(np.float32)).astype(np.int16)
