"""A notes folder kept in long-term memory: recall follows files added, changed and removed,
and every memory cites its file."""

from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF

from os1.memory import LongTermMemory
from os1.skills import SkillContext
from os1.skills.notes import NotesWatcher, list_notes, sync_notes
from os1.skills.notes.index import chunk_text, note_source
from os1.skills.notes.tools import search_notes
from os1.storage import SQLiteStore


def recalled(memory: LongTermMemory, query: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(h.memory.text, h.memory.sources) for h in memory.recall.search(query, k=5)]


def note_sources(memory: LongTermMemory) -> set[str]:
    return memory.store.sources_with_prefix("note:")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_added_notes_are_found_by_recall_with_their_file(
    ctx: SkillContext, memory: LongTermMemory, folder: Path
) -> None:
    write(folder / "people" / "amy.md", "# Amy\n\nAmy loves jasmine tea and hates coffee.\n")
    write(folder / "ideas.txt", "Build a treehouse in the garden next spring.\n")
    report = sync_notes(ctx)
    assert (sorted(report.added), report.failed) == (["ideas.txt", "people/amy.md"], [])
    (text, sources), *_ = recalled(memory, "what tea does Amy like?")
    assert "jasmine tea" in text and "people/amy.md" in text
    assert sources == (note_source("people/amy.md", 0),)


def test_a_changed_note_replaces_its_old_memories(
    ctx: SkillContext, memory: LongTermMemory, folder: Path
) -> None:
    note = folder / "amy.md"
    write(note, "Amy loves jasmine tea.\n")
    sync_notes(ctx)
    write(note, "Amy now prefers rooibos.\n")
    os.utime(note, ns=(note.stat().st_atime_ns, note.stat().st_mtime_ns + 1_000_000_000))
    report = sync_notes(ctx)
    assert report.changed == ["amy.md"]
    texts = [t for t, _ in recalled(memory, "Amy jasmine rooibos")]
    assert any("rooibos" in t for t in texts)
    assert not any("jasmine" in t for t in texts)


def test_a_removed_note_takes_its_memories_with_it(
    ctx: SkillContext, memory: LongTermMemory, folder: Path
) -> None:
    write(folder / "secret.md", "The spare key is under the blue flowerpot.\n")
    write(folder / "keep.md", "Bins go out on Tuesday.\n")
    sync_notes(ctx)
    assert any("flowerpot" in t for t, _ in recalled(memory, "where is the spare key"))
    (folder / "secret.md").unlink()
    report = sync_notes(ctx)
    assert report.removed == ["secret.md"]
    assert not any("flowerpot" in t for t, _ in recalled(memory, "where is the spare key"))
    assert note_sources(memory) == {note_source("keep.md", 0)}
    assert [n.path for n in list_notes(ctx)] == ["keep.md"]


def test_an_untouched_folder_syncs_to_no_change(
    ctx: SkillContext, memory: LongTermMemory, folder: Path
) -> None:
    write(folder / "a.md", "alpha\n")
    sync_notes(ctx)
    before = memory.store.count()
    (folder / "a.md").touch()  # a new mtime, the same content: nothing to redo
    report = sync_notes(ctx)
    assert (report.added, report.changed, report.removed, report.unchanged) == ([], [], [], 1)
    assert memory.store.count() == before


def test_a_pdf_note_is_indexed_from_its_text(
    ctx: SkillContext, memory: LongTermMemory, folder: Path
) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 10, "Boiler service is booked with Hansen Heating every October.")
    pdf.output(str(folder / "house.pdf"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    report = sync_notes(ctx)
    assert report.added == ["house.pdf"]
    ((broken, reason),) = report.failed
    assert broken == "broken.pdf" and reason.startswith("not a readable PDF")
    (text, sources), *_ = recalled(memory, "who services the boiler?")
    assert "Hansen Heating" in text and sources == (note_source("house.pdf", 0),)


def test_search_notes_answers_with_snippets_that_cite_the_file(
    ctx: SkillContext, folder: Path
) -> None:
    write(folder / "garden.md", "Plant the tulip bulbs in October, 15 cm deep.\n\nWater weekly.")
    write(folder / "work.md", "Quarterly report due in January.")
    sync_notes(ctx)
    result = search_notes.func(ctx, "tulip bulbs")
    assert result.untrusted
    assert result.text.splitlines()[0] == "From your notes about “tulip bulbs”:"
    assert "- garden.md: Plant the tulip bulbs in October, 15 cm deep." in result.text
    assert "work.md" not in result.text
    assert search_notes.func(ctx, "saxophone").text == "Nothing in your notes about “saxophone”."


def test_search_works_without_long_term_memory(
    store: SQLiteStore, home: Path, folder: Path
) -> None:
    from os1.config import Settings

    settings = Settings(model="scripted:echo", memory=False, notes={"folder": str(folder)})
    ctx = SkillContext(store=store, settings=settings, home=home)
    write(folder / "garden.md", "Plant the tulip bulbs in October.")
    sync_notes(ctx)
    assert "garden.md: Plant the tulip bulbs" in search_notes.func(ctx, "tulips bulbs").text


def test_hidden_files_and_other_types_are_left_alone(ctx: SkillContext, folder: Path) -> None:
    write(folder / ".obsidian" / "workspace.md", "editor state")
    write(folder / "photo.jpg", "not text")
    write(folder / "real.md", "a real note")
    assert sync_notes(ctx).added == ["real.md"]


def test_one_users_notes_are_not_recalled_for_another(
    ctx: SkillContext, folder: Path, home: Path
) -> None:
    from os1.memory.embedders import HashingEmbedder

    write(folder / "secret.md", "The spare key is under the blue flowerpot.\n")
    sync_notes(ctx)
    other = SQLiteStore(home / "os1.db", user_id="bob")
    try:
        bob = LongTermMemory(other, HashingEmbedder())
        assert bob.recall.search("spare key flowerpot") == []
    finally:
        other.close()


def test_the_watcher_keeps_the_index_up_to_date(ctx: SkillContext, folder: Path) -> None:
    import time

    write(folder / "first.md", "first note")
    watcher = NotesWatcher(ctx, interval=0.05).start()
    try:
        deadline = time.monotonic() + 30
        write(folder / "second.md", "second note")
        while {n.path for n in list_notes(ctx)} != {"first.md", "second.md"}:
            assert time.monotonic() < deadline, "the watcher never indexed the new note"
            time.sleep(0.05)
    finally:
        watcher.stop()


def test_long_text_is_cut_into_chunks_at_sentences() -> None:
    text = "One sentence here. " * 40 + "\n\nA short paragraph."
    chunks = chunk_text(text, 200)
    assert all(len(c) <= 200 for c in chunks)
    assert chunks[0].endswith("here.")
    assert " ".join(" ".join(c.split()) for c in chunks) == " ".join(text.split())


def test_a_search_sees_files_added_since_the_last_sync(ctx: SkillContext, folder: Path) -> None:
    write(folder / "late.md", "The plumber comes on Thursday morning.")
    assert "late.md: The plumber comes" in search_notes.func(ctx, "plumber").text
