"""The spoken turn: audio in → voice activity → end of turn → speech-to-text → the
companion's turn → sentence-by-sentence synthesis → audio out, with barge-in.

Everything here is a small async step over typed frames; blocking inference (Whisper,
Piper, Silero) runs in worker threads so listening never stops while the companion talks.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from os1.events import TextDelta, TurnDone, TurnError
from os1.mind.companion import Companion
from os1.voice.audio import STT_RATE, Audio, NoSpeech
from os1.voice.engines import SpeechToText, TextToSpeech, VoiceActivity

FRAME = 512  # samples per VAD frame at 16 kHz: 32 ms


# -- frames ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeechStarted:
    at: float


@dataclass(frozen=True)
class EndOfTurn:
    at: float
    audio: Audio


@dataclass(frozen=True)
class Heard:
    text: str
    stt_seconds: float


@dataclass(frozen=True)
class ReplyAudio:
    pcm: np.ndarray
    sample_rate: int
    sentence: int


@dataclass(frozen=True)
class Interrupted:
    at: float
    spoken_text: str


VoiceFrame = SpeechStarted | EndOfTurn | Heard | ReplyAudio | Interrupted


# -- voice activity -------------------------------------------------------------------------


@dataclass
class Endpointer:
    """Turns per-frame speech probabilities into speech start and end of turn."""

    vad: VoiceActivity
    threshold: float = 0.5
    start_frames: int = 2  # 64 ms of speech starts a turn (and barges in)
    end_silence_frames: int = 12  # ~380 ms of silence ends it
    speaking: bool = False
    _run: int = 0
    _quiet: int = 0
    _buffer: list[np.ndarray] = field(default_factory=list)
    _preroll: list[np.ndarray] = field(default_factory=list)

    def push(self, frame: np.ndarray) -> str | None:
        """Feed one frame; returns "start", "end" or None."""
        return self.advance(frame, self.vad.probability(frame) >= self.threshold)

    def advance(self, frame: np.ndarray, speech: bool) -> str | None:
        """Like push, for a frame whose speech decision is already known."""
        if not self.speaking:
            self._preroll = [*self._preroll[-9:], frame]  # keep the onset of the word
            self._run = self._run + 1 if speech else 0
            if self._run >= self.start_frames:
                self.speaking, self._quiet = True, 0
                self._buffer = list(self._preroll)
                return "start"
            return None
        self._buffer.append(frame)
        self._quiet = 0 if speech else self._quiet + 1
        if self._quiet >= self.end_silence_frames:
            self.speaking, self._run = False, 0
            self._preroll = []
            return "end"
        return None

    def take(self) -> Audio:
        audio = Audio(
            np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.float32), STT_RATE
        )
        self._buffer = []
        return audio


def frames_of(audio: Audio) -> list[np.ndarray]:
    n = len(audio.samples) // FRAME
    return [audio.samples[i * FRAME : (i + 1) * FRAME] for i in range(n)]


def speech_span(audio: Audio, vad: VoiceActivity) -> Audio:
    """The speech in a recording, from the first onset to the last end (with margins)."""
    vad.reset()
    voiced = [i for i, f in enumerate(frames_of(audio)) if vad.probability(f) >= 0.5]
    if len(voiced) < 3:
        raise NoSpeech("no speech found in the audio")
    start = max(0, (voiced[0] - 6) * FRAME)
    end = min(len(audio.samples), (voiced[-1] + 8) * FRAME)
    return Audio(audio.samples[start:end], audio.sample_rate)


# -- sentences ------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")


class SentenceSplitter:
    """Collects text deltas and releases whole sentences as soon as they end."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        self._pending += text
        parts = _SENTENCE_END.split(self._pending)
        self._pending = parts.pop()
        return [p.strip() for p in parts if p.strip()]

    def flush(self) -> list[str]:
        rest, self._pending = self._pending.strip(), ""
        return [rest] if rest else []


# -- the reply, spoken ----------------------------------------------------------------------


@dataclass
class SpokenLog:
    """What was said aloud so far: whole sentences, and how far into the current one."""

    sentences: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # samples synthesised per sentence
    complete: list[bool] = field(default_factory=list)  # synthesis of the sentence finished
    played: list[int] = field(default_factory=list)  # samples played per sentence

    def start(self, sentence: str) -> int:
        self.sentences.append(sentence)
        self.lengths.append(0)
        self.complete.append(False)
        self.played.append(0)
        return len(self.sentences) - 1

    def spoken_text(self) -> str:
        said: list[str] = []
        for i, sentence in enumerate(self.sentences):
            if self.played[i] == 0:
                break
            if self.complete[i] and self.played[i] >= self.lengths[i]:
                said.append(sentence)
                continue
            words = sentence.split()
            cut = int(len(words) * self.played[i] / max(self.lengths[i], 1))
            if cut:
                said.append(" ".join(words[:cut]) + "…")
            break
        return " ".join(said)


async def reply_audio(
    companion: Companion,
    text: str,
    tts: TextToSpeech,
    *,
    conversation_id: int | None = None,
    style: str = "warm",
    speed: float = 1.0,
    log: SpokenLog | None = None,
    on_event: Callable[[object], None] | None = None,
) -> AsyncGenerator[ReplyAudio, None]:
    """The companion's reply as audio, synthesised sentence by sentence while the model is
    still writing the rest."""
    log = log if log is not None else SpokenLog()
    sentences: asyncio.Queue[str | None] = asyncio.Queue()
    failure: list[TurnError] = []

    async def write() -> None:
        splitter = SentenceSplitter()
        try:
            async for event in companion.turn(
                text, conversation_id, interrupted_text=log.spoken_text
            ):
                if on_event is not None:
                    on_event(event)
                if isinstance(event, TextDelta):
                    for sentence in splitter.feed(event.text):
                        await sentences.put(sentence)
                elif isinstance(event, TurnError):
                    failure.append(event)
                elif isinstance(event, TurnDone):
                    pass
            for sentence in splitter.flush():
                await sentences.put(sentence)
        finally:
            await sentences.put(None)

    writer = asyncio.create_task(write())
    try:
        while (sentence := await sentences.get()) is not None:
            index = log.start(sentence)
            chunks = tts.synthesize(sentence, style=style, speed=speed)
            try:
                while True:
                    chunk = await asyncio.to_thread(next, chunks, None)
                    if chunk is None:
                        break
                    log.lengths[index] += len(chunk)
                    yield ReplyAudio(chunk, tts.sample_rate, index)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()  # release the engine at once when playback stops early
            log.complete[index] = True
        await writer
    finally:
        if not writer.done():
            writer.cancel()  # the companion stores what was spoken, marked interrupted
            with contextlib.suppress(asyncio.CancelledError):
                await writer
    if failure:
        from os1.errors import ModelError

        raise ModelError(failure[0].message, hint=failure[0].hint)


@dataclass
class SpokenTurn:
    transcript: str
    reply: str
    pcm: np.ndarray
    sample_rate: int
    timings: dict[str, float]


async def spoken_turn(
    companion: Companion,
    audio: Audio,
    stt: SpeechToText,
    tts: TextToSpeech,
    vad: VoiceActivity,
    *,
    conversation_id: int | None = None,
    style: str = "warm",
    speed: float = 1.0,
) -> SpokenTurn:
    """One whole spoken turn from a recording (for files, scripts and tests)."""
    started = time.perf_counter()
    speech = await asyncio.to_thread(speech_span, audio, vad)
    heard_at = time.perf_counter()
    transcript = (await asyncio.to_thread(stt.transcribe, speech)).text
    if not re.search(r"\w", transcript):
        raise NoSpeech("no words could be recognised in the audio")
    stt_done = time.perf_counter()
    timings = {"vad": heard_at - started, "stt": stt_done - heard_at}
    chunks: list[np.ndarray] = []
    reply_parts: list[str] = []
    rate = tts.sample_rate

    def note(event: object) -> None:
        if isinstance(event, TextDelta):
            if not reply_parts:
                timings["first_token"] = time.perf_counter() - stt_done
            reply_parts.append(event.text)

    pieces = reply_audio(
        companion, transcript, tts, conversation_id=conversation_id, style=style, speed=speed,
        on_event=note,
    )  # fmt: skip
    async with contextlib.aclosing(pieces):
        async for piece in pieces:
            if not chunks:
                timings["first_audio"] = time.perf_counter() - stt_done
            chunks.append(piece.pcm)
            rate = piece.sample_rate
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return SpokenTurn(transcript, "".join(reply_parts).strip(), pcm, rate, timings)


# -- a live conversation with barge-in ----------------------------------------------------------


class VoiceSession:
    """Listens continuously; answers at the end of each turn; stops talking — playback and
    generation — as soon as the user starts speaking over it."""

    def __init__(
        self,
        companion: Companion,
        stt: SpeechToText,
        tts: TextToSpeech,
        vad: VoiceActivity,
        *,
        conversation_id: int | None = None,
        style: str = "warm",
        speed: float = 1.0,
        on_frame: Callable[[VoiceFrame], None] | None = None,
    ) -> None:
        self.companion = companion
        self.stt = stt
        self.tts = tts
        self.endpointer = Endpointer(vad)
        self.conversation_id = conversation_id
        self.style = style
        self.speed = speed
        self.on_frame = on_frame or (lambda frame: None)
        self._reply: asyncio.Task[None] | None = None
        self._log = SpokenLog()

    @property
    def talking(self) -> bool:
        return self._reply is not None and not self._reply.done()

    async def run(
        self,
        mic: AsyncIterator[np.ndarray],
        play: Callable[[np.ndarray, int], Awaitable[None]],
    ) -> None:
        """Consume 16 kHz mono float32 frames of 512 samples until the microphone ends."""
        async for frame in mic:
            change = self.endpointer.push(frame)
            if change == "start":
                self.on_frame(SpeechStarted(time.monotonic()))
                if self.talking:
                    await self.interrupt()
            elif change == "end":
                audio = self.endpointer.take()
                self.on_frame(EndOfTurn(time.monotonic(), audio))
                await self._answer(audio, play)
        if self._reply is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reply

    async def interrupt(self) -> None:
        assert self._reply is not None
        self._reply.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reply
        self.on_frame(Interrupted(time.monotonic(), self._log.spoken_text()))

    async def _answer(
        self, audio: Audio, play: Callable[[np.ndarray, int], Awaitable[None]]
    ) -> None:
        started = time.perf_counter()
        transcript = (await asyncio.to_thread(self.stt.transcribe, audio)).text
        if not re.search(r"\w", transcript):
            return  # a cough or a door: nothing to answer, nothing stored
        self.on_frame(Heard(transcript, time.perf_counter() - started))
        self._log = SpokenLog()
        self._reply = asyncio.create_task(self._speak(transcript, play, self._log))

    async def _speak(
        self, text: str, play: Callable[[np.ndarray, int], Awaitable[None]], log: SpokenLog
    ) -> None:
        pieces = reply_audio(
            self.companion, text, self.tts, conversation_id=self.conversation_id,
            style=self.style, speed=self.speed, log=log,
        )  # fmt: skip
        # aclosing: an interruption closes the generator at once, which stops the model.
        async with contextlib.aclosing(pieces):
            async for piece in pieces:
                self.on_frame(piece)
                # Play in small slices, so an interruption takes effect within a frame or two.
                step = max(1, piece.sample_rate * FRAME // STT_RATE)
                for start in range(0, len(piece.pcm), step):
                    part = piece.pcm[start : start + step]
                    await play(part, piece.sample_rate)
                    log.played[piece.sentence] += len(part)
