"""The models OS1 can download, and which one suits this machine.

The catalog is package data (`data/models.json`): companion-suited instruct models in a few
sizes, each a single GGUF file on the Hugging Face hub.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class CatalogModel:
    name: str
    title: str
    params_b: float
    hf_repo: str
    hf_file: str
    size_bytes: int
    ram_gb: float
    license: str
    chat_template: str
    sha256: str | None = None

    @property
    def source(self) -> str:
        return f"hf:{self.hf_repo}/{self.hf_file}"


@cache
def catalog() -> tuple[CatalogModel, ...]:
    data = json.loads((resources.files("os1") / "data" / "models.json").read_text("utf-8"))
    return tuple(CatalogModel(**m) for m in data["models"])


def lookup(name: str) -> CatalogModel | None:
    wanted = name.lower()
    return next((m for m in catalog() if m.name == wanted), None)


@dataclass(frozen=True)
class Machine:
    ram_bytes: int
    cores: int
    gpu: bool

    @classmethod
    def this(cls) -> Machine:
        try:
            ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            ram = 0
        return cls(ram, os.cpu_count() or 1, shutil.which("nvidia-smi") is not None)

    def describe(self) -> str:
        gpu = ", an NVIDIA GPU" if self.gpu else ""
        return f"{self.ram_bytes / 2**30:.0f} GiB RAM, {self.cores} cores{gpu}"


# Billions of parameters a CPU answers at a conversational pace with, by core count: prompt
# processing dominates on a CPU (see MODELS.md), and it scales with both size and cores.
CPU_PARAMS_BY_CORES = ((16, 8.0), (8, 3.5), (4, 1.6), (0, 1.0))


def recommend(machine: Machine) -> CatalogModel | None:
    """The largest catalog model that fits in half the RAM and answers in good time."""
    budget_gb = machine.ram_bytes / 2**30 / 2
    limit = (
        float("inf")
        if machine.gpu
        else next(p for cores, p in CPU_PARAMS_BY_CORES if machine.cores >= cores)
    )
    fitting = [m for m in catalog() if m.ram_gb <= budget_gb and m.params_b <= limit]
    return max(fitting, key=lambda m: m.params_b, default=None)
