"""The spoken turn and barge-in, driven by scripted audio streams."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np

from os1.config import Settings
from os1.events import TurnDone
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore
from os1.voice import engines
from os1.voice.audio import read_audio
from os1.voice.engines import TextToSpeech
from os1.voice.pipeline import (
    FRAME,
    Interrupted,
    ReplyAudio,
    SentenceSplitter,
    SpokenLog,
    VoiceSession,
    reply_audio,
    spoken_turn,
)

LONG_REPLY = (
    "That sounds like a heavy day. I am glad you told me about it. "
    "Do you want to talk about what happened at work? "
    "Or we could talk about something else entirely. "
    "Either way, I am here with you for as long as you like."
)


def companion(store: SQLiteStore, reply: str = LONG_REPLY, delay: float = 0.0) -> Companion:
    return Companion(
        store, ScriptedModel(replies=[reply], delay=delay), Settings(model="scripted:x")
    )


def test_sentences_are_released_as_soon_as_they_end() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there") == []
    assert splitter.feed(". How are") == ["Hello there."]
    assert splitter.feed(" you? I'm fine!\nGood") == ["How are you?", "I'm fine!"]
    assert splitter.flush() == ["Good"]


def test_spoken_text_keeps_whole_sentences_and_the_words_of_a_cut_one() -> None:
    log = SpokenLog()
    for sentence, total, played in (
        ("One two three.", 300, 300),
        ("Four five six seven.", 400, 200),
    ):
        i = log.start(sentence)
        log.lengths[i], log.played[i], log.complete[i] = total, played, True
    log.start("Never said.")
    assert log.spoken_text() == "One two three. Four five…"


async def test_synthesis_starts_on_the_first_sentence_not_at_the_end(store: SQLiteStore) -> None:
    order: list[str] = []

    def note(event: object) -> None:
        if isinstance(event, TurnDone):
            order.append("done")

    async for _piece in reply_audio(
        companion(store, delay=0.02), "hi", engines.tts("tone"), on_event=note
    ):
        order.append("audio")
    assert order.index("audio") < order.index("done")


async def test_a_spoken_turn_from_a_wav_file_with_the_scripted_model(
    store: SQLiteStore, spoken_wav: Path
) -> None:
    turn = await spoken_turn(
        companion(store, "I'm so glad. Read it to me?"), read_audio(spoken_wav),
        engines.stt("whisper"), engines.tts("piper"), engines.vad("silero"),
    )  # fmt: skip
    assert "letter" in turn.transcript.lower() and "sister" in turn.transcript.lower()
    assert turn.reply == "I'm so glad. Read it to me?"
    assert len(turn.pcm) / turn.sample_rate > 1.0
    conv = store.latest_conversation()
    assert conv is not None
    assert [m.role for m in store.messages(conv.id)] == ["user", "assistant"]


class Clock:
    """Scripted time: the microphone and the speaker both advance it, 32 ms per frame."""

    def __init__(self) -> None:
        self.samples_heard = 0
        self.played_at: list[int] = []


async def scripted_mic(
    clock: Clock, segments: list[tuple[str, float]], pace: float
) -> AsyncIterator[np.ndarray]:
    rng = np.random.default_rng(1)
    for kind, seconds in segments:
        for _ in range(int(seconds * 16_000 / FRAME)):
            if kind == "speech":
                t = np.arange(FRAME) / 16_000
                frame = 0.3 * np.sin(2 * np.pi * 180 * t) + rng.normal(0, 0.05, FRAME)
            else:
                frame = np.zeros(FRAME)
            clock.samples_heard += FRAME
            yield frame.astype(np.float32)
            await asyncio.sleep(FRAME / 16_000 * pace)


async def test_barge_in_stops_playback_and_generation_and_keeps_only_what_was_spoken(
    store: SQLiteStore,
) -> None:
    pace = 0.25  # run the scripted stream at 4x real time
    clock = Clock()
    frames: list[object] = []
    model = ScriptedModel(replies=[LONG_REPLY], delay=0.01)
    session = VoiceSession(
        Companion(store, model, Settings(model="scripted:x")), engines.stt("fake"),
        engines.tts("tone"), engines.vad("energy"), on_frame=frames.append,
    )  # fmt: skip

    async def play(pcm: np.ndarray, rate: int) -> None:
        clock.played_at.append(clock.samples_heard)
        await asyncio.sleep(len(pcm) / rate * pace)

    mic = scripted_mic(
        # The interruption ends the stream before its own end of turn, so no second reply.
        clock, [("silence", 0.3), ("speech", 1.0), ("silence", 1.4), ("speech", 1.2),
                ("silence", 0.2)], pace,
    )  # fmt: skip
    await session.run(mic, play)

    interrupted = [f for f in frames if isinstance(f, Interrupted)]
    assert len(interrupted) == 1
    # Speech over the voice barges in once two looks at its words show it is not the voice's
    # echo: nothing is played more than two frames after the second look.
    onset = int((0.3 + 1.0 + 1.4) * 16_000)
    words_at = onset + int(
        (VoiceSession.ECHO_FIRST_SECONDS + VoiceSession.ECHO_CHECK_SECONDS) * 16_000
    )
    assert max(clock.played_at) <= words_at + 2 * FRAME
    conv = store.latest_conversation()
    assert conv is not None
    user, reply = store.messages(conv.id)[:2]
    assert user.content == "hello there"
    assert reply.status == "interrupted"
    assert reply.content == interrupted[0].spoken_text
    assert reply.content and len(reply.content) < len(LONG_REPLY)
    assert LONG_REPLY.startswith(reply.content.rstrip("…").rsplit(" ", 1)[0])
    assert any(isinstance(f, ReplyAudio) for f in frames)


async def test_talking_over_a_reply_already_written_keeps_only_what_was_heard(
    store: SQLiteStore,
) -> None:
    # The usual case: the model writes the whole reply in milliseconds, the voice takes
    # seconds, and the user speaks over it long after it was stored as complete.
    pace = 0.25
    clock = Clock()
    frames: list[object] = []
    done: list[TurnDone] = []
    model = ScriptedModel(replies=[LONG_REPLY, "Of course."])
    memory = LongTermMemory(store, HashingEmbedder())
    session = VoiceSession(
        Companion(store, model, Settings(model="scripted:x"), memory=memory),
        engines.stt("fake"), engines.tts("tone"), engines.vad("energy"),
        on_frame=frames.append,
        on_event=lambda e: done.append(e) if isinstance(e, TurnDone) else None,
    )  # fmt: skip

    async def play(pcm: np.ndarray, rate: int) -> None:
        clock.played_at.append(clock.samples_heard)
        await asyncio.sleep(len(pcm) / rate * pace)

    mic = scripted_mic(
        # Talked over after 1.4 s of a ~3 s reply, for a second (words enough to tell it from
        # the echo); then a pause that ends the second turn.
        clock, [("silence", 0.3), ("speech", 1.0), ("silence", 1.4), ("speech", 1.2),
                ("silence", 1.5)], pace,
    )  # fmt: skip
    await session.run(mic, play)

    [interrupted] = [f for f in frames if isinstance(f, Interrupted)]
    assert done[0].text == LONG_REPLY  # it was written whole before the barge-in
    heard = interrupted.spoken_text
    assert heard and len(heard) < len(LONG_REPLY)
    conv = store.latest_conversation()
    assert conv is not None
    messages = store.messages(conv.id)
    assert [(m.role, m.status) for m in messages] == [
        ("user", "complete"), ("assistant", "interrupted"),
        ("user", "complete"), ("assistant", "complete"),
    ]  # fmt: skip
    assert messages[1].id == done[0].message_id and messages[1].content == heard
    # The next turn's history holds what was heard, not the unspoken rest.
    history = [m.content for m in model.calls[1] if m.role == "assistant"]
    assert heard in history
    assert not any("for as long as you like" in m.content for m in model.calls[1])
    # Memory recalls the heard words only; the unspoken rest is no longer current.
    current = [m.text for m in memory.store.list()]
    assert heard in current
    assert not any("for as long as you like" in text for text in current)


async def test_stopping_a_reply_early_leaves_the_voice_usable(store: SQLiteStore) -> None:
    piper = engines.tts("piper")
    pieces = reply_audio(companion(store), "hi", piper)
    async for _ in pieces:
        break
    await pieces.aclose()
    # A second reply must not wait on anything the first one left behind.
    again = reply_audio(companion(store, "Fine, thanks."), "and now?", piper)
    chunks = [p async for p in again]
    assert chunks and all(len(p.pcm) for p in chunks)


class SlowTone(TextToSpeech):
    """Each chunk takes a while to make, as a real voice's do on a busy machine."""

    name = "slow-tone"
    sample_rate = 16_000

    def __init__(self) -> None:
        self.closed = threading.Event()

    def synthesize(
        self, text: str, *, style: str = "warm", speed: float = 1.0
    ) -> Iterator[np.ndarray]:
        try:
            for _ in range(5):
                time.sleep(0.2)
                yield np.full(1600, 1000, np.int16)
        finally:
            self.closed.set()


async def test_a_barge_in_while_a_chunk_is_being_made_stops_cleanly(store: SQLiteStore) -> None:
    voice = SlowTone()
    first = asyncio.Event()

    async def speak() -> None:
        async for _piece in reply_audio(companion(store), "hi", voice):
            first.set()

    task = asyncio.create_task(speak())
    await first.wait()
    await asyncio.sleep(0.05)  # the next chunk is in the making on a worker thread
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()  # not "generator already executing"
    # The voice is released once that chunk is done.
    assert await asyncio.to_thread(voice.closed.wait, 2)


def test_without_piper_the_voice_falls_back_to_espeak(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from os1.voice import local

    monkeypatch.setattr(local, "piper_installed", lambda: False)
    voice = engines.tts("piper")
    assert voice.name == "espeak"
    assert sum(len(c) for c in voice.synthesize("Hello.")) > 1000
