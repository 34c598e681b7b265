"""`[mcp]`: the other MCP servers whose tools OS1's model may use, each a local command
(stdio) or a URL (streamable HTTP).

    [mcp.servers.files]
    command = "mcp-files"
    args = ["--root", "~/Documents"]

    [mcp.servers.weather]
    url = "http://127.0.0.1:9000/mcp"
    token = "…"
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from os1.config import Settings
from os1.errors import ConfigError


class McpServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str | None = Field(None, description="A program that speaks MCP on stdio")
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = Field(None, description="Its environment (default: OS1's)")
    url: str | None = Field(None, description="A streamable HTTP endpoint instead")
    # Kept as `token` (not in `headers`) so that `os1 config show` masks it.
    token: SecretStr | None = Field(None, description="Sent as `Authorization: Bearer …`")
    headers: dict[str, str] = Field(default_factory=dict, description="Sent with each request")
    timeout: float | None = Field(None, gt=0, description="Seconds; default [mcp] timeout")

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either `command` (stdio) or `url` (HTTP), not both")
        return self


class McpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    servers: dict[str, McpServerConfig] = Field(default_factory=dict)
    timeout: float = Field(10.0, gt=0, description="Seconds to wait for a server")


def mcp_settings(settings: Settings) -> McpSettings:
    try:
        return McpSettings.model_validate(settings.mcp or {})
    except ValueError as exc:
        raise ConfigError(f"bad [mcp] settings: {exc}", hint="See `[mcp.servers.NAME]`.") from None


def has_servers(settings: Settings) -> bool:
    servers: Any = (settings.mcp or {}).get("servers")
    return bool(servers)
