"""The live loop: the sound card's microphone and speaker around a VoiceSession."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from os1.mind.persona import Identity
from os1.voice import engines
from os1.voice.pipeline import EndOfTurn, Heard, Interrupted, VoiceSession


def run_live(app: Any, sd: Any, *, new: bool, frame: int, rate: int) -> None:
    settings = app.settings
    identity = Identity.load(app.store)
    companion = app.companion(background=True)
    conv = companion.conversation_for(None, new)

    def show(event: object) -> None:
        if isinstance(event, Heard):
            print(f"{identity.user_name or 'you'}: {event.text}", flush=True)
        elif isinstance(event, Interrupted):
            print("(interrupted)", flush=True)
        elif isinstance(event, EndOfTurn):
            print("…", flush=True)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        frames: asyncio.Queue[np.ndarray] = asyncio.Queue()

        def on_audio(data: Any, _frames: int, _time: Any, _status: Any) -> None:
            loop.call_soon_threadsafe(frames.put_nowait, data[:, 0].copy())

        async def mic() -> AsyncIterator[np.ndarray]:
            while True:
                yield await frames.get()

        async def play(pcm: np.ndarray, sample_rate: int) -> None:
            await asyncio.to_thread(sd.play, pcm, sample_rate, blocking=True)

        session = VoiceSession(
            companion, engines.stt(settings.stt), engines.tts(settings.tts),
            engines.vad(settings.vad), conversation_id=conv, style=identity.voice,
            speed=settings.voice_speed, on_frame=show,
        )  # fmt: skip
        with sd.InputStream(samplerate=rate, channels=1, dtype="float32", blocksize=frame,
                            callback=on_audio):  # fmt: skip
            print(f"Listening — talk to {identity.companion_name}. Ctrl-C to stop.", flush=True)
            await session.run(mic(), play)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print()
