"""Configuration in one place: typed settings from a TOML file, overridden by OS1_* env vars.

Everything OS1 keeps lives under one home folder (the user's XDG data home by default),
movable with `--home` or `OS1_HOME`; `config.toml` in that folder holds the settings.
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from platformdirs import user_data_dir
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from os1.errors import ConfigError

CONFIG_FILE = "config.toml"
DEFAULT_MODEL = "llamacpp:smollm2-135m"

# Where people already run OpenAI-compatible servers (LocalAI shares llama-server's 8080).
PROBE_SERVERS = {
    "Ollama": "http://127.0.0.1:11434",
    "llama-server": "http://127.0.0.1:8080",
    "LM Studio": "http://127.0.0.1:1234",
    "vLLM": "http://127.0.0.1:8000",
}
# Where other tools keep the GGUF files they downloaded.
MODEL_DIRS = (
    "~/.cache/huggingface/hub",
    "~/.lmstudio/models",
    "~/.cache/lm-studio/models",
    "~/.cache/llama.cpp",
)

# Sections whose keys can be set one by one (`os1 config set server.single_user false`), each
# checked by its own typed model, imported only then ("module:Class", so the CLI stays quick
# and this module does not depend on the server).
SECTION_MODELS = {
    "server": "os1.server.options:ServerOptions",
    "mcp": "os1.mcp.config:McpSettings",
}


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The OS1 home folder: explicit argument, then OS1_HOME, then the XDG data home."""
    chosen = home or os.environ.get("OS1_HOME") or user_data_dir("os1", appauthor=False)
    return Path(chosen).expanduser().resolve()


class Settings(BaseSettings):
    """OS1's settings. `model` is the one key that switches backend and model."""

    model_config = SettingsConfigDict(env_prefix="OS1_", extra="forbid", validate_default=True)

    model: str = Field(
        DEFAULT_MODEL,
        description="backend:model — e.g. llamacpp:smollm2-135m, llamacpp:/path/to/file.gguf, "
        "openai:llama3.1 (any OpenAI-compatible server), scripted:echo",
    )
    openai_base_url: str = Field(
        "http://127.0.0.1:11434/v1", description="Base URL of an OpenAI-compatible server"
    )
    openai_api_key: SecretStr | None = Field(None, description="API key for that server")
    hf_endpoint: str = Field(
        default_factory=lambda: os.environ.get("HF_ENDPOINT", "https://huggingface.co"),
        description="Hugging Face hub used by `os1 models pull` (HF_ENDPOINT is honoured too)",
    )
    probe_servers: dict[str, str] = Field(
        default_factory=lambda: dict(PROBE_SERVERS),
        description="Local model servers `os1 models` looks for: name -> base URL",
    )
    model_dirs: list[str] = Field(
        default_factory=lambda: list(MODEL_DIRS),
        description="Folders searched for GGUF files (the OS1 home's models/ always is)",
    )
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for the model server")
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to wait for a connection")
    retries: int = Field(2, ge=0, le=10, description="Retries on connection errors")
    temperature: float = Field(0.4, ge=0, le=2)
    max_reply_tokens: int = Field(200, ge=8, le=32768)
    context_window: int = Field(
        4096, ge=512, le=1_048_576, description="Tokens of context used for prompt + reply"
    )
    database_url: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host/db to keep everything in PostgreSQL "
        "(many users, several workers); unset = the SQLite file in the OS1 home",
    )
    # os1.memory.embedders.DEFAULT_EMBEDDER (not imported: settings load before any model code)
    embedder: str = Field(
        "bge-small", description="Sentence embedder for memory recall (bge-small, minilm, openai)"
    )
    # -- embedder = "openai": embeddings from an OpenAI-compatible server (vLLM, TEI, Ollama)
    embedder_url: str | None = Field(
        None,
        description="Base URL of the server whose /embeddings endpoint embedder = openai uses, "
        "e.g. http://127.0.0.1:8080/v1; unset = openai_base_url (the chat model's server)",
    )
    embedder_model: str | None = Field(
        None, description="Embedding model asked of that server, e.g. nomic-embed-text"
    )
    embedder_api_key: SecretStr | None = Field(
        None,
        description="API key for the embedding server; unset = openai_api_key, but only when "
        "embedder_url is unset too (a key is never sent to a server it was not given for)",
    )
    embedder_batch_size: int = Field(
        32, ge=1, le=2048, description="Texts per /embeddings request (TEI's default limit: 32)"
    )
    embedder_timeout: float = Field(
        30.0, gt=0, description="Seconds to wait for the embedding server's answer"
    )
    embedder_retries: int = Field(
        3, ge=0, le=10, description="Retries when the embedding server is busy (429, 5xx)"
    )
    # -- end embedder = "openai"
    reranker: str = Field(
        "ms-marco",
        description="Cross-encoder that rereads recall's best 30 memories with the question "
        "(~150-250 ms of one core a search); none = off, e.g. for a server of many users",
    )
    memory: bool = Field(True, description="Keep long-term memory and recall it in replies")
    memory_model: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Let the model derive facts and reflections too; auto = only for models "
        "behind an OpenAI-compatible server (the tiny embedded one can't do it reliably)",
    )
    model_tools: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Let the model call skills itself (OpenAI tools API); auto = when the "
        "backend supports it. The deterministic intents work either way",
    )
    stt: str = Field("whisper", description="Speech-to-text engine")
    tts: str = Field("piper", description="Text-to-speech engine")
    vad: str = Field("silero", description="Voice activity detector")
    voice_speed: float = Field(1.0, ge=0.5, le=2.0, description="Speaking rate of the voice")
    voice_end_of_turn_ms: int = Field(
        600,
        ge=100,
        le=3000,
        description="Silence that ends a spoken turn when the words don't tell; about a third "
        "of it after a finished sentence, nearly twice it after \"and…\" or \"um\"",
    )
    threads: int | None = Field(
        None, ge=1, description="Old name of model_threads; when set, it wins"
    )
    model_threads: int = Field(
        0,
        ge=0,
        description="CPU threads for the embedded model; 0 = auto (physical cores less one, "
        "so a busy machine still has a core for everything else)",
    )
    model_take_turns: bool = Field(
        True,
        description="OS1 processes on this machine generate one at a time with the embedded "
        "model (a lock file in the runtime dir), instead of fighting over the cores",
    )
    small_model_profile: bool | None = Field(
        None,
        description="Compact persona, short history, sentence-ended replies, checked for "
        "role confusion, memory questions answered in code; None = auto (on for the embedded "
        "model, off for models behind a server)",
    )
    llama_disable_repack: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Turn off llama.cpp weight repacking (crashes on AMX CPUs); auto = when "
        "the CPU has AMX",
    )

    pending_action_ttl_hours: float = Field(
        24.0,
        gt=0,
        description="Hours an action waits for your confirmation before it expires and has "
        "to be asked for again",
    )
    timezone: str | None = Field(
        None, description="IANA time zone for reminders and the calendar; default: the system's"
    )
    # -- inner life (os1.inner): follow-ups, moods, our story; a fixed clock for tests
    inner_life: bool = Field(
        True, description="Follow up on what you said was coming, remember moods and our story"
    )
    now: str | None = Field(
        None, description="A fixed ISO date and time to live at (tests, benchmarks); OS1_NOW"
    )
    journal_after_minutes: int = Field(
        30, ge=1, description="Minutes of quiet after which the day's journal entry is written"
    )
    # -- end inner life
    # Each skill validates its own table with its own typed model (e.g. [mail.accounts.work]),
    # so adding a skill never means editing this class.
    mail: dict[str, Any] = Field(default_factory=dict, description="Mail accounts ([mail])")
    calendar: dict[str, Any] = Field(default_factory=dict, description="Calendars ([calendar])")
    reminders: dict[str, Any] = Field(default_factory=dict, description="Reminders ([reminders])")
    notes: dict[str, Any] = Field(default_factory=dict, description="Notes folder ([notes])")
    letters: dict[str, Any] = Field(default_factory=dict, description="Letters ([letters])")
    proactive: dict[str, Any] = Field(
        default_factory=dict, description="When the companion may speak first ([proactive])"
    )
    server: dict[str, Any] = Field(default_factory=dict, description="os1 serve ([server])")
    mcp: dict[str, Any] = Field(
        default_factory=dict, description="Other MCP servers whose tools OS1 may use ([mcp])"
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, url: SecretStr | None) -> SecretStr | None:
        # SQLite needs no URL (it lives in the OS1 home); anything else is a typo to catch now.
        if url is not None and not url.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("must be a postgresql:// URL (leave it unset for SQLite)")
        return url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _toml_path_for_loading
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None and toml_file.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    def public_dict(self) -> dict[str, Any]:
        """Settings as shown to a user: secrets masked, never printed or logged. A section's
        key can be looked up with a dotted name too: `shown["server.single_user"]`."""
        shown = self.model_dump()
        for key, value in shown.items():
            if isinstance(getattr(self, key), SecretStr):
                shown[key] = "********" if value else None
        return ShownSettings(_mask_secrets(shown))


class ShownSettings(dict[str, Any]):
    """Shown settings that also answer `section.key`, with the section model's default when
    the key is not set."""

    def __missing__(self, key: str) -> Any:
        section, dot, name = key.partition(".")
        table = self.get(section)
        if not dot or not isinstance(table, dict):
            raise KeyError(key)
        if name in table:
            return table[name]
        if section in SECTION_MODELS and name in (fields := section_model(section).model_fields):
            return fields[name].get_default(call_default_factory=True)
        raise KeyError(key)


def section_model(section: str) -> type[BaseModel]:
    module, _, name = SECTION_MODELS[section].partition(":")
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


# Keys that hold a secret: "password", "smtp_password", "api_key", "token" — but not
# "max_reply_tokens" or "password_keyring" (a flag).
_SECRET_KEY = re.compile(r"(?:^|_)(?:password|passwd|secret|token|api_?key)$", re.IGNORECASE)


def _mask_secrets(value: Any) -> Any:
    """Mask every value whose key names a secret, at any depth (e.g. a mail password)."""
    if isinstance(value, dict):
        return {
            k: (
                "********"
                if _SECRET_KEY.search(str(k)) and v and not isinstance(v, dict | list)
                else _mask_secrets(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_secrets(v) for v in value]
    return value


# pydantic-settings reads the TOML path at class level; set it only around a load.
_toml_path_for_loading: Path | None = None


def load_settings(home: Path, **overrides: Any) -> Settings:
    """Load settings for a home folder; bad values raise one clear ConfigError."""
    global _toml_path_for_loading
    path = home / CONFIG_FILE
    if path.exists():
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    _toml_path_for_loading = path
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    finally:
        _toml_path_for_loading = None


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "config"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"bad setting {where!r}: {first['msg']}{more}"


def read_config_file(home: Path) -> dict[str, Any]:
    path = home / CONFIG_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def set_config_value(home: Path, key: str, value: str | None) -> Settings:
    """Validate and persist one setting (None removes it), a top-level one (`temperature`) or
    one in a section that has a model (`server.single_user`). Returns the resulting settings."""
    section, dotted, name = key.partition(".")
    if dotted:
        if section not in SECTION_MODELS or name not in section_model(section).model_fields:
            known = ", ".join(
                f"{s}.{n}" for s in sorted(SECTION_MODELS) for n in section_model(s).model_fields
            )
            raise ConfigError(f"unknown setting {key!r}", hint=f"Known section settings: {known}")
    elif key not in Settings.model_fields:
        known = ", ".join(sorted(Settings.model_fields))
        raise ConfigError(f"unknown setting {key!r}", hint=f"Known settings: {known}")
    data = read_config_file(home)
    if dotted:
        _set_in_section(data, section, name, value)
    elif value is None:
        data.pop(key, None)
    else:
        data[key] = value
    # Validate the whole file as it would be loaded, before anything is written, and store
    # the typed value (a number stays a number in the TOML).
    try:
        validated = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    if value is not None and not dotted:
        typed = getattr(validated, key)
        data[key] = typed.get_secret_value() if isinstance(typed, SecretStr) else typed
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / (CONFIG_FILE + ".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(home / CONFIG_FILE)
    return load_settings(home)


def _set_in_section(data: dict[str, Any], section: str, name: str, value: str | None) -> None:
    """Set (or remove) `[section] name` in the file's data, checked and typed by the
    section's model."""
    table = data.setdefault(section, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{section!r} in {CONFIG_FILE} is not a table", hint=f"Use [{section}].")
    if value is None:
        table.pop(name, None)
        if not table:
            del data[section]
        return
    table[name] = value
    model = section_model(section)
    try:
        checked = model(**table)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"bad setting '{section}.{where}': {first['msg']}") from None
    typed = getattr(checked, name)
    table[name] = typed.get_secret_value() if isinstance(typed, SecretStr) else typed
