"""The `[server]` section of config.toml, typed: read by `os1 serve` and checked by
`os1 config set server.KEY VALUE` (which imports only this light module)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from os1.config import Settings
from os1.errors import ConfigError


class ServerOptions(BaseModel):
    """The `[server]` section of config.toml."""

    model_config = ConfigDict(extra="forbid")

    single_user: bool = Field(True, description="No login on loopback while no account exists")
    cache_users: int = Field(256, ge=1, description="Users whose companion stays open")
    turn_threads: int = Field(
        8, ge=0, le=256, description="Threads for blocking work (store, recall, embedding)"
    )
    max_message_chars: int = Field(32_000, ge=1)
    max_upload_bytes: int = Field(25 * 2**20, ge=1024)
    consolidate_after: float = Field(
        20.0, ge=0, description="Seconds of quiet after a user's turn before consolidating"
    )
    consolidate_within: float = Field(
        120.0, ge=0, description="Longest a turn waits to be consolidated while talk goes on"
    )
    secure_cookies: bool = Field(False, description="HTTPS-only login cookie even on plain HTTP")
    sqlite_cache_kib: int = Field(
        65536, ge=64, description="Page cache of the connection every user's SQLite store shares"
    )
    scheduler: bool = Field(
        True, description="Fire reminders and proactive messages from this server"
    )

    @classmethod
    def of(cls, settings: Settings) -> ServerOptions:
        try:
            return cls(**settings.server)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"bad setting 'server.{where}': {first['msg']}") from None
