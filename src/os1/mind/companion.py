"""The companion's turn: store the user's words, decide by policy or ask the model, stream
the reply as typed events, and store the reply as it completes (or as cancelled)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from os1.config import Settings
from os1.errors import EmptyMessage, OS1Error
from os1.events import (
    ConfirmationRequired,
    Event,
    MemoryRecalled,
    SafetyNotice,
    TextDelta,
    ToolCall,
    TurnDone,
    TurnError,
    TurnStarted,
)
from os1.mcp.config import has_servers
from os1.memory import context_line, context_message
from os1.memory.answers import MemoryAnswer, answer_question
from os1.memory.intents import answer_memory_request
from os1.mind import safety, small_model
from os1.mind.persona import Identity, system_prompt
from os1.mind.prompt import compose_prompt
from os1.models.base import ChatModel, Message
from os1.skills.base import PlannedCall, quote_untrusted
from os1.skills.runner import ToolRunner, confirmation_prompt
from os1.storage.base import DialogueLine, MessageStatus, Store, StoredMessage

if TYPE_CHECKING:
    from os1.inner.life import InnerLife, Opener
    from os1.memory import Hit, LongTermMemory
    from os1.skills import Skills
    from os1.skills.base import SkillContext

# Fewest tokens a stored message costs in a prompt (template overhead plus a word or two):
# reading more than context_window / this many rows could never fit, so we don't.
MIN_TOKENS_PER_MESSAGE = 8
# Messages read for the prompt's history before checking whether more could fit.
FIRST_PAGE = 48
# Share of the context window that recalled memories may take.
MEMORY_SHARE = 0.2

log = logging.getLogger(__name__)


class Companion:
    """One user's companion: a store, a model, optionally a long-term memory."""

    def __init__(
        self,
        store: Store,
        model: ChatModel,
        settings: Settings,
        *,
        memory: LongTermMemory | None = None,
        consolidate_in_background: bool = False,
        today: Callable[[], date] = date.today,
        skills: Skills | None = None,
        skill_context: SkillContext | None = None,
    ) -> None:
        self.store = store
        self.model = model
        self.settings = settings
        self.memory = memory
        self.consolidate_in_background = consolidate_in_background
        self._today = today
        self._background: asyncio.Task[int] | None = None
        self._openers: dict[int, tuple[str, str]] = {}  # inner life: conversation -> line
        # Small-model profile: the message id each conversation's history window starts at.
        self._windows: dict[int, int] = {}
        # -- MCP: the tools of the servers in [mcp.servers], for a model that calls tools
        if skills is not None and has_servers(settings):
            from os1.mcp.client import with_mcp_tools

            skills = with_mcp_tools(skills, settings)
        # -- end MCP
        self.skills = skills
        self.skill_context = skill_context
        if skills is not None and skill_context is not None:
            skills.prepare(skill_context)

    @property
    def identity(self) -> Identity:
        return Identity.load(self.store)

    def conversation_for(self, conversation_id: int | None, new: bool = False) -> int:
        if conversation_id is not None:
            return self.store.own_conversation(conversation_id)
        latest = None if new else self.store.latest_conversation_id()
        return latest if latest is not None else self.store.create_conversation().id

    async def turn(
        self,
        text: str,
        conversation_id: int | None = None,
        *,
        new: bool = False,
        interrupted_text: Callable[[], str] | None = None,
    ) -> AsyncGenerator[Event, None]:
        """One exchange. The user's message is committed before anything else happens.

        `interrupted_text` (voice) says what was actually spoken aloud: if the turn is
        cancelled by a barge-in, only that is kept, marked interrupted.
        """
        if not text.strip():
            yield _error(EmptyMessage("there is nothing to say in that message"))
            return
        # The store, the memory and the language checks block: they run on worker threads,
        # a few calls per turn, so one event loop serves every user's turn. Taking the words
        # in and considering them (the inner life, the policies, the opener and the skill
        # plan) share one trip: each trip costs the loop and a worker a wake-up.
        try:
            (conv, user_msg, identity), (inner, policy, opener, planned) = await asyncio.to_thread(
                self._take_in_and_consider, text, conversation_id, new
            )
        except OS1Error as exc:
            yield _error(exc)
            return
        yield TurnStarted(conversation_id=conv, user_message_id=user_msg.id)

        if policy is not None:
            kind, reply = policy
            if kind != "memory":
                yield SafetyNotice(kind=kind)
            yield TextDelta(text=reply)
            # A memory request's reply is about memory itself: not worth remembering.
            stored = await self._store_reply(
                conv, reply, "complete", {"policy": kind}, remember=kind != "memory"
            )
            yield TurnDone(
                conversation_id=conv, message_id=stored.id, text=reply, status="complete"
            )
            return

        # -- inner life: an anniversary, a thread whose day has passed, yesterday's mood. It
        # opens the reply and is kept as part of it (one assistant message, roles alternate).
        if opener is not None:
            self._openers[conv] = (opener.text, opener.kind)
            yield TextDelta(text=opener.text + "\n\n")
        # -- end inner life

        if planned is not None:
            async for event in self._opened(conv, self._skill_reply(conv, *planned), opener):
                yield event
            if inner is not None:  # inner life, after the reply
                await asyncio.to_thread(inner.open_threads, user_msg)
            return

        # Small-model profile: questions about what the user told OS1 answered from memory.
        if self.memory is not None and small_model.profile_enabled(self.settings, self.model):
            answered = await asyncio.to_thread(
                answer_question, self.memory, text, identity.user_name
            )
            if answered is not None:
                async for event in self._opened(conv, self._memory_answer(conv, answered), opener):
                    yield event
                if inner is not None:  # inner life, after the reply
                    await asyncio.to_thread(inner.open_threads, user_msg)
                return

        replying = self._model_reply(conv, user_msg, identity, interrupted_text)
        async for event in self._opened(conv, replying, opener):
            yield event
        if inner is not None:  # inner life: after the reply, so nobody waits for the parse
            await asyncio.to_thread(inner.open_threads, user_msg)
        self._consolidate_later()

    async def _opened(
        self, conv: int, events: AsyncIterator[Event], opener: Opener | None
    ) -> AsyncIterator[Event]:
        """The reply's events, its final text starting with the inner life's opener line."""
        try:
            async with contextlib.aclosing(events):  # type: ignore[type-var]
                async for event in events:
                    if opener is not None and isinstance(event, TurnDone):
                        text = f"{opener.text}\n\n{event.text}"
                        event = event.model_copy(update={"text": text})
                    yield event
        finally:
            self._openers.pop(conv, None)  # a reply that stored nothing leaves no line behind

    def _take_in(
        self, text: str, conversation_id: int | None, new: bool
    ) -> tuple[int, StoredMessage, Identity]:
        """Commit the user's words (and keep them as an episode) before anything else."""
        conv = self.conversation_for(conversation_id, new)
        user_msg = self.store.add_message(conv, "user", text)
        identity = self.identity
        if self.memory is not None:
            self.memory.remember_turn(user_msg, identity.user_name or "user")
        return conv, user_msg, identity

    def _take_in_and_consider(
        self, text: str, conversation_id: int | None, new: bool
    ) -> tuple[
        tuple[int, StoredMessage, Identity],
        tuple[
            InnerLife | None,
            tuple[PolicyKind, str] | None,
            Opener | None,
            tuple[str, list[PlannedCall]] | None,
        ],
    ]:
        """The user's words committed (first, whatever follows), then considered."""
        taken = self._take_in(text, conversation_id, new)
        _, user_msg, identity = taken
        return taken, self._consider(text, identity, user_msg)

    def _consider(
        self, text: str, identity: Identity, user_msg: StoredMessage
    ) -> tuple[
        InnerLife | None,
        tuple[PolicyKind, str] | None,
        Opener | None,
        tuple[str, list[PlannedCall]] | None,
    ]:
        """The inner life takes in the message; then the replies decided in code; when none
        is, the inner life's opening line and the skill an intent recognises."""
        with self.store.steady():  # the profile is read about ten times here
            inner = self._inner_life(user_msg)
            policy = self._policy_reply(text, identity, user_msg)
            if policy is not None:
                return inner, policy, None, None
            return inner, None, *self._opener_and_plan(inner, text)

    def _opener_and_plan(
        self, inner: InnerLife | None, text: str
    ) -> tuple[Opener | None, tuple[str, list[PlannedCall]] | None]:
        """The inner life's opening line, if any; then the skill an intent recognises."""
        opener = inner.opener() if inner is not None else None
        if self.skills is None or self.skill_context is None:
            return opener, None
        # Only the user's own words reach the intents: never text from a mail or a file.
        return opener, self.skills.plan(text, self.skill_context)

    def _self_summary(self) -> str | None:
        """The companion's grown self, for the prompt after the persona (None when off)."""
        from os1.inner.life import enabled
        from os1.inner.self import Self

        return (Self(self.store).summary() or None) if enabled(self.settings) else None

    def _inner_life(self, user_msg: StoredMessage) -> InnerLife | None:
        """The inner life, having observed this message (None when it is off)."""
        from os1.inner.life import InnerLife, enabled

        if not enabled(self.settings):
            return None
        # A capable model (the one consolidation asks, where there is one) writes the journal
        # and words yesterday's mood; the small model leaves both to code.
        model = self.memory.consolidator.model_factory if self.memory is not None else None
        inner = InnerLife(self.store, self.settings, model=model)
        # -- journal: days that ended (or went quiet) without an entry, before this message
        if self.memory is not None:
            from os1.inner.journal import catch_up

            catch_up(
                self.store,
                self.memory.store,
                inner.now,
                self.settings.journal_after_minutes,
                model,
            )
        # -- end journal
        inner.observe(user_msg)
        return inner

    async def _skill_reply(
        self, conv: int, intent_name: str, calls: list[PlannedCall]
    ) -> AsyncIterator[Event]:
        """OS work recognised in code: run the tools, ask before any side effect."""
        assert self.skills is not None and self.skill_context is not None
        runner = ToolRunner(self.skills, self.skill_context)
        call_ids: list[str] = []
        async for event in runner.run(conv, calls, "intent"):
            if isinstance(event, ToolCall):
                call_ids.append(event.call_id)
            yield event
        parts = [o.text for o in runner.outputs if o.text.strip()]
        if runner.pending:
            parts.append(confirmation_prompt([r.summary for r in runner.pending]))
        reply = "\n\n".join(parts) or "Done."
        yield TextDelta(text=reply)
        meta: dict[str, object] = {"policy": "skill", "intent": intent_name, "tool_calls": call_ids}
        if any(o.untrusted for o in runner.outputs):
            meta["untrusted"] = True
        stored = await self._store_reply(conv, reply, "complete", meta, remember=False)
        yield TurnDone(conversation_id=conv, message_id=stored.id, text=reply, status="complete")

    async def decide(self, call_id: str, approve: bool) -> AsyncGenerator[Event, None]:
        """The user confirms (or declines) one pending action, by its id."""
        if self.skills is None or self.skill_context is None:
            yield _error(OS1Error("this companion has no skills to confirm"))
            return
        runner = ToolRunner(self.skills, self.skill_context)
        try:
            conv = (await asyncio.to_thread(self.store.get_tool_call, call_id)).conversation_id
            result = await runner.decide(call_id, approve)
        except OS1Error as exc:
            yield _error(exc)
            return
        yield result
        reply = result.output
        yield TextDelta(text=reply)
        meta: dict[str, object] = {
            "policy": "skill",
            "decision": result.status,
            "tool_calls": [call_id],
        }
        if any(o.untrusted for o in runner.outputs):
            meta["untrusted"] = True
        stored = await self._store_reply(conv, reply, "complete", meta, remember=False)
        yield TurnDone(conversation_id=conv, message_id=stored.id, text=reply, status="complete")

    def _policy_reply(
        self, text: str, identity: Identity, user_msg: StoredMessage
    ) -> tuple[PolicyKind, str] | None:
        """Replies decided in code, never left to the model."""
        if len(text) > 2 * POLICY_SCAN_CHARS:
            text = text[:POLICY_SCAN_CHARS] + "\n" + text[-POLICY_SCAN_CHARS:]
        signal, asks_if_human = safety.read_message(text)
        if signal is not None:
            return "crisis", safety.crisis_reply(
                signal, identity.user_name, identity.companion_name
            )
        if asks_if_human:
            return "ai_disclosure", safety.AI_DISCLOSURE
        if self.memory is not None:
            reply = answer_memory_request(self.memory, self.store, text, user_msg, identity)
            if reply is not None:
                return "memory", reply
        return None

    async def _memory_answer(self, conv: int, answered: MemoryAnswer) -> AsyncIterator[Event]:
        """A reply composed from recalled facts (small-model profile), citing them."""
        meta: dict[str, object] = {
            "policy": "memory_answer",
            "memories": [h.memory.id for h in answered.hits],
        }
        if answered.hits:
            yield MemoryRecalled(memories=[h.as_dict() for h in answered.hits])
        yield TextDelta(text=answered.text)
        # It repeats a memory: storing it as one again would only duplicate it.
        stored = await self._store_reply(conv, answered.text, "complete", meta, remember=False)
        yield TurnDone(
            conversation_id=conv, message_id=stored.id, text=answered.text, status="complete"
        )

    def _history_scan(self) -> int:
        return max(32, self.model.context_window // MIN_TOKENS_PER_MESSAGE)

    def _recent_dialogue(self, conv: int) -> list[DialogueLine]:
        """As much recent dialogue as could fit the context: a first page is usually enough;
        read further back only when that page did not fill the window."""
        scan = self._history_scan()
        lines = self.store.dialogue(conv, min(FIRST_PAGE, scan))
        if len(lines) < min(FIRST_PAGE, scan) or scan <= FIRST_PAGE:
            return lines
        count = self.model.count_message_tokens
        if sum(count(Message(m.role, m.content)) for m in lines) >= self.model.context_window:
            return lines
        return self.store.dialogue(conv, scan)

    def _history_self_and_recall(
        self, conv: int, user_msg: StoredMessage, recall: bool
    ) -> tuple[list[DialogueLine], str | None, list[Hit]]:
        """The recent dialogue, the self and (when `recall` and there is a memory) the
        memories for the prompt, leaving out those the dialogue already shows."""
        with self.store.steady():
            dialogue, self_summary = self._recent_dialogue(conv), self._self_summary()
        hits: list[Hit] = []
        if recall and self.memory is not None:
            hits = self.memory.relevant(
                user_msg.content,
                exclude_sources={f"msg:{m.id}" for m in dialogue} | {f"msg:{user_msg.id}"},
                budget_tokens=int(self.model.context_window * MEMORY_SHARE),
                count_tokens=self.model.count_tokens,
            )
        return dialogue, self_summary, hits

    async def _store_reply(
        self,
        conv: int,
        text: str,
        status: MessageStatus,
        meta: dict[str, object],
        *,
        remember: bool = True,
    ) -> StoredMessage:
        # Shielded: a reply being stored as a turn is cancelled is stored all the same.
        return await asyncio.shield(
            asyncio.to_thread(self._store_reply_now, conv, text, status, meta, remember)
        )

    def _store_reply_now(
        self, conv: int, text: str, status: MessageStatus, meta: dict[str, object], remember: bool
    ) -> StoredMessage:
        opener = self._openers.pop(conv, None)
        if opener is not None and status != "interrupted":  # what was spoken includes it
            text, meta = f"{opener[0]}\n\n{text}", {**meta, "inner": opener[1]}
        stored = self.store.add_message(conv, "assistant", text, status=status, meta=meta)
        if self.memory is not None and remember and text.strip():
            self.memory.remember_turn(stored, "assistant")
        return stored

    def keep_heard(self, message_id: int, heard: str) -> StoredMessage | None:
        """A reply written whole, then cut off by a barge-in while it was still being spoken
        (voice): keep only `heard`, marked interrupted, and remember that instead of the
        unspoken whole. None when nothing was heard of a remembered reply: forgetting its
        memories takes the reply with it."""
        stored = self.store.truncate_message(message_id, heard, "interrupted")
        if self.memory is None:
            return stored
        from os1.memory.store import message_source

        memories = self.memory.store
        remembered = memories.ids_with_source(message_source(message_id))
        if not remembered:
            return stored  # never remembered (a reply about memory itself): nothing to amend
        if not heard.strip():
            memories.forget(remembered)  # episodes take their turn with them
            return None
        # The episode of what was heard replaces the whole one in recall; the memory store
        # can't forget a turn's memories and keep the turn, so the old one stays as history.
        episode = self.memory.remember_turn(stored, "assistant")
        if episode is not None:
            for old in remembered:
                memories.supersede(old, episode)
        return stored

    async def _model_reply(
        self,
        conv: int,
        user_msg: StoredMessage,
        identity: Identity,
        interrupted_text: Callable[[], str] | None = None,
    ) -> AsyncIterator[Event]:
        produced: list[str] = []
        meta: dict[str, object] = {"model": f"{self.model.backend}:{self.model.name}"}
        gate: small_model.SentenceGate | None = None
        started = time.perf_counter()
        try:
            await self.model.load()
            small = small_model.profile_enabled(self.settings, self.model)
            # The history, the self and what recall finds are read in one trip to a thread.
            dialogue, self_summary, hits = await asyncio.to_thread(
                self._history_self_and_recall, conv, user_msg, not small
            )
            stored_history = [m for m in dialogue if m.id != user_msg.id]
            # Replies that carried outside text (a mail, a file) go back to the model only as
            # quoted data, and a turn that sees them may not call tools.
            tainted = any(m.untrusted for m in stored_history)
            history = [
                Message(
                    m.role,
                    quote_untrusted(m.content, "an earlier tool result")
                    if m.untrusted
                    else m.content,
                )
                for m in stored_history
            ]
            context = None
            # -- small-model profile: compact persona, last few turns, no recalled text to copy
            system = system_prompt(identity, self._today())
            reply_tokens = self.settings.max_reply_tokens
            if small:
                earlier = [m.content for m in stored_history if m.role == "assistant"]
                shots = small_model.persona_messages(identity, self._today())
                system = shots[0].content
                start = small_model.window_start(
                    [(m.id, m.role) for m in stored_history], self._windows.get(conv)
                )
                if start < len(stored_history):
                    self._windows[conv] = stored_history[start].id
                history = [*shots[1:], *history[start:]]
                reply_tokens = small_model.reply_tokens(self.settings)
            # -- end small-model profile
            if hits:
                # Untrusted memories (from a mail, a note, a tainted reply) taint this turn
                # exactly as a mail in the history does: quoted, and no tools.
                context = recalled_context(hits)
                tainted = tainted or any(h.memory.untrusted for h in hits)
                meta["memories"] = [h.memory.id for h in hits]
                yield MemoryRecalled(memories=[h.as_dict() for h in hits])
            messages = compose_prompt(
                system=system,
                history=history,
                user_message=user_msg.content,
                context_window=self.model.context_window,
                reply_tokens=reply_tokens,
                count=self.model.count_message_tokens,
                context=context,
                self_summary=self_summary,  # the self: after the persona
            )
            if tainted:
                # The reply is kept as conversation text marked untrusted: never a fact about
                # the user, never an instruction recalled later without quotes.
                meta["untrusted"] = True
            if self._model_calls_tools():
                async for event in self._tool_loop(conv, messages, produced, meta, tainted):
                    if isinstance(event, TextDelta) and "first_token_ms" not in meta:
                        meta["first_token_ms"] = round((time.perf_counter() - started) * 1000, 1)
                    yield event
                stream = _nothing()
            else:
                stream = self.model.stream(
                    messages,
                    max_tokens=reply_tokens,
                    temperature=self.settings.temperature,
                )
                if small:
                    gate = small_model.SentenceGate(user_msg.content, earlier, identity.user_name)
                    stream = small_model.gated(stream, gate, reply_tokens)
            async with contextlib.aclosing(stream):
                async for piece in stream:
                    if not produced:
                        meta["first_token_ms"] = round((time.perf_counter() - started) * 1000, 1)
                    produced.append(piece)
                    yield TextDelta(text=piece)
        except (asyncio.CancelledError, GeneratorExit):
            # Ctrl-C or a closed socket: keep what was written, marked as cancelled. A barge-in:
            # keep only what was spoken aloud, never the unspoken rest.
            if interrupted_text is not None:
                await self._store_reply(conv, interrupted_text(), "interrupted", meta)
            else:
                await self._store_reply(conv, "".join(produced), "cancelled", meta)
            raise
        except OS1Error as exc:
            stored_id = None
            if produced:
                meta["error"] = exc.code
                stored = await self._store_reply(conv, "".join(produced), "error", meta)
                stored_id = stored.id
            yield _error(exc, stored_id)
            return

        reply = "".join(produced).strip()
        if safety.claims_human(reply):
            # A small model may slip into claiming a body; the policy corrects it in the open.
            correction = " " + safety.HUMAN_CLAIM_CORRECTION
            yield TextDelta(text=correction)
            reply += correction
            meta["policy"] = "ai_disclosure"
        remember = True
        if gate is not None and gate.issues:
            meta["small_model"] = gate.issues
            # Words that spoke as the user or a human are never memory about anyone.
            remember = not (gate.role_confusion_seen or "replaced" in gate.issues)
        stored = await self._store_reply(conv, reply, "complete", meta, remember=remember)
        if gate is not None:  # the small-model profile: its next prompt is known already
            self._warm_next(conv, identity)
        yield TurnDone(conversation_id=conv, message_id=stored.id, text=reply, status="complete")

    def anticipate(self, text: str, conversation_id: int | None = None) -> None:
        """The user seems to have finished saying `text` (a voice turn, while the end-of-turn
        silence runs out): the local model evaluates the prompt the turn will send up to these
        words, so that when the turn comes only the template's last tokens are left before
        the reply. Nothing is stored, and nothing is decided: if the user goes on, the turn's
        prompt still shares everything before their words, which the cache keeps. Only for
        the small-model profile, whose prompt is known before the turn (a larger model's
        holds what recall finds for these words). Returns at once; the work is on a thread."""
        if not text.strip() or getattr(self.model, "prefill", None) is None:
            return
        if not small_model.profile_enabled(self.settings, self.model):
            return

        def warm() -> None:
            conv = conversation_id
            if conv is None:
                conv = self.store.latest_conversation_id()
                if conv is None:
                    return  # the first turn makes the conversation: nothing to evaluate yet
            # Two renderings that differ only after the user's words: the tokens they share
            # are the prompt up to the words' end, whatever the chat template.
            self._warm(conv, self.identity, (text, text + " and"))

        threading.Thread(target=warm, name="os1-anticipate", daemon=True).start()

    def _warm_next(self, conv: int, identity: Identity) -> None:
        """While the user reads (or hears) the reply, the local model evaluates the next
        prompt up to where their next words will go, so the next reply starts at once. On a
        thread of its own, not the event loop: a terminal's loop sleeps between turns."""
        if getattr(self.model, "prefill", None) is None:
            return
        thread = threading.Thread(
            target=self._warm, args=(conv, identity, ("Yes.", "No?")), name="os1-warm-next",
            daemon=True,
        )  # fmt: skip
        thread.start()

    def _warm(self, conv: int, identity: Identity, stand_ins: tuple[str, str]) -> None:
        """Evaluate the small-model prompt of `conv` up to where two renderings of the user's
        words (`stand_ins`) part. Blocking. Best effort: whatever goes wrong here, the turn
        simply evaluates it all itself."""
        try:
            lines = self._recent_dialogue(conv)
            # The window the next turn will choose: the same lines, the same start.
            start = small_model.window_start(
                [(m.id, m.role) for m in lines], self._windows.get(conv)
            )
            history = [
                Message(m.role, quote_untrusted(m.content, "an earlier tool result")
                        if m.untrusted else m.content)
                for m in lines[start:]
            ]  # fmt: skip
            shots = small_model.persona_messages(identity, self._today())
            summary = self._self_summary()

            def prompt(said: str) -> list[Message]:
                return compose_prompt(
                    system=shots[0].content,
                    history=[*shots[1:], *history],
                    user_message=said,
                    context_window=self.model.context_window,
                    reply_tokens=small_model.reply_tokens(self.settings),
                    count=self.model.count_message_tokens,
                    self_summary=summary,
                )

            self.model.prefill(prompt(stand_ins[0]), prompt(stand_ins[1]))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - an optimisation only; the turn does it all anyway
            log.debug("warming the prompt failed", exc_info=True)

    def _model_calls_tools(self) -> bool:
        if self.skills is None or self.skill_context is None or not self.skills.tools:
            return False
        mode = self.settings.model_tools
        return mode == "on" or (mode == "auto" and self.model.supports_tools)

    async def _tool_loop(
        self,
        conv: int,
        messages: list[Message],
        produced: list[str],
        meta: dict[str, object],
        tainted: bool,
    ) -> AsyncIterator[Event]:
        """A capable model calls skills itself. Side effects still wait for the user's
        confirmation; once outside text has entered the turn, no tool is offered again."""
        assert self.skills is not None and self.skill_context is not None
        runner = ToolRunner(self.skills, self.skill_context)
        wire: list[dict[str, Any]] = [{"role": m.role, "content": m.content} for m in messages]
        called: list[str] = []
        for round_number in range(MAX_TOOL_ROUNDS + 1):
            offered = [] if tainted or round_number == MAX_TOOL_ROUNDS else self.skills.schemas()
            step = await self.model.complete_with_tools(
                wire,
                offered,
                max_tokens=self.settings.max_reply_tokens,
                temperature=self.settings.temperature,
            )
            if not offered or not step.calls:
                # Calls the model asks for when none were offered are ignored, never run.
                if step.text:
                    produced.append(step.text)
                    yield TextDelta(text=step.text)
                break
            wire.append(
                {
                    "role": "assistant",
                    "content": step.text or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                        }
                        for c in step.calls
                    ],
                }
            )
            for request in step.calls:
                if request.error:
                    wire.append(
                        {"role": "tool", "tool_call_id": request.id, "content": request.error}
                    )
                    continue
                content = ""
                seen = len(runner.outputs)
                async for event in runner.run_one(
                    conv, PlannedCall(request.name, request.arguments), "model"
                ):
                    if isinstance(event, ToolCall):
                        called.append(event.call_id)
                    elif isinstance(event, ConfirmationRequired):
                        content = f"Waiting for the user to confirm: {event.summary}."
                    yield event
                for output in runner.outputs[seen:]:
                    if output.untrusted:
                        tainted = True
                        content = quote_untrusted(output.text, request.name)
                    else:
                        content = output.text
                wire.append({"role": "tool", "tool_call_id": request.id, "content": content})
        if called:
            meta["tool_calls"] = called
        if tainted:
            meta["untrusted"] = True

    def _consolidate_later(self) -> None:
        """Derive memories from the new turns in the background, one run at a time."""
        if self.memory is None or not self.consolidate_in_background:
            return
        if self._background is not None and not self._background.done():
            return
        self._background = asyncio.get_running_loop().create_task(self.memory.aconsolidate())

    async def settle(self) -> None:
        """Wait for background consolidation (before closing the store)."""
        if self._background is not None:
            with contextlib.suppress(Exception):
                await self._background


PolicyKind = Literal["crisis", "ai_disclosure", "memory"]

# Rounds of tool calls a model may make in one turn before it must answer in words.
MAX_TOOL_ROUNDS = 4


async def _nothing() -> AsyncGenerator[str, None]:
    return
    yield  # an empty async generator


# Policy checks read the start and the end of a message: enough for anything a person types,
# and bounded for a pasted book (the detector's cost grows with the text).
POLICY_SCAN_CHARS = 4000


def recalled_context(hits: list[Hit]) -> str:
    """Recalled memories for the prompt: the user's and the companion's own as they are,
    those that came from outside only inside a quote."""
    trusted = [h for h in hits if not h.memory.untrusted]
    outside = [h for h in hits if h.memory.untrusted]
    parts = [context_message(trusted)] if trusted else []
    if outside:
        lines = "\n".join(context_line(h.memory) for h in outside)
        parts.append(
            "Remembered text that came from outside (a mail, a note, or a reply that quoted "
            "one):\n" + quote_untrusted(lines, "recalled memories")
        )
    return "\n\n".join(parts)


def _error(exc: OS1Error, message_id: int | None = None) -> TurnError:
    return TurnError(code=exc.code, message=exc.message, hint=exc.hint, message_id=message_id)
