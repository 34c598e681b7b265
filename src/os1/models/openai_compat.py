"""Any OpenAI-compatible chat server: Ollama, vLLM, llama-server, LM Studio, OpenAI itself.

The wire format is OpenAI's; the provider is just a base URL and an optional key. Replies
stream over server-sent events; connection errors are retried, timeouts and broken streams
become clear errors.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import httpx

from os1.errors import ModelError, ModelNotFound, ModelStreamError, ModelTimeout, ModelUnreachable
from os1.models.base import Backend, ChatModel, Message, ModelInfo, ToolRequest, ToolStep


class OpenAIModel(ChatModel):
    backend = "openai"
    supports_tools = True

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        api_key: str | None,
        context_window: int,
        timeout: float,
        connect_timeout: float,
        retries: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.context_window = context_window
        self.retries = retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
        )

    def count_tokens(self, text: str) -> int:
        # The server's tokenizer is not known here; ~3.5 characters a token over-estimates for
        # English with common tokenizers, which keeps the prompt inside the window.
        return math.ceil(len(text) / 3.5) if text else 0

    async def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> AsyncGenerator[str, None]:
        body = {
            "model": self.name,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        async with await self._open_stream(body) as response:
            finished = False
            try:
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # SSE comments, event names, keep-alives
                    data = line[5:].strip()
                    if data == "[DONE]":
                        finished = True
                        break
                    text, done = _parse_chunk(data)
                    if text:
                        yield text
                    finished = finished or done
            except httpx.TimeoutException:
                raise ModelTimeout(f"{self.base_url} stopped sending mid-reply") from None
            except httpx.HTTPError as exc:
                raise ModelStreamError(f"the reply stream broke: {exc}") from None
            if not finished:
                raise ModelStreamError(f"{self.base_url} closed the stream before the reply ended")

    async def complete_with_tools(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        *,
        max_tokens: int,
        temperature: float,
    ) -> ToolStep:
        body: dict[str, Any] = {
            "model": self.name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": False,
        }
        if tools:
            body["tools"] = tools
            body["tool_choice"] = "auto"
        async with await self._open_stream(body) as response:
            try:
                raw = await response.aread()
            except httpx.TimeoutException:
                raise ModelTimeout(f"{self.base_url} stopped answering") from None
            except httpx.HTTPError as exc:
                raise ModelStreamError(f"the answer broke off: {exc}") from None
        return _parse_tool_step(raw)

    async def _open_stream(self, body: dict[str, Any]) -> Any:
        """POST and return the open response, retrying only failures to connect."""
        delay = 0.25
        for attempt in range(self.retries + 1):
            request = self._client.build_request("POST", "/chat/completions", json=body)
            try:
                response = await self._client.send(request, stream=True)
            except httpx.ConnectError:
                if attempt == self.retries:
                    raise ModelUnreachable(f"cannot connect to {self.base_url}") from None
                await asyncio.sleep(delay)
                delay *= 2
                continue
            except httpx.TimeoutException:
                raise ModelTimeout(f"{self.base_url} did not answer in time") from None
            except httpx.HTTPError as exc:
                raise ModelUnreachable(f"request to {self.base_url} failed: {exc}") from None
            if response.status_code >= 400:
                detail = (await response.aread())[:300].decode("utf-8", "replace")
                await response.aclose()
                if response.status_code == 404:
                    raise ModelNotFound(f"{self.base_url} has no model {self.name!r}: {detail}")
                raise ModelError(f"{self.base_url} answered {response.status_code}: {detail}")
            return _ClosingResponse(response)
        raise AssertionError("unreachable")  # the loop always returns or raises

    async def list_remote_models(self) -> list[str]:
        try:
            response = await self._client.get("/models")
            response.raise_for_status()
            return [str(m["id"]) for m in response.json().get("data", [])]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise ModelUnreachable(f"cannot list models at {self.base_url}: {exc}") from None

    async def aclose(self) -> None:
        await self._client.aclose()


class _ClosingResponse:
    """An async context manager that closes a streamed httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    async def __aenter__(self) -> httpx.Response:
        return self.response

    async def __aexit__(self, *exc: object) -> None:
        await self.response.aclose()


def _parse_chunk(data: str) -> tuple[str, bool]:
    try:
        chunk = json.loads(data)
        if "error" in chunk:
            raise ModelError(f"the model server reported: {chunk['error']}")
        choice = chunk["choices"][0] if chunk.get("choices") else {}
        text = (choice.get("delta") or {}).get("content") or ""
        return str(text), choice.get("finish_reason") is not None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise ModelStreamError(f"unreadable chunk in the reply stream: {data[:80]!r}") from None


def _parse_tool_step(raw: bytes) -> ToolStep:
    try:
        message = json.loads(raw)["choices"][0]["message"]
        text = str(message.get("content") or "")
        calls: list[ToolRequest] = []
        for index, call in enumerate(message.get("tool_calls") or []):
            function = call["function"]
            call_id = str(call.get("id") or f"call_{index}")
            try:
                arguments = json.loads(function.get("arguments") or "{}")
                if not isinstance(arguments, dict):
                    raise ValueError("arguments are not an object")
                calls.append(ToolRequest(call_id, str(function["name"]), arguments))
            except ValueError as exc:
                calls.append(ToolRequest(call_id, str(function["name"]), {}, f"bad JSON: {exc}"))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise ModelStreamError(f"unreadable answer from the model: {raw[:80]!r}") from None
    return ToolStep(text, calls)


class OpenAIBackend(Backend):
    name = "openai"
    description = "Any OpenAI-compatible server (Ollama, vLLM, llama-server, OpenAI)"

    def model(self, name: str) -> OpenAIModel:
        s = self.settings
        return OpenAIModel(
            name,
            base_url=s.openai_base_url,
            api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
            context_window=s.context_window,
            timeout=s.timeout,
            connect_timeout=s.connect_timeout,
            retries=s.retries,
        )

    def list_models(self) -> list[ModelInfo]:
        probe = self.model("")

        async def fetch() -> list[str]:
            try:
                return await probe.list_remote_models()
            finally:
                await probe.aclose()

        try:
            names = asyncio.run(fetch())
        except ModelError as exc:
            return [
                ModelInfo("openai", "<model>", self.settings.openai_base_url, False, exc.message)
            ]
        return [ModelInfo("openai", n, self.settings.openai_base_url) for n in names]
