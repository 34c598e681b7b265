"""`os1 listen`, `os1 speak` and `os1 voice` through real subprocesses and real models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlean as sqlite3  # the same SQLite library as the app: two in one process corrupt WAL locks

from tests.helpers import os1


def test_speak_then_listen_round_trips(home: Path, tmp_path: Path) -> None:
    wav = tmp_path / "out.wav"
    assert os1(home, "speak", "Let us go for a walk by the river.", "-o", str(wav)).returncode == 0
    heard = os1(home, "listen", str(wav))
    assert heard.returncode == 0, heard.stderr
    assert "walk by the river" in heard.stdout.lower()


def test_a_whole_spoken_turn_between_files(home: Path, tmp_path: Path, spoken_wav: Path) -> None:
    reply = tmp_path / "reply.wav"
    result = os1(home, "voice", "--input", str(spoken_wav), "--output", str(reply), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "sister" in data["transcript"].lower()
    assert data["reply"].startswith("You said:")
    assert reply.stat().st_size > 10_000


@pytest.mark.real_model
def test_a_spoken_turn_on_the_embedded_model(home: Path, tmp_path: Path, spoken_wav: Path) -> None:
    reply = tmp_path / "reply.wav"
    result = os1(
        home, "voice", "--input", str(spoken_wav), "--output", str(reply), "--json",
        model="llamacpp:smollm2-135m", OS1_MAX_REPLY_TOKENS="40",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["reply"].strip() and reply.stat().st_size > 1000


@pytest.mark.parametrize("content", [b"", b"not audio at all" * 100])
def test_bad_audio_is_one_clear_error_and_nothing_is_stored(
    home: Path, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    result = os1(home, "voice", "--input", str(bad), "--output", str(tmp_path / "r.wav"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nothing was stored" in result.stderr
    if (home / "os1.db").exists():
        with sqlite3.connect(home / "os1.db") as db:
            assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_silence_is_no_speech_and_nothing_is_stored(home: Path, tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    import numpy as np

    from os1.voice.audio import write_wav

    write_wav(silent, np.zeros(32_000, dtype=np.int16), 16_000)
    result = os1(home, "voice", "--input", str(silent), "--output", str(tmp_path / "r.wav"))
    assert result.returncode == 2 and "no speech" in result.stderr
    with sqlite3.connect(home / "os1.db") as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_live_voice_without_audio_devices_says_so(home: Path) -> None:
    result = os1(home, "voice")
    assert result.returncode == 8
    assert "voice --input" in result.stderr and "Traceback" not in result.stderr
