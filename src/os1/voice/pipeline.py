"""The spoken turn: audio in → voice activity → end of turn → speech-to-text → the
companion's turn → sentence-by-sentence synthesis → audio out, with barge-in.

Everything here is a small async step over typed frames; blocking inference (Whisper,
Piper, Silero) runs in worker threads so listening never stops while the companion talks.
Recognition runs while the user speaks, the silence that ends a turn follows the words (a
finished sentence ends it sooner than "and…"), and the voice starts on the reply's first
clause.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from os1.errors import NotFound
from os1.events import TextDelta, TurnDone, TurnError
from os1.mind.companion import Companion
from os1.voice.audio import STT_RATE, Audio, NoSpeech
from os1.voice.echo import match, strip_echo
from os1.voice.engines import SpeechToText, TextToSpeech, VoiceActivity

FRAME = 512  # samples per VAD frame at 16 kHz: 32 ms
FIRST_CLAUSE_WORDS = 4  # "That sounds lovely," is too short to sound natural alone


# -- frames ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeechStarted:
    at: float


@dataclass(frozen=True)
class EndOfTurn:
    at: float
    audio: Audio


@dataclass(frozen=True)
class Partial:
    """What has been recognised so far while the user is still speaking; `stable` is the
    prefix two successive decodes agreed on, which later decodes are not expected to change."""

    text: str
    stable: str


@dataclass(frozen=True)
class Heard:
    text: str
    stt_seconds: float  # recognition left to do after the end of turn (0: done during the pause)


@dataclass(frozen=True)
class ReplyAudio:
    pcm: np.ndarray
    sample_rate: int
    sentence: int


@dataclass(frozen=True)
class Interrupted:
    at: float
    spoken_text: str


@dataclass(frozen=True)
class Spoken:
    """The reply was spoken to its end: nothing of it is left to cut off."""

    at: float


@dataclass(frozen=True)
class Echo:
    """Speech heard while OS1 talked whose words were OS1's own: ignored, not a turn."""

    at: float
    text: str


VoiceFrame = SpeechStarted | Partial | EndOfTurn | Heard | ReplyAudio | Interrupted | Spoken | Echo


# -- voice activity -------------------------------------------------------------------------


@dataclass
class Endpointer:
    """Turns per-frame speech probabilities into speech start and end of turn.

    The silence that ends a turn is `end_silence_frames`; the session shortens or lengthens it
    (`hold_frames`) once it knows whether the words so far form a finished sentence."""

    vad: VoiceActivity
    threshold: float = 0.5
    start_frames: int = 2  # 64 ms of speech starts a turn (and barges in)
    end_silence_frames: int = 12  # ~380 ms of silence ends it, until the words say otherwise
    hold_frames: int | None = None
    speaking: bool = False
    quiet: int = 0  # silent frames since the last speech
    _run: int = 0
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
                self.speaking, self.quiet, self.hold_frames = True, 0, None
                self._buffer = list(self._preroll)
                return "start"
            return None
        self._buffer.append(frame)
        if speech:
            self.quiet, self.hold_frames = 0, None  # new words: the old verdict is stale
        else:
            self.quiet += 1
        return self.check()

    def check(self) -> str | None:
        """End the turn if the silence so far is long enough (also called when a verdict on
        the words arrives between frames)."""
        needed = self.end_silence_frames if self.hold_frames is None else self.hold_frames
        if self.speaking and self.quiet >= needed:
            self.speaking, self._run = False, 0
            self._preroll = []
            return "end"
        return None

    @property
    def heard_samples(self) -> int:
        return sum(len(f) for f in self._buffer)

    def so_far(self) -> Audio:
        """The turn's audio up to now, without ending it."""
        samples = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.float32)
        return Audio(samples, STT_RATE)

    def take(self) -> Audio:
        audio = self.so_far()
        self._buffer = []
        return audio

    def drop(self, samples: int) -> int:
        """Forget the turn's first whole frames covering at most `samples` (audio found to be
        echo), staying in the turn; returns how many samples went."""
        gone = 0
        while self._buffer and gone + len(self._buffer[0]) <= samples:
            gone += len(self._buffer.pop(0))
        return gone


# -- end of turn from the words ----------------------------------------------------------------

# Hesitations: spaCy tags them INTJ like "please" or "yes", which do end sentences.
_HESITATIONS = frozenset({"um", "umm", "uh", "uhm", "er", "erm", "hmm", "mm", "ah", "eh"})
_OPEN_POS = frozenset({"CCONJ", "SCONJ", "ADP", "DET", "PART"})  # and / because / to / the
_OPEN_TAGS = frozenset({"PRP$", "WDT", "WP", "WP$", "WRB"})  # my / which / who / where


def turn_complete(text: str) -> bool | None:
    """Whether words heard so far form a finished turn: True for a whole sentence or question,
    False when they clearly go on ("and…", "um", "to the", "When I got home,"), None when the
    words don't say."""
    text = text.strip()
    if not re.search(r"\w", text):
        return None
    if text.endswith(("...", "…", ",", "-", "–", "—", ";", ":")):
        return False
    from os1.language import analyze

    words = [t for t in analyze(text).tokens if t.pos != "PUNCT" and re.search(r"\w", t.text)]
    if not words:
        return None
    last, first = words[-1], words[0]
    if last.lower in _HESITATIONS or last.pos in _OPEN_POS or last.tag in _OPEN_TAGS:
        return False
    if text[-1] == "?":
        return True
    # "When I got home" / "If you can": a subordinate clause alone waits for its main clause.
    if first.dep in ("mark", "advmod") and first.tag in ("IN", "WRB") and len(words) > 1:
        root = next((t for t in words if t.dep == "ROOT"), None)
        if root is not None and first.head == root.i and first.pos in ("SCONJ", "ADV"):
            return False
    if text[-1] in ".!":
        # "Hi." / "Well." / "Okay.": Whisper ends a word or two with a full stop where the
        # speaker only paused at a comma ("Hi, I just got home"); a one-word answer can wait
        # the base silence.
        return None if len(words) <= 2 else True
    if not any(t.pos in ("VERB", "AUX") for t in words):
        return False  # "I", "My friend Amy": no verb yet, and Whisper heard no full stop
    # Whisper often leaves the full stop off a short window's last sentence: a main clause
    # with its subject that ends on a content word ("It was raining all afternoon") is done.
    root = next((t for t in words if t.dep == "ROOT"), None)
    if (
        root is not None
        and any(t.dep in ("nsubj", "nsubjpass", "expl") and t.head == root.i for t in words)
        and last.pos in ("NOUN", "PROPN", "ADV", "ADJ", "NUM", "PRON")
        and last.i != root.i
    ):
        return True
    return None


@dataclass(frozen=True)
class TurnTiming:
    """How long a silence ends the turn: `base_ms` when the words don't tell, shorter after a
    finished sentence, longer when they clearly go on."""

    base_ms: int = 600
    complete_factor: float = 0.35
    open_factor: float = 1.8

    def frames(self, complete: bool | None) -> int:
        factor = 1.0 if complete is None else self.complete_factor if complete else self.open_factor
        return max(2, round(self.base_ms * factor / 1000 * STT_RATE / FRAME))


class StablePrefix:
    """Local agreement over successive decodes of a growing buffer: words on which the last
    two hypotheses agree are committed to the partial text shown and never withdrawn there.
    What is kept is the decode of the whole turn, which may still correct one of them (two
    decodes of a cut-off buffer can agree on "water" where the whole says "letter")."""

    def __init__(self) -> None:
        self._previous: list[str] = []
        self.stable: list[str] = []

    def feed(self, hypothesis: str) -> str:
        words = hypothesis.split()
        agreed = 0
        for a, b in zip(self._previous, words, strict=False):
            if _norm(a) != _norm(b):
                break
            agreed += 1
        if agreed > len(self.stable):
            self.stable = words[:agreed]
        self._previous = words
        return " ".join(self.stable)


def _norm(word: str) -> str:
    return re.sub(r"\W", "", word.lower())


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


_CLAUSE_END = re.compile(r"(?<=[,;:—–])\s+")


class SentenceSplitter:
    """Collects text deltas and releases whole sentences as soon as they end; with
    `first_clause_words`, the reply's first clause goes early once it has that many words, so
    the voice starts before the model finishes its first sentence."""

    def __init__(self, first_clause_words: int = 0) -> None:
        self._pending = ""
        self._first_clause_words = first_clause_words
        self._released = False

    def feed(self, text: str) -> list[str]:
        self._pending += text
        parts = _SENTENCE_END.split(self._pending)
        self._pending = parts.pop()
        out = [p.strip() for p in parts if p.strip()]
        if not out and not self._released and self._first_clause_words:
            for match in _CLAUSE_END.finditer(self._pending):
                clause = self._pending[: match.start()].strip()
                if len(clause.split()) >= self._first_clause_words:
                    out, self._pending = [clause], self._pending[match.end() :]
                    break
        self._released = self._released or bool(out)
        return out

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

    def all_heard(self) -> bool:
        """Every sentence started was synthesised to its end and played to its end."""
        return all(
            done and played >= length
            for done, played, length in zip(self.complete, self.played, self.lengths, strict=True)
        )

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


class _Synthesis:
    """A sentence's audio chunks, made on worker threads one at a time.

    A barge-in closes it while a chunk may still be in the making on a worker thread (the
    await is cancelled, the thread is not), and a generator cannot be closed while it runs:
    that close waits for the chunk on a thread of its own instead of the event loop."""

    def __init__(self, chunks: Iterator[np.ndarray]) -> None:
        self._chunks = chunks
        self._lock = threading.Lock()
        self._closed = False

    def next(self) -> np.ndarray | None:
        with self._lock:
            return None if self._closed else next(self._chunks, None)

    def close(self) -> None:
        if self._lock.acquire(blocking=False):
            try:
                self._close()
            finally:
                self._lock.release()
        else:
            threading.Thread(target=self._close_after_chunk, daemon=True).start()

    def _close_after_chunk(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        self._closed = True
        if hasattr(self._chunks, "close"):
            self._chunks.close()


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
    still writing the rest.

    Closed early (a barge-in), only what `log` counts as played is kept: a reply still being
    written is stored that way by the companion; one already stored whole is cut back."""
    log = log if log is not None else SpokenLog()
    sentences: asyncio.Queue[str | None] = asyncio.Queue()
    failure: list[TurnError] = []
    written: list[TurnDone] = []  # the reply was stored whole, though not yet all spoken
    queued = 0  # sentences handed to the voice

    async def write() -> None:
        nonlocal queued
        splitter = SentenceSplitter(first_clause_words=FIRST_CLAUSE_WORDS)
        try:
            async for event in companion.turn(
                text, conversation_id, interrupted_text=log.spoken_text
            ):
                if on_event is not None:
                    on_event(event)
                if isinstance(event, TextDelta):
                    for sentence in splitter.feed(event.text):
                        queued += 1
                        await sentences.put(sentence)
                elif isinstance(event, TurnError):
                    failure.append(event)
                elif isinstance(event, TurnDone):
                    written.append(event)
            for sentence in splitter.flush():
                queued += 1
                await sentences.put(sentence)
        finally:
            await sentences.put(None)

    writer = asyncio.create_task(write())
    stopped = True  # closed before the end
    try:
        while (sentence := await sentences.get()) is not None:
            index = log.start(sentence)
            chunks = _Synthesis(tts.synthesize(sentence, style=style, speed=speed))
            try:
                while True:
                    chunk = await asyncio.to_thread(chunks.next)
                    if chunk is None:
                        break
                    log.lengths[index] += len(chunk)
                    yield ReplyAudio(chunk, tts.sample_rate, index)
            finally:
                chunks.close()  # release the engine at once when playback stops early
            log.complete[index] = True
        await writer
        stopped = False
    finally:
        all_written = writer.done()
        if not all_written:
            writer.cancel()  # the companion stores what was spoken, marked interrupted
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        all_heard = all_written and len(log.sentences) == queued and log.all_heard()
        if stopped and written and not all_heard:
            # The model finished long before the voice (the usual case): the reply was
            # stored whole and must be cut back to what was heard. Shielded like the
            # companion's own store: a barge-in is a cancellation.
            cut = asyncio.to_thread(companion.keep_heard, written[-1].message_id, log.spoken_text())
            with contextlib.suppress(NotFound):  # forgotten meanwhile: nothing left to cut
                await asyncio.shield(cut)
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
    generation — as soon as the user starts speaking over it.

    Recognition runs while the user speaks: the growing turn is re-decoded every
    `partial_seconds` (shown as `Partial`, with the prefix two decodes agreed on), and again as
    soon as a pause begins. That pause decode both decides how long the silence must last
    (a finished sentence ends the turn sooner, "and…" later) and is the transcript when the
    turn ends there, so at the end of speech nothing is left to recognise.

    Speech that starts while OS1's voice is audible (or `ECHO_TAIL` after) may be that voice
    coming back through the microphone: it barges in only once its words are not what OS1 is
    saying (os1.voice.echo), and a turn that was all echo is dropped (`Echo`)."""

    PAUSE_FRAMES = 2  # 64 ms of silence: worth decoding what was said so far
    ECHO_TAIL = 1.5  # seconds after the last audio sent out that it may still come back
    ECHO_CHECK_SECONDS = 0.3  # decode speech heard over the voice this often,
    ECHO_FIRST_SECONDS = 0.8  # once the turn holds this much (a word or two, with the preroll)
    ECHO_KEEP_SECONDS = 2.5  # audio kept once found echo: Whisper garbles a short fragment
    ECHO_SENTENCES = 3  # the reply's sentences, up to the one playing, the echo is checked on

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
        timing: TurnTiming | None = None,
        partial_seconds: float = 0.6,
        on_frame: Callable[[VoiceFrame], None] | None = None,
        on_event: Callable[[object], None] | None = None,
    ) -> None:
        self.companion = companion
        self.stt = stt
        self.tts = tts
        self.timing = timing or TurnTiming()
        self.endpointer = Endpointer(vad, end_silence_frames=self.timing.frames(None))
        self.conversation_id = conversation_id
        self.style = style
        self.speed = speed
        self.partial_samples = int(partial_seconds * STT_RATE)
        self.on_frame = on_frame or (lambda frame: None)
        self.on_event = on_event
        self._reply: asyncio.Task[None] | None = None
        self._log = SpokenLog()
        self._stable = StablePrefix()
        self._partial: asyncio.Task[str] | None = None
        self._partial_at = 0  # samples of the turn covered by the last partial decode
        self._pause: asyncio.Task[tuple[str, bool | None]] | None = None
        self._judged = False  # the pause decode's verdict was applied
        self._suspect = False  # this turn began over OS1's voice: it may be its echo
        self._over_voice = False  # ... and was then found to be the user talking over it
        self._new_words = False  # the last decode over the voice ended on new words
        self._echo_heard = False  # a decode of this turn was found to be echo
        self._last_sound = -1e9  # monotonic time the last reply audio was sent out

    @property
    def talking(self) -> bool:
        return self._reply is not None and not self._reply.done()

    def _voice_audible(self) -> bool:
        if not any(self._log.played):
            return False  # nothing was said yet: whatever is heard is the user
        return self.talking or time.monotonic() - self._last_sound < self.ECHO_TAIL

    def _reference(self) -> str:
        """What OS1 said most recently: the sentence playing and the few before it."""
        played = [i for i, n in enumerate(self._log.played) if n > 0]
        if not played:
            return ""
        last = played[-1]
        return " ".join(self._log.sentences[max(0, last + 1 - self.ECHO_SENTENCES) : last + 1])

    async def run(
        self,
        mic: AsyncIterator[np.ndarray],
        play: Callable[[np.ndarray, int], Awaitable[None]],
    ) -> None:
        """Consume 16 kHz mono float32 frames of 512 samples until the microphone ends."""
        await asyncio.to_thread(turn_complete, "Hello.")  # load the parser before anyone talks
        async for frame in mic:
            change = self.endpointer.push(frame)
            if change == "start":
                self._new_turn()
                self._suspect = self._voice_audible()
                if not self._suspect:
                    await self._barge_in()
            elif change is None and self.endpointer.speaking:
                change = self._listen()
                if change == "barge":
                    await self._barge_in()
            if change == "end":
                audio = self.endpointer.take()
                await self._answer(audio, play)
        if self._reply is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reply

    def _new_turn(self) -> None:
        self._stable = StablePrefix()
        self._partial, self._partial_at, self._pause, self._judged = None, 0, None, False
        self._suspect = self._over_voice = self._new_words = self._echo_heard = False

    async def _barge_in(self) -> None:
        """The user is speaking: say so, and stop the voice if it is still talking."""
        self.on_frame(SpeechStarted(time.monotonic()))
        if self.talking:
            await self.interrupt()

    def _listen(self) -> str | None:
        """Recognition during the turn; returns "end" when a verdict on the words ends it,
        "barge" when speech over OS1's voice turns out to be the user's."""
        ep = self.endpointer
        if ep.quiet == 0:
            self._pause, self._judged = None, False  # the user went on: that decode is stale
            if self._partial is not None and self._partial.done():
                text = None
                if not self._partial.cancelled() and self._partial.exception() is None:
                    text = self._partial.result()
                self._partial = None
                if text is not None and self._suspect:
                    if self._check_echo(text):
                        return "barge"
                elif text is not None:
                    self.on_frame(Partial(text, self._stable.feed(text)))
            every = self.partial_samples
            if self._suspect:
                # Over the voice, words decide the barge-in: look at them as soon as a word or
                # two may be in, then often. Sooner, Whisper guesses at a fragment.
                every = int(self.ECHO_CHECK_SECONDS * STT_RATE)
                if ep.heard_samples < self.ECHO_FIRST_SECONDS * STT_RATE:
                    every = ep.heard_samples + 1
            busy = self._partial is not None
            if not busy and ep.heard_samples - self._partial_at >= every:
                self._partial_at = ep.heard_samples
                self._partial = asyncio.create_task(self._recognise(ep.so_far()))
            return None
        if ep.quiet == self.PAUSE_FRAMES and self._pause is None:
            self._pause = asyncio.create_task(asyncio.to_thread(self._judge, ep.so_far()))
            # Until the words are known, wait as if they went on: the answer needs them
            # anyway, and ending the turn sooner would only cut in on a slow machine.
            ep.hold_frames = self.timing.frames(False)
        if self._pause is not None and self._pause.done() and not self._judged:
            self._judged = True
            if self._pause.exception() is None:
                text, complete = self._pause.result()
                ep.hold_frames = self.timing.frames(complete)
                if complete is not False and not self._suspect and not self.talking:
                    # The words are likely the turn's: the model may evaluate them while the
                    # silence runs out (if the user goes on, nothing was stored or decided).
                    self.companion.anticipate(text, self.conversation_id)
                return ep.check()
        return None

    def _check_echo(self, text: str) -> bool:
        """A decode of speech heard over the voice: True when it is the user's. Audio found to
        be echo is forgotten but for a few seconds of context, so the turn's buffer holds the
        user's words when they come, and every check stays short."""
        found = match(text, self._reference())
        verdict = found.verdict()
        # Two decodes in a row must end on new words: Whisper tiny garbles a fragment of the
        # echo into other words ("care to write" → "character right"), but the next decode,
        # longer, ends on the reply's words again, while the user's go on being new.
        self._new_words, confirmed = (verdict == "speech"), self._new_words
        if verdict == "speech" and confirmed:
            self._suspect, self._over_voice = False, True
            return True
        self._echo_heard = self._echo_heard or verdict == "echo"
        if verdict == "echo" and found.trailing_new == 0:
            # (One new word at the end may be the user's first: its audio stays.)
            keep = int(self.ECHO_KEEP_SECONDS * STT_RATE)
            gone = self.endpointer.drop(self._partial_at - keep)
            self._partial_at -= gone
        return False

    async def _recognise(self, audio: Audio) -> str:
        return (await asyncio.to_thread(self.stt.transcribe, audio)).text

    def _judge(self, audio: Audio) -> tuple[str, bool | None]:
        text = self.stt.transcribe(audio).text
        return text, turn_complete(text)

    async def interrupt(self) -> None:
        assert self._reply is not None
        self._reply.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reply
        self.on_frame(Interrupted(time.monotonic(), self._log.spoken_text()))

    async def _answer(
        self, audio: Audio, play: Callable[[np.ndarray, int], Awaitable[None]]
    ) -> None:
        suspect, reference = self._suspect, self._reference()
        if not suspect:
            self.on_frame(EndOfTurn(time.monotonic(), audio))
        started = time.perf_counter()
        pause, self._pause, self._partial = self._pause, None, None
        if pause is not None:
            # Nothing was said since the pause began: its decode is the whole turn.
            transcript = (await pause)[0]
        else:
            transcript = (await asyncio.to_thread(self.stt.transcribe, audio)).text
        if not re.search(r"\w", transcript):
            return  # a cough or a door: nothing to answer, nothing stored
        if suspect:
            found = match(transcript, reference)
            if found.verdict(final=True, after_echo=self._echo_heard) == "echo":
                self.on_frame(Echo(time.monotonic(), transcript))
                return  # OS1's own voice: neither a barge-in nor a turn
            await self._barge_in()
            self.on_frame(EndOfTurn(time.monotonic(), audio))
        if suspect or self._over_voice:
            transcript = strip_echo(transcript, reference)
        self.on_frame(Heard(transcript, time.perf_counter() - started))
        self._log = SpokenLog()
        self._reply = asyncio.create_task(self._speak(transcript, play, self._log))

    async def _speak(
        self, text: str, play: Callable[[np.ndarray, int], Awaitable[None]], log: SpokenLog
    ) -> None:
        pieces = reply_audio(
            self.companion, text, self.tts, conversation_id=self.conversation_id,
            style=self.style, speed=self.speed, log=log, on_event=self.on_event,
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
                    self._last_sound = time.monotonic()
        self.on_frame(Spoken(time.monotonic()))
