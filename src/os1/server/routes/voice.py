"""Voice over HTTP: a recorded turn in, the transcript, the reply and its audio out; and
text to speech. Speech engines come from the settings, like everywhere else."""

from __future__ import annotations

import io
import re
import tempfile
import uuid
import wave
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as FPath
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from os1.errors import NotFound
from os1.events import TurnDone
from os1.mind.persona import Identity
from os1.server.auth import CallerDep
from os1.server.errors import BadRequest, TooLarge
from os1.server.hub import Hub, UserRuntime
from os1.server.routes.api import preferences_of, raise_for
from os1.server.state import MAX_ID, server_of
from os1.voice import engines
from os1.voice.audio import Audio, NoSpeech, read_audio
from os1.voice.pipeline import speech_span

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
    transcript = await hub.threads.call(lambda: _transcribe(hub, upload, suffix))
    events = [e async for e in hub.turn(caller.user_id, transcript, conversation_id, new=new)]
    raise_for(events)
    done = next(e for e in events if isinstance(e, TurnDone))
    style, speed = await hub.run(caller.user_id, _voice)
    wav = await hub.threads.call(lambda: _synthesize(hub, done.text, style, speed))
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
    wav = await hub.threads.call(lambda: _synthesize(hub, body.text, style, speed))
    return Response(wav, media_type="audio/wav")
