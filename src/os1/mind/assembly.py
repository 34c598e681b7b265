"""The one place a user's companion is put together, for every interface: the CLI and voice
(`interfaces/app.py`) and the server's many users (`server/hub.py`) differ only in which
store, model and embedder they hand in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from os1.config import Settings
from os1.memory import LongTermMemory
from os1.memory.embedders import Embedder, get_embedder
from os1.mind.companion import Companion
from os1.models import create_model
from os1.models.base import ChatModel
from os1.skills import SkillContext, Skills
from os1.storage.base import Store


def memory_model_factory(settings: Settings) -> Callable[[], ChatModel] | None:
    """A model for consolidation to ask for facts and reflections, where one is capable."""
    capable = settings.memory_model == "on" or (
        settings.memory_model == "auto" and settings.model.startswith("openai:")
    )
    return (lambda: create_model(settings)) if capable else None


def open_memory(store: Store, settings: Settings, embedder: Embedder | str) -> LongTermMemory:
    """One user's long-term memory over their store (whether or not memory is switched on:
    the CLI's memory commands use it either way)."""
    if isinstance(embedder, str):
        # With these settings, not the home's: an embedding server's URL and key live there.
        embedder = get_embedder(embedder, settings)
    return LongTermMemory(
        store,
        embedder,
        model_factory=memory_model_factory(settings),
        reranker=settings.reranker,
    )


def skill_context(
    store: Store,
    settings: Settings,
    home: Path,
    model: ChatModel,
    memory: LongTermMemory | None,
) -> SkillContext:
    return SkillContext(store=store, settings=settings, home=home, memory=memory, model=model)


def build_companion(
    store: Store,
    model: ChatModel,
    settings: Settings,
    *,
    home: Path,
    memory: LongTermMemory | None,
    skills: Skills,
    consolidate_in_background: bool = False,
) -> Companion:
    """A user's companion with their skills; `memory` is None when memory is off."""
    return Companion(
        store,
        model,
        settings,
        memory=memory,
        consolidate_in_background=consolidate_in_background,
        skills=skills,
        skill_context=skill_context(store, settings, home, model, memory),
    )
