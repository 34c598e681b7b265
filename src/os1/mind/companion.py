"""The companion's turn: store the user's words, decide by policy or ask the model, stream
the reply as typed events, and store the reply as it completes (or as cancelled)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Literal

from os1.config import Settings
from os1.errors import EmptyMessage, OS1Error
from os1.events import Event, SafetyNotice, TextDelta, TurnDone, TurnError, TurnStarted
from os1.mind import safety
from os1.mind.persona import Identity, system_prompt
from os1.mind.prompt import compose_prompt
from os1.models.base import ChatModel, Message
from os1.storage.base import Store, StoredMessage

# Fewest tokens a stored message costs in a prompt (template overhead plus a word or two):
# reading more than context_window / this many rows could never fit, so we don't.
MIN_TOKENS_PER_MESSAGE = 8


class Companion:
    """One user's companion: a store, a model and the settings that join them."""

    def __init__(
        self,
        store: Store,
        model: ChatModel,
        settings: Settings,
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.store = store
        self.model = model
        self.settings = settings
        self._today = today

    @property
    def identity(self) -> Identity:
        return Identity.load(self.store)

    def conversation_for(self, conversation_id: int | None, new: bool = False) -> int:
        if conversation_id is not None:
            return self.store.get_conversation(conversation_id).id
        latest = None if new else self.store.latest_conversation()
        return latest.id if latest else self.store.create_conversation().id

    async def turn(
        self, text: str, conversation_id: int | None = None, *, new: bool = False
    ) -> AsyncIterator[Event]:
        """One exchange. The user's message is committed before anything else happens."""
        if not text.strip():
            yield _error(EmptyMessage("there is nothing to say in that message"))
            return
        try:
            conv = self.conversation_for(conversation_id, new)
            user_msg = self.store.add_message(conv, "user", text)
        except OS1Error as exc:
            yield _error(exc)
            return
        yield TurnStarted(conversation_id=conv, user_message_id=user_msg.id)

        identity = self.identity
        policy_reply = _policy_reply(text, identity)
        if policy_reply is not None:
            kind, reply = policy_reply
            yield SafetyNotice(kind=kind)
            yield TextDelta(text=reply)
            stored = self.store.add_message(conv, "assistant", reply, meta={"policy": kind})
            yield TurnDone(
                conversation_id=conv, message_id=stored.id, text=reply, status="complete"
            )
            return

        async for event in self._model_reply(conv, user_msg, identity):
            yield event

    def _history_scan(self) -> int:
        return max(32, self.model.context_window // MIN_TOKENS_PER_MESSAGE)

    async def _model_reply(
        self, conv: int, user_msg: StoredMessage, identity: Identity
    ) -> AsyncIterator[Event]:
        produced: list[str] = []
        meta: dict[str, object] = {"model": f"{self.model.backend}:{self.model.name}"}
        started = time.perf_counter()
        try:
            await self.model.load()
            history = [
                Message(m.role, m.content)  # type: ignore[arg-type]
                for m in self.store.messages(conv, last=self._history_scan())
                if m.id != user_msg.id and m.role in ("user", "assistant") and m.content
            ]
            messages = compose_prompt(
                system=system_prompt(identity, self._today()),
                history=history,
                user_message=user_msg.content,
                context_window=self.model.context_window,
                reply_tokens=self.settings.max_reply_tokens,
                count=self.model.count_message_tokens,
            )
            stream = self.model.stream(
                messages,
                max_tokens=self.settings.max_reply_tokens,
                temperature=self.settings.temperature,
            )
            async with contextlib.aclosing(stream):
                async for piece in stream:
                    if not produced:
                        meta["first_token_ms"] = round((time.perf_counter() - started) * 1000, 1)
                    produced.append(piece)
                    yield TextDelta(text=piece)
        except (asyncio.CancelledError, GeneratorExit):
            # Ctrl-C, a closed socket or a barge-in: keep what was said, marked as cancelled.
            self.store.add_message(
                conv, "assistant", "".join(produced), status="cancelled", meta=meta
            )
            raise
        except OS1Error as exc:
            stored_id = None
            if produced:
                meta["error"] = exc.code
                partial = self.store.add_message(
                    conv, "assistant", "".join(produced), status="error", meta=meta
                )
                stored_id = partial.id
            yield _error(exc, stored_id)
            return

        reply = "".join(produced).strip()
        if safety.claims_human(reply):
            # A small model may slip into claiming a body; the policy corrects it in the open.
            correction = " " + safety.HUMAN_CLAIM_CORRECTION
            yield TextDelta(text=correction)
            reply += correction
            meta["policy"] = "ai_disclosure"
        stored = self.store.add_message(conv, "assistant", reply, meta=meta)
        yield TurnDone(conversation_id=conv, message_id=stored.id, text=reply, status="complete")


PolicyKind = Literal["crisis", "ai_disclosure"]

# Policy checks read the start and the end of a message: enough for anything a person types,
# and bounded for a pasted book (the detector's cost grows with the text).
POLICY_SCAN_CHARS = 4000


def _policy_reply(text: str, identity: Identity) -> tuple[PolicyKind, str] | None:
    """Replies decided in code, never left to the model."""
    if len(text) > 2 * POLICY_SCAN_CHARS:
        text = text[:POLICY_SCAN_CHARS] + "\n" + text[-POLICY_SCAN_CHARS:]
    signal = safety.detect_crisis(text)
    if signal is not None:
        return "crisis", safety.crisis_reply(signal, identity.user_name, identity.companion_name)
    if safety.asks_if_human(text):
        return "ai_disclosure", safety.AI_DISCLOSURE
    return None


def _error(exc: OS1Error, message_id: int | None = None) -> TurnError:
    return TurnError(code=exc.code, message=exc.message, hint=exc.hint, message_id=message_id)
