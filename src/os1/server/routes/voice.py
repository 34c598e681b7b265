"""Voice over HTTP: a recorded turn in, the transcript, the reply and its audio out; and
text to speech. Speech engines come from the settings, like everywhere else."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import struct
import tempfile
import uuid
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, Form, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi import Path as FPath
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from os1.errors import NotFound, OS1Error
from os1.events import TurnDone
from os1.mind.persona import Identity
from os1.server.auth import CallerDep, identify_socket
from os1.server.errors import BadRequest, TooLarge
from os1.server.hub import Hub, UserRuntime
from os1.server.routes.api import preferences_of, raise_for
from os1.server.state import MAX_ID, server_of
from os1.voice import engines
from os1.voice.audio import Audio, NoSpeech, read_audio
from os1.voice.pipeline import (
    FRAME,
    EndOfTurn,
    Heard,
    Interrupted,
    Partial,
    SpeechStarted,
    Spoken,
    TurnTiming,
    VoiceFrame,
    VoiceSession,
    speech_span,
)

router = APIRouter(tags=["voice"])

MAX_SPEAK_CHARS = 5000


class VoiceTurnOut(BaseModel):
    transcript: str
    reply: str
    conversation_id: int
    message_id: int
    audio: str


class SpeakBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_SPEAK_CHARS)


def wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())
    return buffer.getvalue()


def _voice(rt: UserRuntime) -> tuple[str, float]:
    return Identity.load(rt.store).voice, float(preferences_of(rt)["voice_speed"])


def _synthesize(hub: Hub, text: str, style: str, speed: float) -> bytes:
    tts = engines.tts(hub.settings.tts)
    chunks = list(tts.synthesize(text, style=style, speed=speed))
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return wav_bytes(pcm, tts.sample_rate)


def _transcribe(hub: Hub, upload: bytes, suffix: str) -> str:
    """Decode, find the speech and transcribe it; AudioError/NoSpeech before anything is
    stored."""
    with tempfile.TemporaryDirectory(prefix="os1-voice-") as folder:
        path = Path(folder) / ("upload" + suffix)
        path.write_bytes(upload)
        audio: Audio = read_audio(path)
    speech = speech_span(audio, engines.vad(hub.settings.vad))
    text = engines.stt(hub.settings.stt).transcribe(speech).text
    if not re.search(r"\w", text):
        raise NoSpeech("no words could be recognised in the audio")
    return text


@router.post("/api/voice/turn", response_model=VoiceTurnOut)
async def voice_turn(
    caller: CallerDep,
    request: Request,
    audio: Annotated[UploadFile, File(description="A recording: WAV, FLAC, MP3, OGG, WebM")],
    conversation_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    new: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """A spoken turn: speech to text, the companion's turn, the reply spoken."""
    server = server_of(request)
    hub = server.hub
    limit = hub.options.max_upload_bytes
    upload = await audio.read(limit + 1)
    if len(upload) > limit:
        raise TooLarge(
            f"the recording is larger than {limit // 2**20} MB",
            hint="Send a shorter recording; nothing was stored.",
        )
    suffix = Path(audio.filename or "").suffix[:10] or ".audio"
    transcript = await asyncio.to_thread(_transcribe, hub, upload, suffix)
    events = [e async for e in hub.turn(caller.user_id, transcript, conversation_id, new=new)]
    raise_for(events)
    done = next(e for e in events if isinstance(e, TurnDone))
    style, speed = await hub.run(caller.user_id, _voice)
    wav = await asyncio.to_thread(_synthesize, hub, done.text, style, speed)
    key = uuid.uuid4().hex
    server.audio.put(key, caller.user_id, wav)
    return {
        "transcript": transcript,
        "reply": done.text,
        "conversation_id": done.conversation_id,
        "message_id": done.message_id,
        "audio": f"/api/voice/audio/{key}",
    }


@router.get(
    "/api/voice/audio/{key}",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def voice_audio(
    caller: CallerDep, request: Request, key: Annotated[str, FPath(max_length=64)]
) -> Response:
    """The spoken reply of a recent voice turn (kept for ten minutes)."""
    wav = server_of(request).audio.get(key, caller.user_id)
    if wav is None:
        raise NotFound("no such audio (it may have expired)", hint="Ask again to hear it.")
    return Response(wav, media_type="audio/wav")


@router.post(
    "/api/voice/speak",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def speak(body: SpeakBody, caller: CallerDep, request: Request) -> Response:
    """Text to speech in the companion's voice, as a WAV file."""
    hub = server_of(request).hub
    if not body.text.strip():
        raise BadRequest("there is nothing to say", hint="Give some text.")
    style, speed = await hub.run(caller.user_id, _voice)
    wav = await asyncio.to_thread(_synthesize, hub, body.text, style, speed)
    return Response(wav, media_type="audio/wav")


# -- hands-free conversation ----------------------------------------------------------------

PLAYBACK_LEAD = 0.25  # seconds of reply audio the browser may hold ahead of the playhead


def _frames_of_pcm(pending: np.ndarray, data: bytes) -> tuple[list[np.ndarray], np.ndarray]:
    """Little-endian int16 PCM from the browser, cut into the VAD's 32 ms frames."""
    samples = np.concatenate([pending, np.frombuffer(data[: len(data) // 2 * 2], "<i2")])
    whole = len(samples) // FRAME * FRAME
    frames = [samples[i : i + FRAME].astype(np.float32) / 32768.0 for i in range(0, whole, FRAME)]
    return frames, samples[whole:]


def _error_message(exc: OS1Error) -> str:
    return json.dumps({"type": "error", "code": exc.code, "message": exc.message,
                       "hint": exc.hint})  # fmt: skip


@router.websocket("/api/voice/live")
async def voice_live(ws: WebSocket) -> None:
    """Hands-free conversation, as on a phone call.

    In: the microphone as binary frames of 16 kHz mono little-endian int16 PCM (any length);
    optional `?conversation_id=` or `?new=1`. Out: JSON events — `listening`, `speech_started`,
    `partial` {text, stable}, `end_of_turn`, `heard` {text}, `reply` {text, message_id} once the
    reply is written, `spoken` once it has all been sent to be heard, `interrupted` {spoken},
    `error` —
    and the reply's voice as binary frames: a little-endian uint32 sample rate, then int16 PCM,
    sent sentence by sentence while the model is still writing and paced a quarter of a second
    ahead of playback. When the user speaks over the reply, generation stops, `interrupted` tells
    the page to drop what it still holds, and only what was heard is stored: a reply written
    whole before the voice reached the barge-in is cut back to it. What the browser's echo
    cancellation lets through of OS1's own voice is recognised by its words and ignored: it
    neither barges in nor becomes a turn (the same rule as the terminal's, in VoiceSession)."""
    try:
        caller = identify_socket(ws)
        raw_conv = ws.query_params.get("conversation_id")
        conversation_id = int(raw_conv) if raw_conv else None
        if conversation_id is not None and not 1 <= conversation_id <= MAX_ID:
            raise BadRequest("conversation_id is out of range")
    except ValueError:
        await ws.accept()
        await ws.send_text(_error_message(BadRequest("conversation_id must be a number")))
        await ws.close(code=4400)
        return
    except OS1Error as exc:
        await ws.accept()
        await ws.send_text(_error_message(exc))
        await ws.close(code=4401 if exc.code == "auth_required" else 4403)
        return
    await ws.accept()
    hub = server_of(ws).hub
    new = ws.query_params.get("new") in ("1", "true")
    async with hub.use(caller.user_id) as rt:
        try:
            conv = await asyncio.to_thread(rt.companion.conversation_for, conversation_id, new)
        except OS1Error as exc:
            await ws.send_text(_error_message(exc))
            await ws.close(code=4404)
            return
        style, speed = await asyncio.to_thread(_voice, rt)
        await _converse(ws, rt, hub, conv, style, speed)
    hub.consolidate_soon(caller.user_id)


async def _converse(
    ws: WebSocket, rt: UserRuntime, hub: Hub, conv: int, style: str, speed: float
) -> None:
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
    playhead = [0.0]  # loop time at which the browser will have played all it was sent

    def on_frame(frame: VoiceFrame) -> None:
        event: dict[str, Any] | None = None
        if isinstance(frame, SpeechStarted):
            event = {"type": "speech_started"}
        elif isinstance(frame, Partial):
            event = {"type": "partial", "text": frame.text, "stable": frame.stable}
        elif isinstance(frame, EndOfTurn):
            event = {"type": "end_of_turn"}
        elif isinstance(frame, Heard):
            event = {"type": "heard", "text": frame.text, "conversation_id": conv}
        elif isinstance(frame, Interrupted):
            playhead[0] = 0.0
            event = {"type": "interrupted", "spoken": frame.spoken_text}
        elif isinstance(frame, Spoken):
            event = {"type": "spoken"}
        if event is not None:
            outbox.put_nowait(json.dumps(event))

    def on_event(event: object) -> None:
        if isinstance(event, TurnDone):  # the whole reply is written (it may still be spoken)
            outbox.put_nowait(json.dumps({"type": "reply", "text": event.text,
                                          "message_id": event.message_id,
                                          "conversation_id": conv}))  # fmt: skip

    async def play(pcm: np.ndarray, rate: int) -> None:
        outbox.put_nowait(struct.pack("<I", rate) + np.asarray(pcm, "<i2").tobytes())
        playhead[0] = max(playhead[0], loop.time()) + len(pcm) / rate
        # Wait as the listener would: the spoken log counts what was sent as heard, so the
        # page never holds more than a moment of voice that a barge-in would throw away.
        ahead = playhead[0] - loop.time() - PLAYBACK_LEAD
        if ahead > 0:
            await asyncio.sleep(ahead)

    session = VoiceSession(
        rt.companion, engines.stt(hub.settings.stt), engines.tts(hub.settings.tts),
        engines.vad(hub.settings.vad), conversation_id=conv, style=style, speed=speed,
        timing=TurnTiming(base_ms=rt.settings.voice_end_of_turn_ms), on_frame=on_frame,
        on_event=on_event,
    )  # fmt: skip

    async def mic() -> AsyncIterator[np.ndarray]:
        pending = np.zeros(0, np.int16)
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data is None:
                if message.get("text") and '"stop"' in message["text"]:
                    break
                continue
            frames, pending = _frames_of_pcm(pending, data)
            for frame in frames:
                yield frame
        if session.talking:
            await session.interrupt()  # the caller hung up: keep only what was heard

    async def send() -> None:
        while (item := await outbox.get()) is not None:
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await ws.send_text(item)

    sender = asyncio.create_task(send())
    outbox.put_nowait(json.dumps({"type": "listening", "conversation_id": conv}))
    try:
        await session.run(mic(), play)
    except OS1Error as exc:
        outbox.put_nowait(_error_message(exc))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        outbox.put_nowait(None)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await sender
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await ws.close()
