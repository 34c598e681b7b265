"""Embeddings from an OpenAI-compatible `/embeddings` endpoint: vLLM, TEI, Ollama, OpenAI.

`embedder = "openai"` moves inference out of the web workers onto a server that batches it
(on a GPU, for many workers at once). Texts go in batches of `embedder_batch_size`; a busy
server (429, 5xx) or a refused connection is retried with backoff; a server that is down, too
slow or answers nonsense becomes one clear os1 error. The dimension is whatever the server's
model gives, learned from its first answer (memory keeps one vector table per dimension).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from os1.errors import ConfigError, ModelError
from os1.memory.embedders import Embedder, _normalise, spread_of_model

if TYPE_CHECKING:
    from os1.config import Settings

# Statuses that mean "busy or briefly broken, ask again": rate limits and gateway errors.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_BACKOFF = 8.0  # seconds; a longer Retry-After is cut to this too
# Asked once when something needs the dimension before any text was embedded.
_PROBE = "dimension"


class EmbedderError(ModelError):
    """The embedding server could not embed the texts."""

    code = "embedder_error"
    default_hint = (
        "Check the embedding server's log, `os1 config get embedder_url` and embedder_model."
    )


class EmbedderUnreachable(EmbedderError):
    code = "embedder_unreachable"
    default_hint = (
        "Is the embedding server running? Check `os1 config get embedder_url` "
        "(unset: openai_base_url)."
    )


class EmbedderTimeout(EmbedderError):
    code = "embedder_timeout"
    default_hint = "The embedding server was too slow; raise `os1 config set embedder_timeout 60`."


class EmbedderDimensionChanged(EmbedderError):
    code = "embedder_dimension_changed"
    default_hint = (
        "The model behind embedder_url changed; restart OS1 so it learns the new dimension."
    )


@dataclass(frozen=True)
class OpenAIEmbedderOptions:
    """What the embedder is built from; hashable, so one instance serves each configuration."""

    url: str
    model: str
    api_key: str | None = None
    batch_size: int = 32
    timeout: float = 30.0
    connect_timeout: float = 5.0
    retries: int = 3

    def __repr__(self) -> str:  # the key never reaches a log or a traceback
        key = "********" if self.api_key else None
        return f"OpenAIEmbedderOptions(url={self.url!r}, model={self.model!r}, api_key={key})"

    @classmethod
    def from_settings(cls, settings: Settings | None) -> OpenAIEmbedderOptions:
        if settings is None:
            from os1.config import load_settings, resolve_home

            settings = load_settings(resolve_home())
        if not settings.embedder_model:
            raise ConfigError(
                "embedder = openai needs the name of the embedding model",
                hint="For example `os1 config set embedder_model nomic-embed-text` "
                "(the name your vLLM, TEI or Ollama server serves).",
            )
        # The chat server's key goes only to the chat server: with an embedder_url of its
        # own, the embedding server gets embedder_api_key or nothing.
        key = settings.embedder_api_key
        if key is None and settings.embedder_url is None:
            key = settings.openai_api_key
        return cls(
            url=settings.embedder_url or settings.openai_base_url,
            model=settings.embedder_model,
            api_key=key.get_secret_value() if key is not None else None,
            batch_size=settings.embedder_batch_size,
            timeout=settings.embedder_timeout,
            connect_timeout=settings.connect_timeout,
            retries=settings.embedder_retries,
        )


class OpenAIEmbedder(Embedder):
    """Embeds through `POST {url}/embeddings`; thread-safe, its connections pooled."""

    name = "openai"

    def __init__(
        self,
        options: OpenAIEmbedderOptions,
        *,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.cosine_spread = spread_of_model(options.model)
        self.url = options.url.rstrip("/")
        self.backoff = backoff
        self._dim: int | None = None
        self._dim_lock = threading.Lock()
        self._headers = {"Authorization": f"Bearer {options.api_key}"} if options.api_key else {}
        self._timeout = httpx.Timeout(options.timeout, connect=options.connect_timeout)
        # httpx.Client is thread-safe: recall's and consolidation's worker threads share it.
        self._client = httpx.Client(
            base_url=self.url, headers=self._headers, timeout=self._timeout, transport=transport
        )
        self._async_transport = async_transport

    @property
    def model_id(self) -> str:
        # The served model, not just "openai": a server that now serves another model has
        # made vectors that cannot be compared with the stored ones.
        return f"{self.name}:{self.options.model}"

    @classmethod
    def settings_key(cls, settings: Settings | None) -> Hashable:
        return OpenAIEmbedderOptions.from_settings(settings)

    @classmethod
    def from_settings(cls, settings: Settings | None) -> OpenAIEmbedder:
        return cls(OpenAIEmbedderOptions.from_settings(settings))

    def __repr__(self) -> str:
        return f"OpenAIEmbedder({self.url!r}, model={self.options.model!r})"

    @property
    def dim(self) -> int:  # type: ignore[override]  # learned, not declared
        if self._dim is None:
            self.embed([_PROBE])
        assert self._dim is not None  # embed() learnt it or raised
        return self._dim

    # -- sync -------------------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        batches = [self._parse(chunk, self._post(chunk)) for chunk in self._chunks(texts)]
        return self._joined(batches)

    def _post(self, chunk: list[str]) -> Any:
        for attempt in range(self.options.retries + 1):
            try:
                response = self._client.post("/embeddings", json=self._body(chunk))
            except httpx.HTTPError as exc:
                self._give_up_unless_retryable(exc, attempt)
                time.sleep(self._delay(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.options.retries:
                time.sleep(self._delay(attempt, response))
                continue
            return self._json(response)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    # -- async ------------------------------------------------------------------------------

    async def aembed(self, texts: Sequence[str]) -> np.ndarray:
        # A client per call: an httpx.AsyncClient belongs to one event loop, and OS1 may
        # embed from several. On loopback or a LAN the new connection costs well under a ms.
        async with httpx.AsyncClient(
            base_url=self.url,
            headers=self._headers,
            timeout=self._timeout,
            transport=self._async_transport,
        ) as client:
            batches = [
                self._parse(chunk, await self._apost(client, chunk))
                for chunk in self._chunks(texts)
            ]
        return self._joined(batches)

    async def _apost(self, client: httpx.AsyncClient, chunk: list[str]) -> Any:
        for attempt in range(self.options.retries + 1):
            try:
                response = await client.post("/embeddings", json=self._body(chunk))
            except httpx.HTTPError as exc:
                self._give_up_unless_retryable(exc, attempt)
                await asyncio.sleep(self._delay(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.options.retries:
                await asyncio.sleep(self._delay(attempt, response))
                continue
            return self._json(response)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._client.close()

    # -- shared by both ---------------------------------------------------------------------

    def _chunks(self, texts: Sequence[str]) -> list[list[str]]:
        # Some servers (TEI) refuse an empty input; a space embeds as "nothing said".
        cleaned = [t or " " for t in texts]
        size = self.options.batch_size
        return [cleaned[i : i + size] for i in range(0, len(cleaned), size)]

    def _body(self, chunk: list[str]) -> dict[str, Any]:
        # encoding_format is left to its default (float): Ollama's endpoint knows no other.
        return {"model": self.options.model, "input": chunk}

    def _give_up_unless_retryable(self, exc: httpx.HTTPError, attempt: int) -> None:
        """Raise the error a user can act on, unless `exc` is worth another attempt."""
        # A refused or dropped connection is often a server restarting: ask again. A read
        # timeout is not retried: the server got the texts and a second wait only doubles it.
        retryable = isinstance(
            exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.RemoteProtocolError
        )
        if retryable and attempt < self.options.retries:
            return
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            raise EmbedderUnreachable(
                f"cannot connect to the embedding server at {self.url}"
            ) from None
        if isinstance(exc, httpx.TimeoutException):
            raise EmbedderTimeout(
                f"the embedding server at {self.url} did not answer in {self.options.timeout:g} s"
            ) from None
        raise EmbedderUnreachable(f"request to the embedding server at {self.url} failed: {exc}")

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Exponential backoff with jitter (workers that failed together retry apart); a
        server's Retry-After wins when it asks for longer."""
        delay = self.backoff * 2**attempt * random.uniform(0.75, 1.25)
        if response is not None:
            try:
                delay = max(delay, float(response.headers.get("retry-after", 0)))
            except ValueError:
                pass  # an HTTP date: the backoff will do
        return min(delay, MAX_BACKOFF)

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            detail = response.text[:300]
            status = response.status_code
            if status == 404:
                raise EmbedderError(
                    f"{self.url}/embeddings answered 404 for model {self.options.model!r}: "
                    f"{detail}",
                    hint="Is embedder_model a model the server serves, and does embedder_url "
                    "end in /v1?",
                )
            if status in (401, 403):
                raise EmbedderError(
                    f"the embedding server at {self.url} refused the key ({status})",
                    hint="Set `os1 config set embedder_api_key ...`.",
                )
            raise EmbedderError(f"the embedding server at {self.url} answered {status}: {detail}")
        try:
            return response.json()
        except ValueError:
            raise EmbedderError(f"the embedding server at {self.url} sent no JSON") from None

    def _parse(self, chunk: list[str], payload: Any) -> np.ndarray:
        """The batch's vectors in input order, checked and of unit length."""
        try:
            rows = sorted(payload["data"], key=lambda row: row.get("index", 0))
            vectors = [row["embedding"] for row in rows]
        except (KeyError, TypeError, AttributeError):
            raise EmbedderError(
                f"the embedding server at {self.url} sent an answer without embeddings"
            ) from None
        if len(vectors) != len(chunk):
            raise EmbedderError(
                f"the embedding server at {self.url} sent {len(vectors)} embeddings "
                f"for {len(chunk)} texts"
            )
        sizes = {len(v) if isinstance(v, list) else -1 for v in vectors}
        if len(sizes) != 1 or min(sizes) < 1:
            raise EmbedderError(
                f"the embedding server at {self.url} sent embeddings of mixed or no size "
                "(base64? OS1 asks for floats)"
            )
        self._check_dim(sizes.pop())
        try:
            array = np.asarray(vectors, dtype=np.float32)
        except (TypeError, ValueError):
            raise EmbedderError(f"the embedding server at {self.url} sent non-numbers") from None
        if not np.isfinite(array).all():
            raise EmbedderError(f"the embedding server at {self.url} sent NaN or infinity")
        # OpenAI's are unit length already; TEI's and Ollama's need not be.
        return _normalise(array)

    def _check_dim(self, dim: int) -> None:
        with self._dim_lock:
            if self._dim is None:
                self._dim = dim
            elif dim != self._dim:
                raise EmbedderDimensionChanged(
                    f"the embedding server at {self.url} sent {dim}-dimensional vectors, "
                    f"{self._dim}-dimensional before"
                )

    def _joined(self, batches: list[np.ndarray]) -> np.ndarray:
        if not batches:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        return np.concatenate(batches) if len(batches) > 1 else batches[0]
