"""Find the models this machine already has: local model servers and GGUF files on disk.

Servers are probed concurrently with a short timeout, so a machine with none of them running
costs a fraction of a second; files are found by name and ranked by the parameter count in
their name or GGUF metadata (file size when neither says).
"""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from os1.models.base import ModelInfo

PROBE_TIMEOUT = 0.3
EMBEDDED_PARAMS = 0.135  # billions: the bundled SmolLM2, the bar anything found must clear

_PARAMS = re.compile(r"(?<![a-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)\s*([bm])(?![a-z])", re.I)
_EMBEDDING = re.compile(r"embed|bge-|minilm|e5-|rerank|bert|clip|mmproj|whisper", re.I)
_CHAT = re.compile(r"instruct|chat|[-_.:]it\b|[-_.:]it[-_.]|hermes|assistant", re.I)
_BASE = re.compile(r"[-_.:]base\b", re.I)
# Bytes per parameter of a typical 4-5 bit quantised GGUF, for the size fallback.
BYTES_PER_PARAM = 0.6e9


@dataclass(frozen=True)
class Found:
    """A model already on this machine, in a form `os1 models use` can switch to."""

    name: str  # what the user types: an Ollama tag, a server's model id, a file name
    source: str  # "Ollama", "llama-server", "file"
    spec: str  # the `model` setting that selects it
    params_b: float | None = None  # billions of parameters, when known
    size_bytes: int | None = None
    base_url: str | None = None  # for a server: the OpenAI-compatible base URL
    path: str | None = None  # for a file
    chat: bool = True
    embedding: bool = False

    @property
    def estimated_params_b(self) -> float:
        if self.params_b is not None:
            return self.params_b
        return (self.size_bytes or 0) / BYTES_PER_PARAM

    @property
    def rank(self) -> tuple[bool, bool, float]:
        return (not self.embedding, self.chat, self.estimated_params_b)

    def better_than_embedded(self) -> bool:
        return not self.embedding and self.chat and self.estimated_params_b > EMBEDDED_PARAMS * 2

    def where(self) -> str:
        return f"in {self.source}" if self.base_url else f"at {self.path}"

    def info(self) -> ModelInfo:
        backend, _, name = self.spec.partition(":")
        size = f"{self.params_b:g}B params" if self.params_b else _gib(self.size_bytes)
        return ModelInfo(backend, name, f"found {self.where()} ({size})", True, self.source)

    def as_json(self) -> dict[str, Any]:
        return {
            "found_name": self.name,
            "source": self.source,
            "params_b": self.params_b,
            "size_bytes": self.size_bytes,
            "base_url": self.base_url,
            "path": self.path,
            "chat": self.chat,
            "embedding": self.embedding,
        }


def _gib(size: int | None) -> str:
    return f"{(size or 0) / 2**30:.1f} GiB"


def parse_params(text: str) -> float | None:
    """Billions of parameters named in a model name: "llama3.1:8b" → 8, "8x7B" → 56,
    "SmolLM2-135M" → 0.135. The last match wins ("qwen2.5-1.5b" → 1.5, not 2.5)."""
    found = None
    for match in _PARAMS.finditer(text):
        experts, number, unit = match.groups()
        value = float(number) * (int(experts) if experts else 1)
        found = value / 1000 if unit.lower() == "m" else value
    return found


def classify(
    name: str, params_b: float | None, size_bytes: int | None, **kw: Any
) -> dict[str, Any]:
    embedding = bool(_EMBEDDING.search(name))
    chat = kw.pop("chat", None)
    if chat is None:
        chat = bool(_CHAT.search(name)) and not _BASE.search(name)
    return dict(params_b=params_b, size_bytes=size_bytes, embedding=embedding, chat=chat, **kw)


# -- servers --------------------------------------------------------------------------------


async def _probe_server(client: httpx.AsyncClient, label: str, base: str) -> list[Found]:
    base = base.rstrip("/").removesuffix("/v1")
    found: list[Found] = []
    try:
        # Ollama's own list carries parameter sizes; every server speaks /v1/models.
        tags = await client.get(f"{base}/api/tags")
        if tags.status_code == 200 and isinstance(tags.json(), dict) and "models" in tags.json():
            for m in tags.json()["models"]:
                name = str(m.get("name") or m.get("model"))
                details = m.get("details") or {}
                params = parse_params(str(details.get("parameter_size") or "")) or parse_params(
                    name
                )
                family = str(details.get("family") or "")
                # Ollama's library tags are chat models unless named otherwise.
                info = classify(
                    f"{name} {family}", params, m.get("size"), chat=not _BASE.search(name)
                )
                found.append(Found(name, label, f"openai:{name}", base_url=f"{base}/v1", **info))
            return found
        listed = await client.get(f"{base}/v1/models")
        if listed.status_code != 200:
            return []
        for m in listed.json().get("data") or []:
            name = str(m.get("id"))
            info = classify(name, parse_params(name), None)
            # A server's model ids are often file names; a plain id on a chat server is chat.
            if not info["chat"] and not _BASE.search(name):
                info["chat"] = True
            found.append(Found(name, label, f"openai:{name}", base_url=f"{base}/v1", **info))
    except (httpx.HTTPError, ValueError, AttributeError, TypeError):
        return []
    return found


async def probe_servers(servers: dict[str, str], timeout: float = PROBE_TIMEOUT) -> list[Found]:
    """Ask every local server for its models at once; a silent one is skipped."""
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
        results = await asyncio.gather(
            *(_probe_server(client, label, url) for label, url in servers.items())
        )
    seen: set[tuple[str | None, str]] = set()
    found = []
    for models in results:
        for m in models:
            if (m.base_url, m.name) not in seen:  # two labels may name the same port
                seen.add((m.base_url, m.name))
                found.append(m)
    return found


# -- files ----------------------------------------------------------------------------------


def gguf_files(dirs: Iterable[Path]) -> list[Path]:
    files: dict[Path, None] = {}
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.gguf")):
            # Split files (…-00001-of-00003.gguf) load from the first; projector files are not LLMs.
            if re.search(r"-0000[2-9]-of-|mmproj", path.name, re.I):
                continue
            if path.is_file():
                files[path.resolve()] = None
    return list(files)


def gguf_metadata(path: Path, wanted: tuple[str, ...] = ("general.",)) -> dict[str, Any]:
    """The leading `general.*` string and number keys of a GGUF file (name, size label…).

    Reads only the header; stops at the first key outside `wanted` (the tokenizer's large
    arrays come after the general keys)."""
    out: dict[str, Any] = {}
    try:
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                return out
            version, _tensors, count = struct.unpack("<IQQ", f.read(20))
            if version < 2:
                return out
            for _ in range(min(count, 256)):
                key = _gguf_str(f)
                kind = struct.unpack("<I", f.read(4))[0]
                if not key.startswith(wanted):
                    break
                value = _gguf_value(f, kind)
                if value is not None:
                    out[key] = value
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        pass
    return out


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q"}
_SCALARS.update({11: "<q", 12: "<d"})


def _gguf_str(f: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", f.read(8))
    if length > 1 << 20:
        raise ValueError("string too long for a GGUF header")
    return f.read(length).decode("utf-8")


def _gguf_value(f: BinaryIO, kind: int) -> Any:
    if kind in _SCALARS:
        fmt = _SCALARS[kind]
        return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]
    if kind == 8:
        return _gguf_str(f)
    if kind == 9:  # an array: skip it
        item, n = struct.unpack("<IQ", f.read(12))
        for _ in range(n):
            _gguf_value(f, item)
        return None
    raise ValueError(f"unknown GGUF value type {kind}")


def found_file(path: Path) -> Found:
    meta = gguf_metadata(path)
    label = str(meta.get("general.size_label") or "")
    title = " ".join(str(meta.get(k) or "") for k in ("general.name", "general.finetune"))
    params = parse_params(label) or parse_params(path.name) or parse_params(title)
    info = classify(f"{path.name} {title}", params, path.stat().st_size)
    return Found(path.name, "file", f"llamacpp:{path}", path=str(path), **info)


def scan_files(dirs: Iterable[Path]) -> list[Found]:
    return [found_file(p) for p in gguf_files(dirs)]


# -- together -------------------------------------------------------------------------------


def model_dirs(home: Path, configured: Iterable[str]) -> list[Path]:
    return [home / "models", *(Path(d).expanduser() for d in configured)]


def discover(
    servers: dict[str, str], dirs: Iterable[Path], timeout: float = PROBE_TIMEOUT
) -> list[Found]:
    """Everything found, best first."""
    found = asyncio.run(probe_servers(servers, timeout)) + scan_files(dirs)
    return sorted(found, key=lambda m: m.rank, reverse=True)


def best(found: Iterable[Found]) -> Found | None:
    """The best model found, if it beats the embedded one."""
    ranked = sorted(found, key=lambda m: m.rank, reverse=True)
    return next((m for m in ranked if m.better_than_embedded()), None)
