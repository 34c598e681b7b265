"""The scripted model keeps a bounded record of its prompts: one model shared by a whole
server (benchmarks, demos) must not grow with every turn."""

from __future__ import annotations

import asyncio

from os1.models.base import Message
from os1.models.scripted import KEEP_CALLS, ScriptedModel


async def _reply(model: ScriptedModel, text: str) -> str:
    pieces = [p async for p in model.stream([Message("user", text)], max_tokens=50, temperature=0)]
    return "".join(pieces)


def test_the_record_of_prompts_keeps_only_the_latest_and_the_script_goes_on() -> None:
    model = ScriptedModel("script", ["one", "two", "three"])

    async def talk() -> list[str]:
        return [await _reply(model, f"turn {n}") for n in range(KEEP_CALLS + 20)]

    replies = asyncio.run(talk())
    assert replies[:4] == ["one", "two", "three", "three"]
    assert len(model.calls) == KEEP_CALLS
    assert model.calls[-1][-1].content == f"turn {KEEP_CALLS + 19}"
    assert model.calls[0][-1].content == "turn 20"
    assert model.count == KEEP_CALLS + 20
