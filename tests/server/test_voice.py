"""Voice over HTTP with the stand-in engines: a recording in, transcript, reply and audio out."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from tests.server.conftest import local_client, make_app


def recording(seconds: float = 1.0, loud: bool = True) -> bytes:
    """A WAV a microphone might send: silence, a loud tone (the energy VAD hears speech)."""
    rate = 16_000
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.5 * np.sin(2 * np.pi * 220 * t) * 32767 * (1 if loud else 0)).astype(np.int16)
    quiet = np.zeros(rate // 4, np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate([quiet, tone, quiet]).tobytes())
    return buffer.getvalue()


def test_voice_turn_transcribes_answers_and_speaks(client: TestClient) -> None:
    response = client.post(
        "/api/voice/turn", files={"audio": ("turn.wav", recording(), "audio/wav")}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["transcript"] == "hello there"
    assert data["reply"] == "You said: hello there"
    audio = client.get(data["audio"])
    assert audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as w:
        assert w.getnframes() > 0
    stored = client.get(f"/api/conversations/{data['conversation_id']}/messages").json()
    assert [m["content"] for m in stored] == ["hello there", "You said: hello there"]


def test_bad_audio_is_a_clear_400_and_nothing_is_stored(client: TestClient) -> None:
    for name, content in [
        ("noise.wav", b"RIFF0000WAVEfmt garbage"),
        ("empty.ogg", b""),
        ("text.mp3", b"this is not audio at all" * 10),
        ("silence.wav", recording(loud=False)),
    ]:
        response = client.post("/api/voice/turn", files={"audio": (name, content, "audio/wav")})
        assert response.status_code == 400, (name, response.text)
        error = response.json()["error"]
        assert error["code"] in ("bad_audio", "no_speech") and "nothing was stored" in error["hint"]
    assert client.get("/api/conversations").json() == []


def test_a_recording_over_the_upload_limit_is_refused(home: Path) -> None:
    with local_client(make_app(home, max_upload_bytes=4096)) as c:
        response = c.post("/api/voice/turn", files={"audio": ("long.wav", recording(2.0))})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_speak_returns_wav_at_the_users_speed(client: TestClient) -> None:
    normal = client.post("/api/voice/speak", json={"text": "one two three four"})
    client.patch("/api/settings", json={"voice_speed": 2.0})
    fast = client.post("/api/voice/speak", json={"text": "one two three four"})
    frames = []
    for response in (normal, fast):
        assert response.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(response.content)) as w:
            frames.append(w.getnframes())
    assert frames[1] < frames[0]
    assert client.post("/api/voice/speak", json={"text": ""}).status_code == 422
