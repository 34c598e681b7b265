"""`os1 serve`: the web app, a REST + WebSocket API, and an OpenAI-compatible /v1, for one
person on this machine or many with accounts."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # FastAPI loads only when serving: `os1 users …` and the rest of the CLI stay quick.
    if name == "create_app":
        from os1.server.app import create_app

        return create_app
    raise AttributeError(name)
