"""Prompt composition: a pure function from persona, history and the new message to the
messages sent to the model, fitted to its context window by token count."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from os1.errors import InputTooLong
from os1.models.base import Message


def compose_prompt(
    *,
    system: str,
    history: Sequence[Message],
    user_message: str,
    context_window: int,
    reply_tokens: int,
    count: Callable[[Message], int],
    context: str | None = None,
    self_summary: str | None = None,
) -> list[Message]:
    """System prompt first, then as much recent history as fits, then the new message.

    The persona stays first and the history is appended in order, so a local model can reuse
    its cached prefix from one turn to the next; per-turn `context` (recalled memories) goes
    after the history for the same reason. The oldest turns are dropped first, and the kept
    history never starts with an orphaned assistant reply.

    `self_summary` (the companion's own grown self, `os1.inner.self`) is appended to the
    persona, never put before it: the persona's text stays a byte-identical prefix, so the
    cache survives a change of the self, which only re-reads what follows it.
    """
    # -- the self: after the persona, in the same system message (one system message at the
    # start is what every chat template accepts)
    if self_summary:
        system = f"{system}\n\n{self_summary}"
    # -- end the self
    system_msg = Message("system", system)
    user_msg = Message("user", user_message)
    budget = context_window - reply_tokens - count(system_msg) - count(user_msg)
    if budget < 0:
        needed = count(user_msg)
        raise InputTooLong(
            f"the message is too long for the model ({needed} tokens; it can take about "
            f"{max(0, needed + budget)} here)"
        )
    context_msg = Message("system", context) if context else None
    if context_msg is not None:
        if count(context_msg) <= budget:
            budget -= count(context_msg)
        else:
            context_msg = None
    kept: list[Message] = []
    for message in reversed(history):
        cost = count(message)
        if cost > budget:
            break
        budget -= cost
        kept.append(message)
    kept.reverse()
    while kept and kept[0].role != "user":
        kept.pop(0)
    tail = [context_msg, user_msg] if context_msg else [user_msg]
    return [system_msg, *kept, *tail]
