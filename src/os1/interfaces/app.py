"""What every interface needs to serve one user: home folder, settings, store and model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from os1.config import Settings, load_settings, resolve_home
from os1.memory import LongTermMemory
from os1.mind.companion import Companion
from os1.models import create_model
from os1.models.base import ChatModel
from os1.skills import SkillContext, Skills
from os1.storage import SQLiteStore, open_store


@dataclass
class App:
    home: Path
    _settings: Settings | None = field(default=None, repr=False)
    _store: SQLiteStore | None = field(default=None, repr=False)
    _model: ChatModel | None = field(default=None, repr=False)
    _memory: LongTermMemory | None = field(default=None, repr=False)
    _skills: Skills | None = field(default=None, repr=False)

    @classmethod
    def at(cls, home: str | Path | None = None) -> App:
        return cls(resolve_home(home))

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.home)
        return self._settings

    def reload_settings(self) -> None:
        """Read the settings again after they changed on disk (a model chosen during setup);
        a model already created stays as it is."""
        self._settings = None

    @property
    def store(self) -> SQLiteStore:
        if self._store is None:
            self._store = open_store(self.home)
        return self._store

    @property
    def model(self) -> ChatModel:
        if self._model is None:
            self._model = create_model(self.settings)
        return self._model

    @property
    def memory(self) -> LongTermMemory:
        if self._memory is None:
            settings = self.settings
            capable = settings.memory_model == "on" or (
                settings.memory_model == "auto" and settings.model.startswith("openai:")
            )
            self._memory = LongTermMemory(
                self.store,
                settings.embedder,
                model_factory=(lambda: create_model(settings)) if capable else None,
            )
        return self._memory

    @property
    def skills(self) -> Skills:
        if self._skills is None:
            self._skills = Skills()
        return self._skills

    def skill_context(self) -> SkillContext:
        return SkillContext(
            store=self.store,
            settings=self.settings,
            home=self.home,
            memory=self.memory if self.settings.memory else None,
            model=self.model,
        )

    def companion(self, *, background: bool = False) -> Companion:
        return Companion(
            self.store,
            self.model,
            self.settings,
            memory=self.memory if self.settings.memory else None,
            consolidate_in_background=background,
            skills=self.skills,
            skill_context=self.skill_context(),
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
