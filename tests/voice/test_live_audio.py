"""Live `os1 voice` against a virtual sound card: a PulseAudio server with two null sinks, one
standing for the microphone (what is played into it is heard by OS1) and one for the speaker
(what OS1 says is recorded from its monitor). Needs the Debian packages pulseaudio,
pulseaudio-utils, libasound2-plugins and libportaudio2, and the sounddevice package."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from os1.voice.audio import write_wav
from tests.helpers import process_env, stored_messages

RATE = 16_000
LONG_REPLY = (
    "That is wonderful news. Letters take such care to write, and your sister will treasure "
    "it. What did you tell her about? I would love to hear how you began it."
)


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    missing = [b for b in ("pulseaudio", "pactl", "paplay", "parec") if shutil.which(b) is None]
    if missing or importlib.util.find_spec("sounddevice") is None:
        pytest.skip(
            f"live audio needs pulseaudio, pulseaudio-utils, libasound2-plugins, libportaudio2 "
            f"and sounddevice (missing: {', '.join(missing) or 'sounddevice'})"
        )
    runtime = tmp_path_factory.mktemp("pulse")
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)}
    subprocess.run(
        ["pulseaudio", "-D", "--exit-idle-time=-1", "-n", "--disallow-exit",
         "--load=module-native-protocol-unix auth-anonymous=1",
         "--load=module-null-sink sink_name=speaker",
         "--load=module-null-sink sink_name=micsrc"],
        env=env, check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    for command in (["set-default-sink", "speaker"], ["set-default-source", "micsrc.monitor"]):
        subprocess.run(["pactl", *command], env=env, check=True, timeout=10)
    yield {"XDG_RUNTIME_DIR": str(runtime), "PULSE_SERVER": f"unix:{runtime}/pulse/native"}
    subprocess.run(["pulseaudio", "--kill"], env=env, check=False, timeout=30)


def say(piper, text: str, path: Path) -> Path:  # type: ignore[no-untyped-def]
    pcm = np.concatenate(list(piper.synthesize(text)))
    quiet = np.zeros(piper.sample_rate // 5, np.int16)
    write_wav(path, np.concatenate([quiet, pcm, quiet]), piper.sample_rate)
    return path


class Speaker:
    """Records OS1's speaker (the null sink's monitor) into memory, 16 kHz mono."""

    def __init__(self, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            ["parec", "--device=speaker.monitor", "--format=s16le", f"--rate={RATE}",
             "--channels=1", "--latency-msec=20"],
            stdout=subprocess.PIPE, env=env,
        )  # fmt: skip
        self._chunks: list[bytes] = []
        self.started = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        while chunk := self._process.stdout.read(640):
            self._chunks.append(chunk)

    def samples(self) -> np.ndarray:
        return np.frombuffer(b"".join(self._chunks), dtype=np.int16)

    def loud_between(self, start: float, end: float) -> float:
        """Share of 20 ms windows with sound, between two seconds of the recording."""
        x = self.samples()[int(start * RATE) : int(end * RATE)]
        windows = x[: len(x) // 320 * 320].reshape(-1, 320)
        if not len(windows):
            return 0.0
        return float(np.mean(np.abs(windows).max(axis=1) > 1000))

    def now(self) -> float:
        return len(self.samples()) / RATE

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def wait_for(lines: queue.Queue[str], needle: str, timeout: float, seen: list[str]) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"no {needle!r} within {timeout} s; os1 said: {seen}")


def test_live_voice_answers_out_loud_and_stops_when_talked_over(
    pulse: dict[str, str], home: Path, tmp_path: Path, piper
) -> None:  # type: ignore[no-untyped-def]
    question = say(piper, "I finished the long letter to my sister last night.", tmp_path / "q.wav")
    # Long enough to still be speaking a second after the words have stopped OS1.
    barge = say(piper, "Sorry to interrupt you there, I have something to tell you.",
                tmp_path / "b.wav")  # fmt: skip
    # A model still writing while it speaks (as the embedded one does for a long reply): the
    # barge-in stops it, and only what was heard is stored.
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"replies": [LONG_REPLY, "Of course, go on."], "delay": 0.15}))
    env = process_env(f"scripted:{script}", **pulse)
    os1 = subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "voice"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    speaker = Speaker(env)
    seen: list[str] = []
    try:
        lines = lines_of(os1)
        wait_for(lines, "Listening", 90, seen)
        subprocess.run(["paplay", "--device=micsrc", str(question)], env=env, check=True)
        assert "sister" in wait_for(lines, "sister", 30, seen).lower()
        wait_for(lines, ": …", 30, seen)  # the reply's first audio went to the speaker
        # Let it talk for a second, then talk over it.
        time.sleep(1.0)
        assert speaker.loud_between(speaker.now() - 0.8, speaker.now()) > 0.3
        talker = subprocess.Popen(["paplay", "--device=micsrc", str(barge)], env=env)
        wait_for(lines, "(interrupted)", 15, seen)
        stopped = speaker.now()
        time.sleep(1.0)  # the barge-in is still being spoken: OS1 must stay quiet meanwhile
        assert speaker.loud_between(stopped + 0.3, stopped + 1.0) < 0.05
        talker.wait(timeout=15)
        wait_for(lines, "interrupt you", 30, seen)  # and it listens to what was said
    finally:
        os1.send_signal(signal.SIGINT)
        try:
            os1.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os1.kill()
            os1.wait(timeout=30)  # reaped: no process is left behind the test
        speaker.close()
        errors = os1.stderr.read() if os1.stderr else ""
        for pipe in (os1.stdout, os1.stderr):
            if pipe is not None:
                pipe.close()
    assert os1.returncode == 0, errors
    messages = stored_messages(home)
    first_reply = next(m for m in messages if m[0] == "assistant")
    assert first_reply[2] == "interrupted"
    assert first_reply[1] and len(first_reply[1]) < len(LONG_REPLY)
    assert LONG_REPLY.startswith(first_reply[1].rstrip("…").rsplit(" ", 1)[0])


SHORT_REPLY = "That is lovely to hear. I hope the rest of your evening is just as calm."


@pytest.fixture
def echo(pulse: dict[str, str]) -> Iterator[None]:
    """OS1's speaker leaks back into its microphone, quieter than the user, as a laptop's
    speaker does into its microphone when nothing cancels the echo."""
    env = {**os.environ, **pulse}
    module = subprocess.run(
        ["pactl", "load-module", "module-loopback", "source=speaker.monitor", "sink=micsrc",
         "latency_msec=60", "source_dont_move=true", "sink_dont_move=true"],
        env=env, check=True, capture_output=True, text=True, timeout=10,
    ).stdout.strip()  # fmt: skip
    # The loopback's stream into the microphone sink, well below the user's voice (50% is
    # -18 dB on PulseAudio's cubic scale): at equal loudness nobody could tell them apart.
    inputs = subprocess.run(
        ["pactl", "list", "short", "sink-inputs"], env=env, check=True, capture_output=True,
        text=True, timeout=10,
    ).stdout.splitlines()  # fmt: skip
    for line in inputs:  # index, sink, client, driver, format
        fields = line.split("\t")
        if len(fields) > 3 and fields[3] == "module-loopback.c":
            subprocess.run(["pactl", "set-sink-input-volume", fields[0], "50%"], env=env,
                           check=True, timeout=10)  # fmt: skip
    yield
    subprocess.run(["pactl", "unload-module", module], env=env, check=False, timeout=10)


def test_live_voice_ignores_its_own_voice_coming_back_but_not_the_user_talking_over_it(
    pulse: dict[str, str], echo: None, home: Path, tmp_path: Path, piper
) -> None:  # type: ignore[no-untyped-def]
    first = say(piper, "I finished the long letter to my sister last night.", tmp_path / "q.wav")
    second = say(piper, "Tell me what you think of letters.", tmp_path / "q2.wav")
    barge = say(piper, "Sorry to interrupt you there.", tmp_path / "b.wav")
    script = tmp_path / "model.json"
    script.write_text(
        json.dumps({"replies": [SHORT_REPLY, LONG_REPLY, "Of course, go on."], "delay": 0.05})
    )
    env = process_env(f"scripted:{script}", **pulse)
    os1 = subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "voice"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    speaker = Speaker(env)
    seen: list[str] = []
    try:
        lines = lines_of(os1)
        wait_for(lines, "Listening", 90, seen)
        subprocess.run(["paplay", "--device=micsrc", str(first)], env=env, check=True)
        wait_for(lines, "sister", 30, seen)
        wait_for(lines, ": …", 30, seen)
        # The whole reply comes back through the microphone: it is spoken to its end (with
        # the tail in which its echo may still arrive), and nothing of it becomes a turn.
        time.sleep(7.0)
        assert speaker.loud_between(speaker.now() - 7.0, speaker.now() - 4.0) > 0.3
        # The next question is answered; talking over that reply still stops it.
        subprocess.run(["paplay", "--device=micsrc", str(second)], env=env, check=True)
        wait_for(lines, "letters", 30, seen)
        wait_for(lines, ": …", 30, seen)
        time.sleep(2.5)  # two seconds of reply, and of its echo, before the user cuts in
        talker = subprocess.Popen(["paplay", "--device=micsrc", str(barge)], env=env)
        wait_for(lines, "(interrupted)", 15, seen)
        talker.wait(timeout=15)
        said = wait_for(lines, "you:", 30, seen)
        wait_for(lines, "OS1:", 30, seen)  # the words are stored before the reply begins
    finally:
        os1.send_signal(signal.SIGINT)
        try:
            os1.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os1.kill()
            os1.wait(timeout=30)
        speaker.close()
        errors = os1.stderr.read() if os1.stderr else ""
        for pipe in (os1.stdout, os1.stderr):
            if pipe is not None:
                pipe.close()
    assert os1.returncode == 0, errors
    # One interruption only: the user's, not the echo's.
    assert sum("(interrupted)" in line for line in seen) == 1, seen
    # Whisper hears both voices at once: the turn holds the user's words, though echo it
    # misheard may survive at its start ("let us take such sorry to interrupt you there",
    # from "Letters take such care…": too garbled for the echo match to strip).
    words = re.findall(r"[a-z']+", said.lower().removeprefix("you:"))
    assert {"sorry", "interrupt"} <= set(words), seen
    messages = stored_messages(home)
    users = [m[1] for m in messages if m[0] == "user"]
    replies = [(m[1], m[2]) for m in messages if m[0] == "assistant"]
    assert len(users) == 3, users  # the two questions and the barge-in, no echo
    assert replies[0] == (SHORT_REPLY, "complete")
    assert replies[1][1] == "interrupted"
    # Two seconds of echo did not cut the second reply short: its first sentence was heard.
    assert replies[1][0].startswith("That is wonderful news.") and len(replies[1][0]) > 30
