"""What the conversation is about right now: the tool calls behind the assistant's last reply.

Refinements ("make it warmer", "make it Friday instead", "reply with a thumbs up") name no
object: they go to a skill only while its object is in focus, i.e. the companion's last reply
came from that skill's tools. Two small indexed reads, no writes, so intents stay fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from os1.errors import OS1Error
from os1.skills.base import SkillContext


@dataclass(frozen=True)
class FocusCall:
    """One tool call the last reply came from."""

    name: str
    arguments: dict[str, Any]
    status: str

    def known_args(self, *choices: tuple[str, ...]) -> bool:
        """Whether its arguments hold every key of one of these sets, as non-empty strings."""
        return any(
            all(isinstance(self.arguments.get(k), str) and self.arguments[k] for k in keys)
            for keys in choices
        )


@dataclass(frozen=True)
class Focus:
    """The tool calls behind the last reply; `known` is False when there is no store to ask."""

    calls: tuple[FocusCall, ...] = field(default_factory=tuple)
    intent: str = ""
    known: bool = True
    # Whether the companion has replied at all yet: before any reply nothing else is in focus.
    replied: bool = True

    def on(self, tools: frozenset[str]) -> bool:
        """Whether one of these tools made the last reply (always, when focus is unknown)."""
        return not self.known or any(c.name in tools for c in self.calls)

    def elsewhere(self, tools: frozenset[str]) -> bool:
        """Whether the last reply came from other tools only (something else is in focus)."""
        return self.known and bool(self.calls) and not any(c.name in tools for c in self.calls)

    def last(self, tools: frozenset[str]) -> FocusCall | None:
        found = [c for c in self.calls if c.name in tools]
        return found[-1] if found else None


UNKNOWN = Focus(known=False)


def focus(ctx: SkillContext | None) -> Focus:
    """The tool calls behind the assistant's latest reply to this user (none after plain talk).

    Without a context (the words alone, as some tests plan them) focus is unknown and every
    refinement is allowed, as before focus existed.
    """
    if ctx is None:
        return UNKNOWN
    store = ctx.store
    try:
        rows = store.query(
            "SELECT meta FROM messages WHERE user_id = ? AND role = 'assistant' "
            "ORDER BY id DESC LIMIT 1",
            (store.user_id,),
        )
        if not rows:
            return Focus(replied=False)
        meta = json.loads(rows[0][0] or "{}")
        ids = [str(i) for i in meta.get("tool_calls") or []][:20] if isinstance(meta, dict) else []
        if not ids:
            return Focus(intent=str(meta.get("intent", "")) if isinstance(meta, dict) else "")
        marks = ",".join("?" * len(ids))
        found = store.query(
            f"SELECT id, name, arguments, status FROM tool_calls WHERE user_id = ? "
            f"AND id IN ({marks})",
            (store.user_id, *ids),
        )
    except (OS1Error, ValueError):
        return Focus()
    by_id = {r[0]: r for r in found}
    calls = tuple(
        FocusCall(by_id[i][1], _arguments(by_id[i][2]), by_id[i][3]) for i in ids if i in by_id
    )
    return Focus(calls=calls, intent=str(meta.get("intent", "")))


def _arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
