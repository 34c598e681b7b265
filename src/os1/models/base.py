"""The one small interface every model backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from os1.config import Settings

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message in the wire-neutral form every backend accepts."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ModelInfo:
    backend: str
    name: str
    description: str = ""
    available: bool = True
    detail: str = ""

    @property
    def spec(self) -> str:
        return f"{self.backend}:{self.name}"


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """A tool call the model asked for; `error` says why its arguments were unusable."""

    id: str
    name: str
    arguments: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ToolStep:
    """One answer of a model offered tools: text, tool calls, or both."""

    text: str
    calls: list[ToolRequest]


class ChatModel(ABC):
    """A loaded chat model that streams text for a list of messages."""

    backend: ClassVar[str]
    name: str
    context_window: int
    # Whether `complete_with_tools` works (the OpenAI tools API, llama.cpp function calling).
    supports_tools: ClassVar[bool] = False
    # Tokens a chat template adds around each message (role markers, separators).
    per_message_overhead: int = 4

    async def load(self) -> None:  # noqa: B027 — optional hook, most models need none
        """Make the model ready (may take seconds); calling it again is a no-op."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens this text takes in the model's context (exact or a safe estimate)."""

    def count_message_tokens(self, message: Message) -> int:
        return self.count_tokens(message.content) + self.per_message_overhead

    @abstractmethod
    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> AsyncGenerator[str, None]:
        """Yield the reply as text pieces. Raise a ModelError subclass on failure.

        Closing the iterator early (cancellation) must stop generation promptly.
        """

    async def complete_with_tools(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        *,
        max_tokens: int,
        temperature: float,
    ) -> ToolStep:
        """One non-streamed answer to wire-format messages, with `tools` on offer."""
        raise NotImplementedError(f"{self.backend} models cannot call tools")

    async def aclose(self) -> None:  # noqa: B027 — optional hook
        """Release resources."""


class Backend(ABC):
    """A family of models (a runtime or an API) registered under the `os1.backends` group."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def list_models(self) -> list[ModelInfo]:
        """What this backend can serve right now (may contact a server)."""

    @abstractmethod
    def model(self, name: str) -> ChatModel:
        """Create (not yet load) the named model; raise ModelNotFound if it does not exist."""
