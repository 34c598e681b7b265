"""Requests about memory itself, understood in code so they work with any model:
"what do you know about me?", and forgetting in the user's own words (see forget_request)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from os1.memory.forget_reply import answer_forget, forget_request
from os1.mind.persona import ANSWER_LABELS, Identity
from os1.storage.base import Store, StoredMessage

if TYPE_CHECKING:
    from os1.memory import LongTermMemory

_WHAT_DO_YOU_KNOW = re.compile(
    r"\bwhat (?:else )?(?:do|did) you (?:know|remember)(?: about me)?\b"
    r"|\bwhat have you (?:learned|learnt) about me\b|\btell me what you know about me\b",
    re.IGNORECASE,
)
MAX_LISTED = 12


def answer_memory_request(
    memory: LongTermMemory,
    store: Store,
    text: str,
    user_msg: StoredMessage,
    identity: Identity,
) -> str | None:
    """The reply to a memory request, with the request carried out; None for anything else."""
    if len(text) > 300:  # a request is a short sentence, not a pasted document
        return None
    forget = forget_request(text)
    if forget is not None:
        return answer_forget(memory, store, forget, user_msg)
    if _WHAT_DO_YOU_KNOW.search(text):
        return _what_i_know(memory, identity)
    return None


def _what_i_know(memory: LongTermMemory, identity: Identity) -> str:
    memory.consolidate()  # include what was said moments ago
    known = [
        m for m in memory.store.list() if m.kind in ("fact", "preference", "event", "reflection")
    ]
    known.sort(key=lambda m: (-m.importance, m.id))
    name = identity.user_name or "you"
    # What setup taught it comes first: it is what the user chose to tell.
    from_setup = [
        f"- {ANSWER_LABELS[key]}: {answer}"
        for key, answer in identity.answers.items()
        if key in ANSWER_LABELS and answer.strip()
    ]
    if not known and not from_setup:
        return (
            f"Not much yet, {name}. Tell me about your life and I'll remember — "
            "and you can always ask me to forget something."
        )
    lines = "\n".join(from_setup + [f"- {m.text}" for m in known[:MAX_LISTED]])
    more = (
        f"\n…and {len(known) - MAX_LISTED} more (`os1 memory list`)."
        if len(known) > MAX_LISTED
        else ""
    )
    closing = "Tell me if anything is wrong, or what to forget."
    return f"Here's what I know so far:\n{lines}{more}\n{closing}"
