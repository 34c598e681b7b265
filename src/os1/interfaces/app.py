"""What every interface needs to serve one user: home folder, settings, store and model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from os1.config import Settings, load_settings, resolve_home
from os1.memory import LongTermMemory
from os1.mind.assembly import build_companion, open_memory, skill_context
from os1.mind.companion import Companion
from os1.models import create_model
from os1.models.base import ChatModel
from os1.skills import SkillContext, Skills
from os1.storage import Store, database_url_of, open_store


@dataclass
class App:
    home: Path
    _settings: Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)
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
    def store(self) -> Store:
        if self._store is None:
            # PostgreSQL when `database_url` says so: the CLI sees what the server keeps.
            self._store = self.open_store("local")
        return self._store

    def open_store(self, user_id: str) -> Store:
        """A new store of this home's database for any user (the reminder scheduler walks
        them all); the caller closes it."""
        return open_store(self.home, user_id, database_url_of(self.settings))

    @property
    def model(self) -> ChatModel:
        if self._model is None:
            self._model = create_model(self.settings)
        return self._model

    @property
    def memory(self) -> LongTermMemory:
        if self._memory is None:
            self._memory = open_memory(self.store, self.settings, self.settings.embedder)
        return self._memory

    @property
    def skills(self) -> Skills:
        if self._skills is None:
            self._skills = Skills()
        return self._skills

    def skill_context(self) -> SkillContext:
        memory = self.memory if self.settings.memory else None
        return skill_context(self.store, self.settings, self.home, self.model, memory)

    def companion(self, *, background: bool = False) -> Companion:
        return build_companion(
            self.store,
            self.model,
            self.settings,
            home=self.home,
            memory=self.memory if self.settings.memory else None,
            skills=self.skills,
            consolidate_in_background=background,
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
