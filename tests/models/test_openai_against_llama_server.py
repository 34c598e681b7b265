"""The OpenAI-compatible backend against a real server: llama-cpp-python's own
OpenAI-compatible server on loopback, serving the bundled SmolLM2."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from os1.config import Settings
from os1.events import TurnDone
from os1.models import create_model
from os1.models.llamacpp import bundled_model_path
from os1.models.openai_compat import OpenAIBackend
from os1.storage import SQLiteStore
from tests.conftest import collect, make_companion
from tests.helpers import free_port

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = log_path.open("w")
    path = bundled_model_path("smollm2-135m")
    assert path is not None
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
        ],
        # A file, not a pipe: the server logs a lot, and a full pipe would stall it.
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError(f"llama_cpp.server did not start: {log_path.read_text()[-2000:]}")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_models_are_listed_from_the_server(llama_server: str) -> None:
    settings = Settings(model="openai:smollm2", openai_base_url=llama_server)
    assert "openai:smollm2" in [m.spec for m in OpenAIBackend(settings).list_models()]


async def test_a_turn_streams_from_a_real_openai_compatible_server(
    llama_server: str, store: SQLiteStore
) -> None:
    settings = Settings(
        model="openai:smollm2", openai_base_url=llama_server, max_reply_tokens=40, temperature=0
    )
    model = create_model(settings)
    companion = make_companion(store, model, settings)
    events = await collect(companion.turn("Hello! Who are you?"))
    done = events[-1]
    assert isinstance(done, TurnDone) and done.text.strip()
    assert [m.role for m in store.messages(done.conversation_id)] == ["user", "assistant"]
    await model.aclose()
