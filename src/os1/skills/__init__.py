"""Skills: OS work as typed tools, found as plug-ins (entry-point group `os1.skills`).

Each entry point names a `Toolkit` (tools + intents + the skill's own migrations). The
built-in skills (mail, letters, calendar, reminders, notes) are registered exactly like a
third-party one.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from os1.errors import NotFound
from os1.skills.base import (
    Intent,
    PlannedCall,
    SkillContext,
    Tool,
    ToolError,
    Toolkit,
    ToolOutput,
    intent,
    quote_untrusted,
    tool,
)

__all__ = [
    "Intent",
    "PlannedCall",
    "SkillContext",
    "Skills",
    "Tool",
    "ToolError",
    "ToolOutput",
    "Toolkit",
    "available_toolkits",
    "intent",
    "quote_untrusted",
    "tool",
]

ENTRY_POINT_GROUP = "os1.skills"


def available_toolkits() -> list[Toolkit]:
    return [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]


class Skills:
    """The tools and intents one companion can use."""

    def __init__(self, toolkits: list[Toolkit] | None = None) -> None:
        self.toolkits = available_toolkits() if toolkits is None else toolkits
        self.tools: dict[str, Tool] = {}
        for kit in self.toolkits:
            for t in kit.tools:
                if t.name in self.tools:
                    raise ValueError(f"two skills define a tool named {t.name!r}")
                self.tools[t.name] = t
        self.intents = sorted(
            (i for kit in self.toolkits for i in kit.intents), key=lambda i: i.priority
        )

    def get(self, name: str) -> Tool:
        try:
            return self.tools[name]
        except KeyError:
            raise NotFound(f"no tool named {name!r}") from None

    def prepare(self, ctx: SkillContext) -> None:
        """Bring each skill's tables up to date in this user's store."""
        for kit in self.toolkits:
            ctx.store.migrate_component(f"skill:{kit.name}", kit.migrations)

    def plan(self, text: str, ctx: SkillContext) -> tuple[str, list[PlannedCall]] | None:
        """The first intent that recognises the user's words, and the calls it plans."""
        for it in self.intents:
            calls = it.match(text, ctx)
            if calls:
                return it.name, calls
        return None

    def schemas(self) -> list[dict[str, object]]:
        return [t.schema() for t in self.tools.values()]
