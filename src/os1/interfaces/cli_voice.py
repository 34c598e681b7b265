"""`os1 listen`, `os1 speak` and `os1 voice`: the companion out loud."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.markup import escape

from os1.errors import OS1Error
from os1.interfaces.app import App
from os1.mind.persona import Identity
from os1.voice import engines
from os1.voice.audio import STT_RATE, read_audio, write_wav
from os1.voice.pipeline import FRAME, spoken_turn

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class NoAudioDevice(OS1Error):
    exit_code = 8
    code = "no_audio_device"
    default_hint = "Use `os1 voice --input in.wav --output out.wav` to talk through files."


def _app(ctx: click.Context) -> App:
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    return app


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def listen(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Print the transcript of an audio file."""
    settings = _app(ctx).settings
    audio = read_audio(path)
    with err.status("Listening…"):
        transcript = engines.stt(settings.stt).transcribe(audio)
    if as_json:
        click.echo(json.dumps({"text": transcript.text, "seconds": round(transcript.seconds, 3)}))
    else:
        click.echo(transcript.text)


@click.command()
@click.argument("text")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def speak(ctx: click.Context, text: str, output: Path) -> None:
    """Write TEXT as speech to a WAV file, in the voice chosen at setup."""
    app = _app(ctx)
    if not text.strip():
        raise click.BadParameter("there is nothing to say")
    tts = engines.tts(app.settings.tts)
    style = Identity.load(app.store).voice
    pcm = np.concatenate(list(tts.synthesize(text, style=style, speed=app.settings.voice_speed)))
    write_wav(output, pcm, tts.sample_rate)
    err.print(f"wrote {len(pcm) / tts.sample_rate:.1f} s of speech to {output}")


@click.command()
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Take the spoken turn from this audio file instead of the microphone.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the spoken reply here instead of playing it.",
)
@click.option("--new", is_flag=True, help="Start a new conversation.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def voice(
    ctx: click.Context, input_path: Path | None, output_path: Path | None, new: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Talk out loud: through the microphone and speaker, or one turn between files."""
    app = _app(ctx)
    settings = app.settings
    if input_path is None:
        _live(app, new)
        return
    if output_path is None:
        raise click.UsageError("--input needs --output (where to write the spoken reply)")
    audio = read_audio(input_path)  # a broken file fails here, before anything is stored
    companion = app.companion()
    identity = Identity.load(app.store)
    conv = companion.conversation_for(None, new)
    turn = asyncio.run(
        spoken_turn(
            companion, audio, engines.stt(settings.stt), engines.tts(settings.tts),
            engines.vad(settings.vad), conversation_id=conv, style=identity.voice,
            speed=settings.voice_speed,
        )
    )  # fmt: skip
    write_wav(output_path, turn.pcm, turn.sample_rate)
    if as_json:
        click.echo(json.dumps({"transcript": turn.transcript, "reply": turn.reply,
                               "output": str(output_path), "timings": turn.timings}))  # fmt: skip
    else:
        out.print(f"[bold cyan]{escape(identity.user_name or 'you')}[/]: {escape(turn.transcript)}")
        out.print(f"[bold magenta]{escape(identity.companion_name)}[/]: {escape(turn.reply)}")
    if companion.memory is not None:
        companion.memory.consolidate()


def _live(app: App, new: bool) -> None:
    """Microphone in, speaker out, with barge-in; needs PortAudio and real devices."""
    try:
        import sounddevice as sd
    except (ImportError, OSError):
        raise NoAudioDevice(
            "live voice needs PortAudio (Debian: libportaudio2) and the sounddevice package"
        ) from None
    try:
        devices = sd.query_devices()
        has_in = any(d["max_input_channels"] > 0 for d in devices)
        has_out = any(d["max_output_channels"] > 0 for d in devices)
    except Exception:  # PortAudio reports missing hardware in many ways
        has_in = has_out = False
    if not (has_in and has_out):
        raise NoAudioDevice("this machine has no microphone or no speaker")
    from os1.voice.live import run_live

    run_live(app, sd, new=new, frame=FRAME, rate=STT_RATE)
