"""The live loop: the sound card's microphone and speaker around a VoiceSession."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from os1.mind.persona import Identity
from os1.voice import engines
from os1.voice.audio import resample_int16
from os1.voice.pipeline import EndOfTurn, Heard, Interrupted, ReplyAudio, TurnTiming, VoiceSession


def run_live(app: Any, sd: Any, *, new: bool, frame: int, rate: int) -> None:
    settings = app.settings
    identity = Identity.load(app.store)
    companion = app.companion(background=True)
    conv = companion.conversation_for(None, new)

    spoke: list[bool] = []  # the reply's first audio was announced

    def show(event: object) -> None:
        if isinstance(event, Heard):
            print(f"{identity.user_name or 'you'}: {event.text}", flush=True)
        elif isinstance(event, ReplyAudio) and event.sentence == 0 and not spoke:
            spoke.append(True)
            print(f"{identity.companion_name}: …", flush=True)
        elif isinstance(event, Interrupted):
            print("(interrupted)", flush=True)
        elif isinstance(event, EndOfTurn):
            spoke.clear()
            print("…", flush=True)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        frames: asyncio.Queue[np.ndarray] = asyncio.Queue()

        def on_audio(data: Any, _frames: int, _time: Any, _status: Any) -> None:
            loop.call_soon_threadsafe(frames.put_nowait, data[:, 0].copy())

        async def mic() -> AsyncIterator[np.ndarray]:
            while True:
                yield await frames.get()

        tts = engines.tts(settings.tts)
        # One output stream for the whole conversation: opening one per slice (sd.play) costs
        # tens of milliseconds each time and leaves gaps in the voice.
        speaker = sd.OutputStream(
            samplerate=tts.sample_rate, channels=1, dtype="int16", latency="low"
        )
        speaker.start()
        # PortAudio's stream may not be aborted or closed while another thread writes to it
        # (Ctrl-C during a reply freed it under the writer: "malloc(): unaligned tcache
        # chunk"). A write holds the device for one small slice, so waiting costs little.
        device = threading.Lock()

        def write(pcm: np.ndarray) -> None:
            with device:
                if not speaker.closed:
                    speaker.write(pcm)

        async def play(pcm: np.ndarray, sample_rate: int) -> None:
            if sample_rate != tts.sample_rate:
                pcm = resample_int16(pcm, sample_rate, tts.sample_rate)
            # write() returns once the slice is queued: playback paces the reply.
            await asyncio.to_thread(write, np.ascontiguousarray(pcm.reshape(-1, 1)))

        def on_frame(frame: object) -> None:
            if isinstance(frame, Interrupted):
                # Drop what the device still holds, so the voice stops the moment the user
                # speaks, not a buffer later.
                with device:
                    speaker.abort()
                    speaker.start()
            show(frame)

        session = VoiceSession(
            companion, engines.stt(settings.stt), tts,
            engines.vad(settings.vad), conversation_id=conv, style=identity.voice,
            speed=settings.voice_speed, on_frame=on_frame,
            timing=TurnTiming(base_ms=settings.voice_end_of_turn_ms),
        )  # fmt: skip
        with sd.InputStream(samplerate=rate, channels=1, dtype="float32", blocksize=frame,
                            callback=on_audio):  # fmt: skip
            print(f"Listening — talk to {identity.companion_name}. Ctrl-C to stop.", flush=True)
            try:
                await session.run(mic(), play)
            finally:
                with device:
                    speaker.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print()
