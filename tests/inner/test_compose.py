"""A photograph in music: a short piano piece that follows the arc of our time, the same
every time for the same data, written as MIDI and rendered to audio when fluidsynth is here."""

from __future__ import annotations

import json
import shutil
import wave
from array import array
from pathlib import Path

import pytest

from os1.inner.compose import MAX_SECONDS, MIN_SECONDS, Arc, compose, find_soundfont
from tests.helpers import os1

mido = pytest.importorskip("mido", reason="composing needs mido (pip install mido)")

HAPPY = Arc("happy", (0.6, 0.8, 0.7, 0.9), name="Samantha")
SAD = Arc("sad", (-0.6, -0.8, -0.7, -0.5), name="Samantha")


def say(home: Path, *texts: str) -> None:
    for text in texts:
        result = os1(home, "say", text, OS1_NOW="2026-03-04T21:00")
        assert result.returncode == 0, result.stderr


def test_the_mood_sets_the_mode_and_the_tempo() -> None:
    happy, sad = compose(HAPPY), compose(SAD)
    assert (happy.mode, sad.mode) == ("major", "minor")
    assert happy.bpm > sad.bpm


def test_the_melody_climbs_with_the_mood() -> None:
    rising = compose(Arc("rising", tuple(x / 10 for x in range(-9, 10)), name="Sam"))
    melody = [(start, pitch) for start, _, pitch, _, channel in rising.notes if channel == 0]
    half = rising.bars * 2
    first = [p for s, p in melody if s < half]
    second = [p for s, p in melody if half <= s < (rising.bars - 1) * 4]
    assert sum(second) / len(second) > sum(first) / len(first) + 2


@pytest.mark.parametrize("said", [1, 5, 40, 2000])
def test_a_piece_lasts_between_thirty_and_ninety_seconds(said: int, tmp_path: Path) -> None:
    piece = compose(Arc("any", tuple(((i * 37) % 200 - 100) / 100 for i in range(said))))
    assert MIN_SECONDS - 2 <= piece.seconds <= MAX_SECONDS + 2
    from os1.inner.compose import write_midi

    write_midi(piece, tmp_path / "p.mid")
    assert 30 <= mido.MidiFile(str(tmp_path / "p.mid")).length <= 90


def test_a_story_moment_plays_the_theme_and_changes_the_piece() -> None:
    plain = compose(Arc("us", (0.2,) * 20, name="Samantha"))
    marked = compose(Arc("us", (0.2,) * 20, moments=((0.5, "first_hard"),), name="Samantha"))
    assert plain.notes != marked.notes


def test_the_same_time_together_gives_the_same_piece_byte_for_byte(home: Path) -> None:
    say(home, "I had a wonderful day at the lake!", "Then I got some bad news, I'm sad.")
    pieces = []
    for name in ("one", "two"):
        result = os1(home, "compose", "-o", str(home / f"{name}.mid"), "--json")
        assert result.returncode == 0, result.stderr
        pieces.append((home / f"{name}.mid").read_bytes())
    assert pieces[0] == pieces[1]
    say(home, "Honestly it's all fine now, I feel great.")
    assert os1(home, "compose", "-o", str(home / "three.mid")).returncode == 0
    assert (home / "three.mid").read_bytes() != pieces[0]


def test_a_conversation_can_be_composed_alone_and_an_unknown_one_is_a_clear_error(
    home: Path,
) -> None:
    say(home, "What a lovely evening.")
    done = os1(home, "compose", "--conversation", "1", "-o", str(home / "c.mid"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"].startswith("conversation 1")
    missing = os1(home, "compose", "--conversation", "9", "-o", str(home / "x.mid"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert not (home / "x.mid").exists()


def test_with_nothing_said_there_is_nothing_to_compose(home: Path) -> None:
    result = os1(home, "compose", "-o", str(home / "p.wav"))
    assert result.returncode != 0
    assert "nothing was said" in result.stderr


def test_without_fluidsynth_the_midi_is_written_and_it_says_why_no_audio(
    home: Path, tmp_path: Path
) -> None:
    say(home, "A quiet, good day.")
    empty = tmp_path / "bin"
    empty.mkdir()
    result = os1(home, "compose", "-o", str(home / "p.wav"), PATH=str(empty))
    assert result.returncode == 0, result.stderr
    assert (home / "p.mid").is_file() and not (home / "p.wav").exists()
    assert "fluidsynth is not installed" in result.stderr


@pytest.mark.skipif(
    shutil.which("fluidsynth") is None or find_soundfont() is None,
    reason="rendering needs fluidsynth and a GM sound font (apt-get install fluidsynth "
    "timgm6mb-soundfont)",
)
def test_the_piece_is_rendered_to_audible_audio_the_same_every_time(home: Path) -> None:
    say(home, "We laughed so much today.", "I'm a bit tired now though.")
    for name in ("a", "b"):
        result = os1(home, "compose", "-o", str(home / f"{name}.wav"))
        assert result.returncode == 0, result.stderr
    with wave.open(str(home / "a.wav")) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        frames = audio.readframes(audio.getnframes())
    assert 30 <= seconds <= 95  # the last chord rings on a little
    samples = array("h", frames)
    assert max(abs(s) for s in samples) > 2000  # heard, not silence (16-bit samples)
    assert (home / "a.wav").read_bytes() == (home / "b.wav").read_bytes()
