"""Speech engines behind small interfaces, each a plug-in: speech-to-text (`os1.stt`),
text-to-speech (`os1.tts`) and voice activity (`os1.vad`). Fakes are registered the same way."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar

import numpy as np

from os1.errors import ConfigError
from os1.voice.audio import Audio


@dataclass(frozen=True)
class Transcript:
    text: str
    seconds: float  # audio length


class SpeechToText(ABC):
    name: ClassVar[str]

    @abstractmethod
    def transcribe(self, audio: Audio) -> Transcript:
        """Blocking; run it off the event loop."""


class TextToSpeech(ABC):
    name: ClassVar[str]
    sample_rate: int

    @abstractmethod
    def synthesize(
        self, text: str, *, style: str = "warm", speed: float = 1.0
    ) -> Iterator[np.ndarray]:
        """int16 mono chunks at `sample_rate`, the first as early as possible. Blocking."""


class VoiceActivity(ABC):
    """Frame-by-frame speech probability on 16 kHz mono float32 frames of `frame_samples`."""

    name: ClassVar[str]
    frame_samples: ClassVar[int] = 512

    @abstractmethod
    def reset(self) -> None: ...

    @abstractmethod
    def probability(self, frame: np.ndarray) -> float: ...


_cache: dict[tuple[str, str], Any] = {}


def _load(group: str, name: str) -> Any:
    key = (group, name)
    if key not in _cache:
        found = {ep.name: ep for ep in entry_points(group=group)}
        if name not in found:
            raise ConfigError(
                f"unknown {group.removeprefix('os1.')} engine {name!r}",
                hint=f"Installed: {', '.join(sorted(found))}.",
            )
        _cache[key] = found[name].load()
    return _cache[key]


_instances: dict[tuple[str, str], Any] = {}


def engine(group: str, name: str) -> Any:
    """One shared instance per engine (models load once per process)."""
    key = (group, name)
    if key not in _instances:
        _instances[key] = _load(group, name)()
    return _instances[key]


def stt(name: str) -> SpeechToText:
    result: SpeechToText = engine("os1.stt", name)
    return result


def tts(name: str) -> TextToSpeech:
    if name == "piper":
        from os1.voice.local import piper_installed

        if not piper_installed():
            name = "espeak"  # the documented fallback: robotic, but a voice
    result: TextToSpeech = engine("os1.tts", name)
    return result


def vad(name: str) -> VoiceActivity:
    # Each conversation keeps its own VAD state: a fresh instance every time.
    result: VoiceActivity = _load("os1.vad", name)()
    return result
