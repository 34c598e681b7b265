"""Carrying out a request to forget and saying what happened, in numbers.

A named target found in memory is forgotten at once: the user named it, and asking again
for something they just asked for plainly would only be friction (the README has always
promised "forget everything about X"). When in doubt OS1 asks instead, showing what it has:
a pronoun ("forget about her"), "where I live", or a name it holds nothing about exactly. A
wrong forget cannot be undone; a question costs one turn. "Forget everything" is not done
from a chat message at all.

The reply never repeats the target: it is stored in the conversation, which would otherwise
remember it again.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from os1.language import analyze
from os1.memory.forget_request import (
    FORGET_VERBS,
    KEEP_VERBS,
    MEMORY_PLACES,
    ForgetRequest,
    read_forget_request,
)
from os1.memory.forgetting import (
    forget_everywhere,
    forget_turns,
    memories_about,
    mentions,
    messages_about,
)
from os1.storage.base import Store, StoredMessage

if TYPE_CHECKING:
    from os1.memory import LongTermMemory
    from os1.memory.store import Memory

# Only messages with a word of the request family are parsed (the parse costs ~4 ms): the verbs,
# "take back", "pretend I never said", "let go of", the places of "take X out of your memory".
_WORDS = FORGET_VERBS | KEEP_VERBS | MEMORY_PLACES
_WORDS |= {"mind", "rid", "forgot", "back", "pretend", "let"}
_GATE = re.compile(r"\b(?:" + "|".join(sorted(_WORDS)) + r")", re.IGNORECASE)
SHOWN = 5
_SMALL_WORDS = frozenset({"my", "our", "your", "the", "a", "an", "of", "and", "to", "in", "on"})


def forget_request(text: str) -> ForgetRequest | None:
    if not _GATE.search(text):
        return None
    return read_forget_request(analyze(text))


def answer_forget(
    memory: LongTermMemory, store: Store, request: ForgetRequest, user_msg: StoredMessage
) -> str:
    if request.target == "that":
        return _forget_that(memory, store, user_msg)
    if request.target == "everything":
        return (
            "Forgetting everything can't be undone, so I won't do it from a chat message. "
            "`os1 memory list` shows what I know, and `os1 memory forget ID… --yes` or "
            "`os1 memory forget --about NAME --yes` removes it."
        )
    if request.target is None:
        return _ask("Which memories do you mean?", _recent(memory))
    target = request.target
    # What the request turn itself says doesn't count as something to forget.
    this_turn = set(memory.store.ids_with_source(f"msg:{user_msg.id}"))
    found = set(memories_about(memory.store, target)) - this_turn
    found_turns = set(messages_about(memory.store.db, target)) - {user_msg.id}
    in_profile = mentions(target).search(json.dumps(store.profile(), ensure_ascii=False))
    if not found and not found_turns and not in_profile:
        near = _near(memory, target)
        if not near:
            return "I don't have anything about that to forget."
        return _ask("I have nothing that says exactly that. Did you mean one of these?", near)
    # The request itself names the target: it goes first, without counting as forgotten.
    forget_turns(memory.store, [user_msg.id], scrub_after=False)
    done = forget_everywhere(memory.store, target)
    who = "them" if request.person else "it"
    if not done.total:
        return "I don't have anything about that to forget."
    return f"Done. I've forgotten everything about {who}: {done.summary()}."


def _forget_that(memory: LongTermMemory, store: Store, user_msg: StoredMessage) -> str:
    earlier = [m for m in store.messages(user_msg.conversation_id, last=6) if m.id < user_msg.id]
    previous_user = next((m for m in reversed(earlier) if m.role == "user"), None)
    if previous_user is None:
        return "There's nothing earlier in this conversation for me to forget."
    # My reply to it may repeat what was said: it goes too.
    turns = [previous_user.id] + [
        m.id for m in earlier if m.id > previous_user.id and m.role == "assistant"
    ]
    done = forget_turns(memory.store, turns)
    return f"Okay. I've forgotten that: {done.summary() or 'nothing was left of it'}."


def _near(memory: LongTermMemory, target: str) -> list[Memory]:
    """Memories that share a significant word with the target (not the whole of it)."""
    words = [w for w in re.findall(r"\w+", target) if w.lower() not in _SMALL_WORDS]
    if not words:
        return []
    ids: list[int] = []
    for word in words:
        ids += [i for i in memories_about(memory.store, word) if i not in ids]
    known = [m for m in memory.store.get_many(ids) if m.kind != "episode"]
    return known[:SHOWN]


def _recent(memory: LongTermMemory) -> list[Memory]:
    known = [m for m in memory.store.list() if m.kind != "episode"]
    return known[-SHOWN:]


def _ask(question: str, shown: list[Memory]) -> str:
    if not shown:
        return f"{question} Tell me the name or the words, and I'll forget everything about them."
    lines = "\n".join(f"- #{m.id} {m.text}" for m in shown)
    return (
        f"{question}\n{lines}\nTell me the name or the words to forget "
        "(or `os1 memory forget ID --yes`)."
    )
