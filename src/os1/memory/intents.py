"""Requests about memory itself, understood in code so they work with any model:
"what do you know about me?", "forget that", "forget everything about X"."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from os1.mind.persona import ANSWER_LABELS, Identity
from os1.storage.base import Store, StoredMessage

if TYPE_CHECKING:
    from os1.memory import LongTermMemory

_WHAT_DO_YOU_KNOW = re.compile(
    r"\bwhat (?:else )?(?:do|did) you (?:know|remember)(?: about me)?\b"
    r"|\bwhat have you (?:learned|learnt) about me\b|\btell me what you know about me\b",
    re.IGNORECASE,
)
_FORGET_ABOUT = re.compile(
    r"\bforget (?:everything|all|anything)(?: (?:you know|you remember))? about (?P<x>.+?)"
    r"[\s.!?]*$",
    re.IGNORECASE,
)
_FORGET_THAT = re.compile(
    r"^\W*(?:please\W+)?(?:can you |could you )?forget (?:that|this|what i (?:just )?said|it)"
    r"(?: please)?[\s.!?]*$",
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
    if match := _FORGET_ABOUT.search(text):
        topic = match.group("x").strip().strip("\"'")
        removed = memory.store.forget_about(topic)
        # The reply doesn't repeat the topic: the conversation would remember it again.
        if not removed:
            return "I don't have anything about that to forget."
        return (
            f"Done. I've forgotten all of it — {len(removed)} "
            f"{'memory' if len(removed) == 1 else 'memories'}, and what I'd worked out from them."
        )
    if _FORGET_THAT.search(text):
        earlier = [
            m for m in store.messages(user_msg.conversation_id, last=6) if m.id < user_msg.id
        ]
        previous_user = next((m for m in reversed(earlier) if m.role == "user"), None)
        if previous_user is None:
            return "There's nothing earlier in this conversation for me to forget."
        removed = memory.store.forget_message(previous_user.id)
        # My reply to it may repeat what was said: it goes too.
        for reply in (m for m in earlier if m.id > previous_user.id and m.role == "assistant"):
            removed += memory.store.forget_message(reply.id)
        return "Okay. I've forgotten that, and anything I'd taken from it."
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
