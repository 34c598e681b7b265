"""Fixtures for MCP: a home with memories, and the SDK's client over stdio."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from mcp import ClientSession, StdioServerParameters
from os1.memory import LongTermMemory, NewMemory
from os1.storage import SQLiteStore
from tests.helpers import process_env


def remember(home: Path, *texts: str, user_id: str = "local") -> list[int]:
    """Store facts for a user, as if they had said them."""
    store = SQLiteStore(home / "os1.db", user_id)
    try:
        memory = LongTermMemory(store, "hashing")
        ids = [
            memory.store.add(NewMemory(kind="fact", text=t, sources=("test",), speaker="user"))
            for t in texts
        ]
        return [i for i in ids if i is not None]
    finally:
        store.close()


@asynccontextmanager
async def stdio_session(home: Path, **env: str) -> AsyncIterator[ClientSession]:
    """The official SDK's client on `python -m os1 --home HOME mcp`, a real process."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "os1", "--home", str(home), "mcp"],
        env=process_env("scripted:echo", OS1_EMBEDDER="hashing", **env),
        cwd=os.getcwd(),
    )
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


@asynccontextmanager
async def http_session(url: str, token: str | None) -> AsyncIterator[ClientSession]:
    """The official SDK's client on OS1's /mcp, sending an API token as a host would."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(f"{url}/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session
