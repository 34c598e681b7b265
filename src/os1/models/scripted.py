"""A scripted model: deterministic replies for tests and demos, selected like any other backend.

`scripted:echo` repeats the user; `scripted:slow` does it slowly (for cancellation and crash
tests); `scripted:/path/to/script.json` plays {"replies": [...], "delay": seconds,
"fail_with": "unreachable" | "timeout" | "stream"} in order.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import AsyncGenerator, Callable, Sequence
from pathlib import Path
from typing import Any

from os1.errors import (
    ConfigError,
    ModelError,
    ModelNotFound,
    ModelStreamError,
    ModelTimeout,
    ModelUnreachable,
)
from os1.models.base import Backend, ChatModel, Message, ModelInfo

Reply = str | Callable[[Sequence[Message]], str]

# Prompts kept in `calls`: tests read the first few and the last; a server that shares one
# scripted model among all its users (benchmarks, demos) must not keep every prompt forever.
KEEP_CALLS = 100

_FAILURES: dict[str, type[ModelError]] = {
    "unreachable": ModelUnreachable,
    "timeout": ModelTimeout,
    "stream": ModelStreamError,
}


def _echo(messages: Sequence[Message]) -> str:
    last = next((m.content for m in reversed(messages) if m.role == "user"), "")
    return f"You said: {last}"


class ScriptedModel(ChatModel):
    backend = "scripted"

    def __init__(
        self,
        name: str = "echo",
        replies: Sequence[Reply] | None = None,
        *,
        delay: float = 0.0,
        fail_with: str | None = None,
        context_window: int = 4096,
    ) -> None:
        self.name = name
        self._replies: list[Reply] = list(replies) if replies else [_echo]
        self.delay = delay
        self.fail_with = fail_with
        self.context_window = context_window
        self.calls: list[list[Message]] = []  # what the last KEEP_CALLS calls received
        self.count = 0  # calls so far (the script's position)

    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / 4) if text else 0

    def _next_reply(self, messages: Sequence[Message]) -> str:
        reply = self._replies[min(self.count - 1, len(self._replies) - 1)]
        return reply(messages) if callable(reply) else reply

    async def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> AsyncGenerator[str, None]:
        self.count += 1
        self.calls.append(list(messages))
        if len(self.calls) > KEEP_CALLS:
            del self.calls[0]
        if self.fail_with in ("unreachable", "timeout"):
            raise _FAILURES[self.fail_with](f"scripted failure: {self.fail_with}")
        pieces = re.findall(r"\S+\s*|\s+", self._next_reply(messages))[:max_tokens]
        for i, piece in enumerate(pieces):
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.fail_with == "stream" and i == len(pieces) // 2:
                raise ModelStreamError("scripted failure: broken stream")
            yield piece


class ScriptedBackend(Backend):
    name = "scripted"
    description = "Deterministic scripted replies (tests, demos)"

    def list_models(self) -> list[ModelInfo]:
        return [
            ModelInfo("scripted", "echo", "Repeats what you say"),
            ModelInfo("scripted", "slow", "Repeats what you say, slowly"),
            ModelInfo("scripted", "<script.json>", "Plays replies from a JSON script"),
        ]

    def model(self, name: str) -> ChatModel:
        if name == "echo":
            return ScriptedModel("echo")
        if name == "slow":
            return ScriptedModel("slow", delay=0.25)
        path = Path(name).expanduser()
        if not path.is_file():
            raise ModelNotFound(f"no scripted model or script file {name!r}")
        try:
            script: Any = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(script, list):
                script = {"replies": script}
            replies = [str(r) for r in script.get("replies", [])] or None
            fail_with = script.get("fail_with")
            if fail_with is not None and fail_with not in _FAILURES:
                raise ValueError(f"fail_with must be one of {sorted(_FAILURES)}")
            return ScriptedModel(
                str(path), replies, delay=float(script.get("delay", 0.0)), fail_with=fail_with
            )
        except (ValueError, AttributeError, TypeError) as exc:
            raise ConfigError(f"bad script file {path}: {exc}") from None
