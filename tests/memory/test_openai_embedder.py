"""The `openai` embedder against a real HTTP server on loopback: an OpenAI-compatible
`/v1/embeddings` as vLLM, TEI and Ollama serve it, and the ways such a server fails."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from typing import Any

import numpy as np
import pytest

from os1.config import Settings
from os1.errors import ConfigError, OS1Error
from os1.events import MemoryRecalled, TurnDone
from os1.memory import LongTermMemory
from os1.memory.embedders import (
    ENTRY_POINT_GROUP,
    BgeSmallEmbedder,
    HashingEmbedder,
    MiniLMEmbedder,
    get_embedder,
)
from os1.memory.openai_embedder import (
    EmbedderDimensionChanged,
    EmbedderError,
    EmbedderTimeout,
    EmbedderUnreachable,
    OpenAIEmbedder,
    OpenAIEmbedderOptions,
)
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.storage import SQLiteStore
from tests.conftest import collect

MODEL = "nomic-embed-text"


class Hashing(HashingEmbedder):
    """The server's model: word-overlap vectors of any size, so recall works through it."""

    def __init__(self, dim: int) -> None:
        self.dim = dim


@dataclass
class EmbeddingServer:
    """What the loopback server does next, and what it was asked."""

    url: str = ""
    dim: int = 256
    fail_with: list[int] = field(default_factory=list)  # statuses to answer first, in order
    retry_after: str | None = None
    delay: float = 0.0
    drop_last_row: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def vectors(self, texts: list[str]) -> np.ndarray:
        vectors = Hashing(self.dim).embed(texts)
        vectors[~vectors.any(axis=1), 0] = 1.0  # a text without words still gets a vector
        # Not unit length on purpose (TEI and Ollama need not send unit vectors).
        return 3.0 * vectors


def _handler(server: EmbeddingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.requests.append(body)
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            if server.delay:
                server.released.wait(server.delay)
            if self.path != "/v1/embeddings":
                return self._send(404, {"error": "no such route"})
            if server.fail_with:
                status = server.fail_with.pop(0)
                extra = {"Retry-After": server.retry_after} if server.retry_after else {}
                return self._send(status, {"error": "busy"}, extra)
            if body.get("model") != MODEL:
                return self._send(404, {"error": f"model {body.get('model')!r} not found"})
            texts = body["input"]
            rows = [
                {"object": "embedding", "index": i, "embedding": v.tolist()}
                for i, v in enumerate(server.vectors(texts))
            ]
            rows.reverse()  # servers may answer out of order; `index` says which is which
            if server.drop_last_row:
                rows = rows[1:]
            self._send(200, {"object": "list", "data": rows, "model": MODEL})

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the slow-server test)

    return Handler


@pytest.fixture
def server() -> Iterator[EmbeddingServer]:
    state = EmbeddingServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.released.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def down_url() -> str:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def embedder_for(url: str, **options: Any) -> Iterator[OpenAIEmbedder]:
    embedder = OpenAIEmbedder(
        OpenAIEmbedderOptions(url=url, model=options.pop("model", MODEL), **options),
        backoff=0.01,
    )
    yield embedder
    embedder.close()


@pytest.fixture
def embedder(server: EmbeddingServer) -> Iterator[OpenAIEmbedder]:
    yield from embedder_for(server.url, api_key="sk-test")


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


TEXTS = ["I adopted a puppy called Biscuit", "", "my sister Anna lives in Lyon", "ok"]


# -- what it returns -----------------------------------------------------------------------


def test_texts_become_the_servers_vectors_in_order_and_of_unit_length(
    server: EmbeddingServer, embedder: OpenAIEmbedder
) -> None:
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (4, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The empty text went as a space: some servers refuse empty input.
    assert server.requests == [{"model": MODEL, "input": [t or " " for t in TEXTS]}]
    assert np.allclose(vectors, unit(server.vectors([t or " " for t in TEXTS])), atol=1e-6)
    assert server.headers[0]["authorization"] == "Bearer sk-test"


def test_many_texts_go_in_batches_of_the_configured_size(server: EmbeddingServer) -> None:
    texts = [f"memory number {i}" for i in range(70)]
    for embedder in embedder_for(server.url, batch_size=32):
        vectors = embedder.embed(texts)
    assert [len(r["input"]) for r in server.requests] == [32, 32, 6]
    assert np.allclose(vectors, unit(server.vectors(texts)), atol=1e-6)


def test_the_dimension_is_learned_from_the_servers_first_answer(
    server: EmbeddingServer,
) -> None:
    server.dim = 768
    for embedder in embedder_for(server.url):
        assert embedder.dim == 768  # asked once, for this
        assert embedder.embed_one("hello").shape == (768,)
        assert embedder.dim == 768
    assert len(server.requests) == 2


async def test_the_async_entry_point_gives_the_same_vectors_without_blocking_the_loop(
    server: EmbeddingServer, embedder: OpenAIEmbedder
) -> None:
    server.delay = 0.2
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(ticker())
    vectors = await embedder.aembed(TEXTS)
    beat.cancel()
    assert ticks >= 5  # the loop kept running while the server thought
    server.delay = 0
    assert np.allclose(vectors, embedder.embed(TEXTS))
    assert (await embedder.aembed_one("ok")).shape == (256,)


# -- how it fails --------------------------------------------------------------------------


def test_a_busy_server_is_asked_again_after_a_500_and_a_429(
    server: EmbeddingServer, embedder: OpenAIEmbedder
) -> None:
    server.fail_with = [500, 429]
    vectors = embedder.embed(["hello"])
    assert vectors.shape == (1, 256)
    assert len(server.requests) == 3


async def test_the_async_path_retries_a_503_too(
    server: EmbeddingServer, embedder: OpenAIEmbedder
) -> None:
    server.fail_with = [503]
    assert (await embedder.aembed(["hello"])).shape == (1, 256)
    assert len(server.requests) == 2


def test_retry_after_is_honoured_when_a_rate_limited_server_asks_for_it(
    server: EmbeddingServer, embedder: OpenAIEmbedder
) -> None:
    server.fail_with, server.retry_after = [429], "0.3"
    started = time.monotonic()
    embedder.embed(["hello"])
    assert time.monotonic() - started >= 0.3


def test_a_server_that_stays_broken_is_one_clear_error_after_the_retries(
    server: EmbeddingServer,
) -> None:
    server.fail_with = [503] * 10
    for embedder in embedder_for(server.url, retries=2):
        with pytest.raises(EmbedderError, match="answered 503"):
            embedder.embed(["hello"])
    assert len(server.requests) == 3


def test_an_unknown_model_is_not_retried_and_names_the_model(server: EmbeddingServer) -> None:
    for embedder in embedder_for(server.url, model="no-such-model"):
        with pytest.raises(EmbedderError, match="no-such-model") as caught:
            embedder.embed(["hello"])
    assert "embedder_model" in caught.value.hint
    assert len(server.requests) == 1


def test_a_server_that_is_down_is_reported_as_unreachable(down_url: str) -> None:
    for embedder in embedder_for(down_url, retries=1):
        with pytest.raises(EmbedderUnreachable) as caught:
            embedder.embed(["hello"])
    assert isinstance(caught.value, OS1Error)  # the CLI prints one line and the hint
    assert down_url in caught.value.message
    assert "embedder_url" in caught.value.hint


async def test_a_server_that_is_down_is_unreachable_from_the_async_path_too(
    down_url: str,
) -> None:
    for embedder in embedder_for(down_url, retries=0):
        with pytest.raises(EmbedderUnreachable):
            await embedder.aembed(["hello"])


def test_a_slow_server_times_out_with_a_clear_error_and_is_not_asked_twice(
    server: EmbeddingServer,
) -> None:
    server.delay = 5.0
    for embedder in embedder_for(server.url, timeout=0.3, retries=3):
        started = time.monotonic()
        with pytest.raises(EmbedderTimeout, match="did not answer in 0.3 s"):
            embedder.embed(["hello"])
    assert time.monotonic() - started < 2.0
    assert len(server.requests) == 1


def test_a_server_whose_dimension_changes_is_refused(
    server: EmbeddingServer, embedder: OpenAIEmbedder
) -> None:
    embedder.embed(["hello"])
    server.dim = 128  # another model now answers behind the same URL
    with pytest.raises(EmbedderDimensionChanged, match="128-dimensional vectors, 256"):
        embedder.embed(["hello again"])


def test_an_answer_with_fewer_embeddings_than_texts_is_refused(
    server: EmbeddingServer, embedder: OpenAIEmbedder
) -> None:
    server.drop_last_row = True
    with pytest.raises(EmbedderError, match="sent 1 embeddings for 2 texts"):
        embedder.embed(["one", "two"])


# -- settings ------------------------------------------------------------------------------


def test_without_its_own_url_it_uses_the_chat_server_and_its_key(
    server: EmbeddingServer,
) -> None:
    settings = Settings(
        embedder="openai",
        embedder_model=MODEL,
        openai_base_url=server.url,
        openai_api_key="sk-chat",  # type: ignore[arg-type]
    )
    embedder = OpenAIEmbedder.from_settings(settings)
    embedder.embed(["hello"])
    embedder.close()
    assert server.headers[0]["authorization"] == "Bearer sk-chat"


def test_the_chat_key_is_never_sent_to_a_separate_embedding_server(
    server: EmbeddingServer,
) -> None:
    settings = Settings(
        embedder="openai",
        embedder_model=MODEL,
        embedder_url=server.url,
        openai_api_key="sk-chat",  # type: ignore[arg-type]
    )
    embedder = OpenAIEmbedder.from_settings(settings)
    embedder.embed(["hello"])
    embedder.close()
    assert "authorization" not in server.headers[0]


def test_the_embedding_key_is_masked_wherever_it_is_shown() -> None:
    settings = Settings(embedder_model=MODEL, embedder_api_key="sk-secret")  # type: ignore[arg-type]
    options = OpenAIEmbedderOptions.from_settings(settings)
    embedder = OpenAIEmbedder(options)
    shown = [repr(settings), str(settings.public_dict()), repr(options), repr(embedder)]
    embedder.close()
    assert options.api_key == "sk-secret"
    assert not any("sk-secret" in text for text in shown)


def test_without_settings_handed_in_it_reads_the_os1_environment(
    server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OS1_EMBEDDER_URL", server.url)
    monkeypatch.setenv("OS1_EMBEDDER_MODEL", MODEL)
    monkeypatch.setenv("OS1_EMBEDDER_BATCH_SIZE", "2")
    embedder = OpenAIEmbedder.from_settings(None)
    embedder.embed(["one", "two", "three"])
    embedder.close()
    assert [len(r["input"]) for r in server.requests] == [2, 1]


def test_choosing_openai_without_a_model_says_which_setting_is_missing() -> None:
    with pytest.raises(ConfigError, match="embedding model") as caught:
        OpenAIEmbedder.from_settings(Settings(embedder="openai"))
    assert "embedder_model" in caught.value.hint


@pytest.mark.skipif(
    "openai" not in {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)},
    reason="the os1.embedders entry point `openai` is not installed (pip install -e .)",
)
def test_the_embedder_setting_selects_it_by_name_one_instance_per_configuration(
    server: EmbeddingServer,
) -> None:
    settings = Settings(embedder="openai", embedder_model=MODEL, embedder_url=server.url)
    embedder = get_embedder(settings.embedder, settings)
    assert isinstance(embedder, OpenAIEmbedder)
    assert get_embedder("openai", settings.model_copy()) is embedder
    other = settings.model_copy(update={"embedder_batch_size": 8})
    assert get_embedder("openai", other) is not embedder
    assert embedder.embed(["hello"]).shape == (1, 256)


# -- through memory ------------------------------------------------------------------------


async def remembered(store: SQLiteStore, embedder: OpenAIEmbedder) -> Companion:
    """A companion whose memory embeds through `embedder`, after two turns consolidated."""
    memory = LongTermMemory(store, embedder)
    companion = Companion(
        store,
        ScriptedModel(replies=["Mm, tell me more."]),
        Settings(model="scripted:echo"),
        memory=memory,
    )
    for text in ["I adopted a puppy called Biscuit", "My sister Anna lives in Lyon"]:
        await collect(companion.turn(text))
    assert await memory.aconsolidate() > 0
    return companion


async def test_memory_remembers_and_recalls_turns_with_vectors_from_the_server(
    server: EmbeddingServer, embedder: OpenAIEmbedder, store: SQLiteStore
) -> None:
    companion = await remembered(store, embedder)
    assert companion.memory is not None
    stored = store.query("SELECT DISTINCT model, length(vector) FROM memory_embeddings")
    assert [tuple(r) for r in stored] == [(f"openai:{MODEL}", 4 * 256)]  # the server's dimension
    hits = companion.memory.recall.search("what is my puppy called?", k=3)
    assert "Biscuit" in hits[0].memory.text
    # A new conversation, so the turn is not in the visible history and must be recalled.
    events = await collect(companion.turn("what is my puppy called?", new=True))
    recalled = [e for e in events if isinstance(e, MemoryRecalled)]
    assert recalled and "Biscuit" in str(recalled[0].memories[0]["text"])


async def test_when_the_embedding_server_goes_down_recall_falls_back_to_words(
    server: EmbeddingServer, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that is down costs the vectors, never the turn: what was said is still found
    by its words, and the outage is logged once, not on every search."""
    for embedder in embedder_for(server.url, retries=0):
        companion = await remembered(store, embedder)
        assert companion.memory is not None
        server.fail_with = [503] * 10
        with caplog.at_level("WARNING", logger="os1.memory.recall"):
            hits = companion.memory.recall.search("what is my puppy called?", k=3)
            events = await collect(companion.turn("what is my puppy called?", new=True))
    assert "Biscuit" in hits[0].memory.text
    assert isinstance(events[-1], TurnDone)
    recalled = [e for e in events if isinstance(e, MemoryRecalled)]
    assert recalled and "Biscuit" in str(recalled[0].memories[0]["text"])
    assert sum("falls back to words" in r.getMessage() for r in caplog.records) == 1


def test_vectors_are_recorded_as_the_served_models_and_a_bundled_ones_scale_is_known() -> None:
    def made(model: str) -> OpenAIEmbedder:
        return OpenAIEmbedder(OpenAIEmbedderOptions(url="http://127.0.0.1:9", model=model))

    bge = made("BAAI/bge-small-en")
    # Another served model makes other vectors: the memories would be embedded again.
    assert bge.model_id == "openai:BAAI/bge-small-en" != made("nomic-embed-text").model_id
    assert bge.cosine_spread == BgeSmallEmbedder.cosine_spread
    assert made("all-minilm:latest").cosine_spread == MiniLMEmbedder.cosine_spread
    assert made("bge-small-en-v1.5").cosine_spread is None  # another model, another spread
