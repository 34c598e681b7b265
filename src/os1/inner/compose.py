"""A photograph in music: a short piano piece (30–90 s) whose key, tempo and melodic contour
follow the emotional arc of a conversation, a day, or all our time together, and whose motifs
mark our story's moments. Deterministic: the same data gives the same piece, note for note.

The arc is the user's messages scored by the mood model (VADER, as for moods that carry
over): the mean sets the mode (major or minor) and the tempo, each bar's melody leans up or
down with the mood at that point, and the chords darken where it was low. The key and the
theme come from a hash of the data and the companion's name. Written as MIDI with `mido`,
rendered to audio by fluidsynth with a General MIDI sound font when they are installed.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from os1.errors import NotFound, OS1Error
from os1.inner import mood, story
from os1.mind.persona import Identity
from os1.storage.base import Store

MIN_SECONDS, MAX_SECONDS = 32, 88  # inside the 30–90 s asked for, whatever the rounding
TICKS = 480  # per beat
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
# Chord roots (scale degrees) bar after bar: I–vi–IV–V, and i–VI–III–VII in minor.
PROGRESSION = {"major": (0, 5, 3, 4), "minor": (0, 5, 2, 6)}
LOW_CHORD = 3  # the iv (or IV) a low moment leans on
# Rhythms of a bar, in beats: the first ones are calm, the last ones lively.
RHYTHMS = ((4,), (2, 2), (2, 1, 1), (1, 1, 2), (1, 1, 1, 1), (1.5, 0.5, 1, 1), (0.5, 0.5, 1, 1, 1))
# Where each kind of moment puts the theme, in scale degrees from where the melody is.
MOTIF_SHIFT = {"met": 0, "first_hard": -2, "first_letter": 2, "anniversary": 4}
GAIN = 1.5  # fluidsynth's default (0.2) leaves a solo piano near -30 dBFS; this, near -14
# Sound fonts looked for when none is given (Debian's packages install them here).
SOUNDFONTS = (
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
)


class ComposeError(OS1Error):
    code = "compose_error"


@dataclass(frozen=True)
class Arc:
    """What the piece is a photograph of: mood scores in order, and our story's moments as
    fractions of the way through."""

    title: str
    scores: tuple[float, ...]
    moments: tuple[tuple[float, str], ...] = ()
    name: str = ""  # the companion's: the theme is its own


@dataclass
class Piece:
    title: str
    key: str
    mode: str
    bpm: int
    bars: int
    seconds: float
    notes: list[tuple[float, float, int, int, int]] = field(default_factory=list)
    # (start beat, length in beats, pitch, velocity, channel)

    def summary(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "key": self.key,
            "mode": self.mode,
            "bpm": self.bpm,
            "bars": self.bars,
            "seconds": round(self.seconds, 1),
            "notes": len(self.notes),
        }


# -- what it is a photograph of -----------------------------------------------------------


def arc(store: Store, *, conversation_id: int | None = None, day: date | None = None) -> Arc:
    """The arc of one conversation, one day, or (neither given) all our time together."""
    identity = Identity.load(store)
    if conversation_id is not None:
        conv = store.get_conversation(conversation_id)
        said = [m for m in store.messages(conv.id) if m.role == "user"]
        title = f"conversation {conv.id}" + (f", {conv.title}" if conv.title else "")
    else:
        convs = sorted(store.list_conversations(limit=100_000), key=lambda c: c.id)
        said = [m for c in convs for m in store.messages(c.id) if m.role == "user"]
        if day is not None:
            said = [m for m in said if _day(m.created_at) == day]
        said.sort(key=lambda m: (m.created_at, m.id))
        title = day.isoformat() if day is not None else "our time together"
    said = [m for m in said if m.content.strip()]
    if not said:
        raise NotFound(
            f"nothing was said in {title} to compose from",
            hint="talk a little first, or pick another --conversation or --day.",
        )
    first, last = _day(said[0].created_at), _day(said[-1].created_at)
    moments: list[tuple[float, str]] = []
    days = [_day(m.created_at) for m in said]
    for moment in story.timeline(store, last):
        if first <= moment.day <= last and (conversation_id is None or moment.kind == "met"):
            moments.append((sum(d < moment.day for d in days) / len(days), moment.kind))
    return Arc(
        title=title,
        scores=tuple(round(mood.score(m.content), 3) for m in said),
        moments=tuple(moments),
        name=identity.companion_name or "",
    )


def _day(at: str) -> date:
    return datetime.fromisoformat(at).date()


# -- the piece -------------------------------------------------------------------------------


def compose(source: Arc) -> Piece:
    """The piece for an arc: same arc, same piece."""
    digest = hashlib.sha256(
        json.dumps([source.scores, source.moments, source.name]).encode()
    ).digest()
    rng = random.Random(digest)
    mean = sum(source.scores) / len(source.scores)
    spread = max(source.scores) - min(source.scores)
    mode = "major" if mean >= -0.05 else "minor"  # VADER's own neutral bound
    scale = MAJOR if mode == "major" else MINOR
    bpm = round(66 + 24 * (mean + 1) / 2 + 12 * min(spread, 1.0))  # 66 (sad, flat) … 102
    tonic = 55 + digest[0] % 12  # G3 … F#4
    seconds = min(MAX_SECONDS, max(MIN_SECONDS, 30 + 3 * len(source.scores)))
    bars = max(4, round(seconds * bpm / 240))
    values = _resample(source.scores, bars - 1)
    theme = [rng.choice((0, 1, 2, 4)) for _ in range(3)] + [0]
    motif_bars = {min(bars - 2, round(at * (bars - 1))): kind for at, kind in source.moments}

    piece = Piece(source.title, _NAMES[tonic % 12], mode, bpm, bars, bars * 240 / bpm)
    degree = 2
    for bar, value in enumerate(values):
        start = bar * 4.0
        # The chords: the progression, leaning on the subdominant where the mood was low.
        root = PROGRESSION[mode][bar % 4] if value > -0.3 else LOW_CHORD
        chord = [tonic - 12 + _pitch(scale, root + step) for step in (0, 2, 4)]
        for beat, index in enumerate((0, 2, 1, 2)):
            piece.notes.append(
                (start + beat, 1.0, chord[index], 48 + round(12 * (value + 1) / 2), 1)
            )
        # The melody: around a degree that rises with the mood, in a rhythm as lively as it was.
        target = round(2 + 4 * value)
        velocity = 64 + round(24 * abs(value))
        kind = motif_bars.get(bar)
        if kind is not None:
            shift = MOTIF_SHIFT.get(kind, 0)
            for beat, step in enumerate(reversed(theme) if kind == "first_letter" else theme):
                piece.notes.append(
                    (
                        start + beat,
                        1.0,
                        tonic + _pitch(scale, degree + shift + step),
                        velocity + 8,
                        0,
                    )
                )
            continue
        calm = round((value + 1) / 2 * (len(RHYTHMS) - 1))
        rhythm = RHYTHMS[max(0, min(len(RHYTHMS) - 1, calm + rng.choice((-1, 0, 0, 1))))]
        at = start
        for length in rhythm:
            pull = (target > degree) - (target < degree)
            degree = max(-3, min(9, degree + pull + rng.choice((-1, 0, 0, 1))))
            piece.notes.append((at, length, tonic + _pitch(scale, degree), velocity, 0))
            at += length
    # The last bar comes home: the tonic, held.
    end = (bars - 1) * 4.0
    piece.notes += [(end, 4.0, tonic - 12 + _pitch(scale, s), 52, 1) for s in (0, 2, 4)]
    piece.notes.append((end, 4.0, tonic + 12, 60, 0))
    return piece


def _pitch(scale: tuple[int, ...], degree: int) -> int:
    return 12 * (degree // 7) + scale[degree % 7]


def _resample(values: tuple[float, ...], count: int) -> list[float]:
    """`count` values along the arc: windows averaged when it is long, held when it is short."""
    out = []
    for i in range(count):
        lo = i * len(values) // count
        hi = max(lo + 1, (i + 1) * len(values) // count)
        window = values[lo:hi]
        out.append(sum(window) / len(window))
    return out


_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


# -- files -----------------------------------------------------------------------------------


def write_midi(piece: Piece, path: Path) -> None:
    try:
        import mido
    except ImportError as exc:
        raise ComposeError(
            "composing needs the mido package", hint="pip install mido (in OS1's environment)"
        ) from exc
    events: list[tuple[int, int, mido.Message]] = []
    for start, length, pitch, velocity, channel in piece.notes:
        on, off = round(start * TICKS), round((start + length) * TICKS) - 1
        events.append(
            (
                on,
                1,
                mido.Message("note_on", note=pitch, velocity=min(velocity, 127), channel=channel),
            )
        )
        events.append((off, 0, mido.Message("note_off", note=pitch, velocity=0, channel=channel)))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=piece.title[:60], time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(piece.bpm), time=0))
    for channel in (0, 1):
        track.append(mido.Message("program_change", program=0, channel=channel, time=0))  # piano
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1], e[2].channel, e[2].bytes())):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=TICKS))
    song = mido.MidiFile(type=0, ticks_per_beat=TICKS)
    song.tracks.append(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    song.save(str(path))


def find_soundfont(given: Path | None = None) -> Path | None:
    if given is not None:
        if not given.is_file():
            raise ComposeError(f"no sound font at {given}")
        return given
    return next((Path(p) for p in SOUNDFONTS if Path(p).is_file()), None)


def render(midi: Path, wav: Path, soundfont: Path | None = None, rate: int = 22050) -> str | None:
    """Render the MIDI file to WAV with fluidsynth; None when done, else why it could not be
    (the MIDI file stays either way)."""
    synth = shutil.which("fluidsynth")
    font = find_soundfont(soundfont)
    if synth is None or font is None:
        missing = "fluidsynth" if synth is None else "a General MIDI sound font"
        return f"{missing} is not installed (apt-get install fluidsynth timgm6mb-soundfont)"
    # fluidsynth says nothing useful on success; its output is kept only for a failure.
    done = subprocess.run(
        [synth, "-ni", "-g", str(GAIN), "-F", str(wav), "-r", str(rate), str(font), str(midi)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or not wav.is_file():
        raise ComposeError(f"fluidsynth failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return None
