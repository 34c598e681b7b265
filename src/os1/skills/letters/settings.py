"""The `[letters]` section of config.toml, validated by the skill's own typed model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from os1.errors import ConfigError

Tone = Literal["warm", "tender", "formal", "playful", "grateful"]
TONES: tuple[Tone, ...] = ("warm", "tender", "formal", "playful", "grateful")


class LettersSettings(BaseModel):
    """How letters are written, proofread and bound into a book."""

    model_config = ConfigDict(extra="forbid")

    # auto: only a model behind an OpenAI-compatible server writes letters; the tiny embedded
    # one writes worse than the deterministic composer, so it is left out.
    model: Literal["auto", "on", "off"] = "auto"
    tone: Tone = "warm"
    book_title: str = Field("Letters", min_length=1, max_length=120)
    # Where books are written; default: <home>/letters.
    folder: str | None = None
    # A TrueType serif font for books; default: the first one found on the system.
    font: str | None = None
    # Words the spelling checker should accept (names, pet names, places).
    words: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, section: dict[str, object]) -> LettersSettings:
        try:
            return cls.model_validate(section)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "letters"
            raise ConfigError(f"bad setting 'letters.{where}': {first['msg']}") from None

    def folder_in(self, home: Path) -> Path:
        return Path(self.folder).expanduser() if self.folder else home / "letters"
