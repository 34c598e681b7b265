from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from os1.voice import engines
from os1.voice.audio import write_wav


@pytest.fixture(scope="session")
def piper():  # type: ignore[no-untyped-def]
    return engines.tts("piper")


@pytest.fixture(scope="session")
def whisper():  # type: ignore[no-untyped-def]
    return engines.stt("whisper")


@pytest.fixture(scope="session")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory, piper) -> Path:  # type: ignore[no-untyped-def]
    """A user's utterance, spoken by Piper, with silence around it as a microphone hears it."""
    pcm = np.concatenate(list(piper.synthesize("I finally finished the letter to my sister.")))
    quiet = np.zeros(int(0.4 * piper.sample_rate), dtype=np.int16)
    path = tmp_path_factory.mktemp("voice") / "utterance.wav"
    write_wav(path, np.concatenate([quiet, pcm, quiet]), piper.sample_rate)
    return path
