"""Model backends: one interface, every backend a plug-in (entry-point group `os1.backends`)."""

from __future__ import annotations

from importlib.metadata import entry_points

from os1.config import Settings
from os1.errors import ConfigError
from os1.models.base import Backend, ChatModel, Message, ModelInfo

__all__ = [
    "Backend",
    "ChatModel",
    "Message",
    "ModelInfo",
    "available_backends",
    "create_model",
    "parse_model_spec",
    "register_backend",
]

ENTRY_POINT_GROUP = "os1.backends"
_registered: dict[str, type[Backend]] = {}


def register_backend(backend: type[Backend]) -> type[Backend]:
    """Register a backend at run time (usable as a decorator); entry points do it at install."""
    _registered[backend.name] = backend
    return backend


def available_backends() -> dict[str, type[Backend]]:
    found: dict[str, type[Backend]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.load()
    found.update(_registered)
    return found


def parse_model_spec(spec: str) -> tuple[str, str]:
    backend, sep, name = spec.partition(":")
    if not sep or not backend or not name:
        raise ConfigError(
            f"model {spec!r} should look like BACKEND:MODEL",
            hint="For example llamacpp:smollm2-135m, openai:llama3.1 or scripted:echo.",
        )
    return backend, name


def create_model(settings: Settings) -> ChatModel:
    """The model named by the `model` setting, from whichever backend serves it."""
    backend_name, model_name = parse_model_spec(settings.model)
    backends = available_backends()
    if backend_name not in backends:
        raise ConfigError(
            f"unknown model backend {backend_name!r}",
            hint=f"Installed backends: {', '.join(sorted(backends))}.",
        )
    return backends[backend_name](settings).model(model_name)
