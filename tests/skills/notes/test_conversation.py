"""Notes in conversation: "add a note that …" writes a new file at once (nothing is
overwritten, so there is nothing to confirm) and recall finds it straight away."""

from __future__ import annotations

from pathlib import Path

from os1.events import ConfirmationRequired, ToolResult, TurnDone
from os1.memory import LongTermMemory
from os1.mind.companion import Companion
from os1.models.scripted import ScriptedModel
from os1.skills import SkillContext, Skills
from os1.skills.calendar import toolkit as calendar_toolkit
from os1.skills.notes import sync_notes
from os1.skills.notes import toolkit as notes_toolkit
from tests.conftest import collect


def companion_for(ctx: SkillContext) -> Companion:
    return Companion(
        ctx.store,
        ScriptedModel("echo"),
        ctx.settings,
        skills=Skills([calendar_toolkit, notes_toolkit]),
        skill_context=ctx,
    )


async def test_add_a_note_writes_a_new_file_and_recall_finds_it(
    ctx: SkillContext, memory: LongTermMemory, folder: Path
) -> None:
    companion = companion_for(ctx)
    events = await collect(companion.turn("add a note that Amy's birthday is on 12 March"))
    assert not [e for e in events if isinstance(e, ConfirmationRequired)]
    (result,) = [e for e in events if isinstance(e, ToolResult)]
    assert result.status == "done" and result.name == "add_note"
    assert isinstance(events[-1], TurnDone)
    assert events[-1].text == "Noted. It's in your notes as 2026-11-30-amy-s-birthday-is-on-12.md."
    written = folder / "2026-11-30-amy-s-birthday-is-on-12.md"
    assert written.read_text() == (
        "# Amy's birthday is on 12 March\n\nAmy's birthday is on 12 March\n"
    )
    (hit, *_) = memory.recall.search("when is Amy's birthday?", k=3)
    assert "12 March" in hit.memory.text
    assert hit.memory.sources == ("note:2026-11-30-amy-s-birthday-is-on-12.md#0",)


async def test_a_new_note_never_overwrites_an_existing_file(
    ctx: SkillContext, folder: Path
) -> None:
    existing = folder / "2026-11-30-buy-oat-milk.md"
    existing.write_text("my own words")
    companion = companion_for(ctx)
    await collect(companion.turn("note that buy oat milk"))
    assert existing.read_text() == "my own words"
    assert (folder / "2026-11-30-buy-oat-milk-2.md").read_text().endswith("Buy oat milk\n")


async def test_searching_notes_in_conversation_cites_the_file(
    ctx: SkillContext, folder: Path
) -> None:
    (folder / "recipes.md").write_text("Grandma's pancakes: 2 eggs, 250 ml milk, 125 g flour.")
    sync_notes(ctx)
    events = await collect(companion_for(ctx).turn("what do my notes say about pancakes?"))
    assert events[-1].text.startswith("From your notes about “pancakes”:")  # type: ignore[union-attr]
    assert "- recipes.md: Grandma's pancakes" in events[-1].text  # type: ignore[union-attr]


async def test_sync_my_notes_reports_what_changed(ctx: SkillContext, folder: Path) -> None:
    (folder / "a.md").write_text("alpha")
    events = await collect(companion_for(ctx).turn("sync my notes"))
    assert events[-1].text == (  # type: ignore[union-attr]
        "Notes synced: 1 added, 0 changed, 0 removed, 0 unchanged."
    )


async def test_a_question_recalls_the_note_into_the_prompt_with_its_file(
    ctx: SkillContext, memory: LongTermMemory, folder: Path
) -> None:
    (folder / "amy.md").write_text("Amy loves jasmine tea and hates coffee.")
    sync_notes(ctx)
    model = ScriptedModel("echo")
    companion = Companion(
        ctx.store,
        model,
        ctx.settings,
        memory=memory,
        skills=Skills([notes_toolkit]),
        skill_context=ctx,
    )
    await collect(companion.turn("Which tea should I buy for Amy?"))
    prompt = "\n".join(m.content for m in model.calls[-1])
    assert "Note amy.md: Amy loves jasmine tea and hates coffee." in prompt
