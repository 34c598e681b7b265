"""Long-term memory: every turn kept as an episode, facts derived off the hot path, hybrid
recall into the prompt, and the user in control (see, correct, forget, export, import)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from os1.memory.consolidate import COMPANION_SPEAKER, Consolidator
from os1.memory.embedders import DEFAULT_EMBEDDER, Embedder, get_embedder
from os1.memory.importers import ImportedMessage
from os1.memory.recall import Hit, Recall
from os1.memory.rerankers import Reranker, get_reranker
from os1.memory.store import Memory, MemoryStore, NewMemory, import_source, message_source
from os1.models.base import ChatModel
from os1.storage.base import Store, StoredMessage

__all__ = ["Hit", "LongTermMemory", "Memory", "MemoryStore", "NewMemory", "Recall"]


class LongTermMemory:
    """One user's memory: store, recall and consolidation over one database."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder | str = DEFAULT_EMBEDDER,
        *,
        model_factory: Callable[[], ChatModel] | None = None,
        reranker: Reranker | str | None = None,
    ) -> None:
        self.embedder = get_embedder(embedder) if isinstance(embedder, str) else embedder
        self.store = MemoryStore(store)
        self.reranker = get_reranker(reranker) if isinstance(reranker, str) else reranker
        self.recall = Recall(self.store, self.embedder, reranker=self.reranker)
        self.consolidator = Consolidator(self.store, self.embedder, model_factory=model_factory)

    def import_messages(self, messages: Sequence[ImportedMessage]) -> int:
        """Store imported messages as episodes, all or nothing; already imported ids are
        skipped, so importing a file twice adds nothing. Returns how many were added."""
        known = self.store.sources_with_prefix("import:")
        new = [m for m in messages if import_source(m.id) not in known]
        self.store.add_many(
            [
                NewMemory(
                    kind="episode",
                    text=f"{m.speaker}: {m.text}",
                    sources=(import_source(m.id),),
                    speaker=m.speaker,
                    said_at=m.time.isoformat() if m.time else None,
                    session=m.session,
                )
                for m in new
            ]
        )
        return len(new)

    def remember_turn(self, message: StoredMessage, speaker: str) -> int | None:
        """Keep a turn of conversation as an episodic memory (embedded later). A turn that
        carried outside text (its message is marked untrusted) stays untrusted as a memory."""
        is_companion = message.role == "assistant"
        return self.store.add(
            NewMemory(
                kind="episode",
                text=f"{speaker}: {message.content}" if not is_companion else message.content,
                sources=(message_source(message.id),),
                speaker=COMPANION_SPEAKER if is_companion else speaker,
                said_at=message.created_at,
                session=str(message.conversation_id),
                importance=0.2 if is_companion else 0.3,
                untrusted=bool(message.meta.get("untrusted")),
            )
        )

    def relevant(
        self,
        text: str,
        *,
        exclude_sources: set[str],
        budget_tokens: int,
        count_tokens: Callable[[str], int],
        k: int = 6,
        reference: datetime | None = None,
    ) -> list[Hit]:
        """The memories worth putting in the prompt for `text`, within a token budget.

        Memories already visible in the prompt's history are left out.
        """
        chosen: list[Hit] = []
        for hit in self.recall.search(text, k=k * 2, reference=reference):
            if exclude_sources.intersection(hit.memory.sources):
                continue
            cost = count_tokens(context_line(hit.memory)) + 1
            if cost > budget_tokens:
                continue
            budget_tokens -= cost
            chosen.append(hit)
            if len(chosen) == k:
                break
        return chosen

    def consolidate(self) -> int:
        return self.consolidator.run()

    async def aconsolidate(self) -> int:
        """`consolidate` for an event loop: blocking parts on threads, a model awaited."""
        return await self.consolidator.arun()


def context_line(memory: Memory) -> str:
    when = (memory.happened_at or memory.said_at or "")[:10]
    if memory.kind == "reflection" and any(s.startswith("journal:") for s in memory.sources):
        return f"- ({when}) From my journal: {memory.text}"
    return f"- ({when}) {memory.text}" if when else f"- {memory.text}"


def context_message(hits: list[Hit]) -> str:
    lines = "\n".join(context_line(h.memory) for h in hits)
    return (
        "Things you remember from earlier conversations that may matter now "
        "(use them only if relevant):\n" + lines
    )
