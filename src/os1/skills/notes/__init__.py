"""The notes skill: a folder of Markdown, text and PDF notes kept in long-term memory (so
recall finds them and cites the file), searched, and added to."""

from os1.skills.base import Toolkit
from os1.skills.notes.index import (
    MIGRATIONS,
    NotesWatcher,
    SyncReport,
    list_notes,
    notes_folder,
    sync_notes,
)
from os1.skills.notes.intents import add_note_intent, search_notes_intent, sync_notes_intent
from os1.skills.notes.tools import TOOLS, find_in_notes, write_note

__all__ = [
    "NotesWatcher",
    "SyncReport",
    "find_in_notes",
    "list_notes",
    "notes_folder",
    "sync_notes",
    "toolkit",
    "write_note",
]

toolkit = Toolkit(
    name="notes",
    tools=list(TOOLS),
    intents=[add_note_intent, search_notes_intent, sync_notes_intent],
    migrations=MIGRATIONS,
)
