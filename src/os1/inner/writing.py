"""The capable model's words for the inner life (a journal entry, yesterday's mood), checked
before they are kept: whatever it names must come from what the user said.

The inner life runs on worker threads (`asyncio.to_thread` in the turn), so the model's
stream is run to completion here; any model failure means the words composed in code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date

from os1.errors import ModelError
from os1.language import analyze
from os1.memory.consolidate import run_blocking
from os1.memory.model_extract import ask_model
from os1.models.base import ChatModel

log = logging.getLogger(__name__)

ModelFactory = Callable[[], ChatModel]

# What a journal may not invent: people, places and dates.
PEOPLE = {"PERSON"}
PLACES = {"GPE", "LOC", "FAC"}
DATES = {"DATE"}
CHECKED = PEOPLE | PLACES | DATES
# Words spaCy marks as dates that only point at the day being written about.
_THE_DAY = {"today", "tonight", "this morning", "this afternoon", "this evening", "the day"}


def ask(factory: ModelFactory, system: str, content: str, max_tokens: int) -> str | None:
    """The model's reply (stripped), or None when it failed or said nothing."""

    async def run() -> str:
        return await ask_model(factory(), system, content, max_tokens)

    try:
        reply = run_blocking(run())
    except ModelError as exc:  # the model is down or timed out: the composed words serve
        log.info("inner life: model not used: %s", exc)
        return None
    return reply.strip() or None


def invented(text: str, sources: str, day: date, also: Iterable[str] = ()) -> list[str]:
    """The people, places and dates in `text` that `sources` (the day's memories) never
    mention (nor `also`): an entry that names any of them is not kept."""
    known = " ".join(sources.lower().split())
    allowed = (
        _THE_DAY
        | {a.lower() for a in also}
        | {
            day.strftime("%A").lower(),
            day.isoformat(),
            f"{day.strftime('%A')} {day.isoformat()}".lower(),
        }
    )
    found: list[str] = []
    for entity in analyze(text).entities:
        if entity.label not in CHECKED:
            continue
        said = " ".join(entity.text.lower().split()).removeprefix("the ")
        if said in allowed or said in known:
            continue
        found.append(entity.text)
    return found
