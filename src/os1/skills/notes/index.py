"""A folder of notes (Markdown, text, PDF) kept in long-term memory, so normal recall finds
them and answers can cite the file.

Each file becomes memories of its chunks, with the source `note:<relative path>#<chunk>`.
`sync_notes` compares every file with what was indexed (size and mtime first, then a hash)
and re-indexes only what changed; a file that is gone takes its memories with it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from os1.memory.store import MemoryStore, NewMemory
from os1.skills.base import SkillContext, ToolError
from os1.storage.base import Migrations, Store

log = logging.getLogger(__name__)

SOURCE_PREFIX = "note:"
TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text"})
SUFFIXES = TEXT_SUFFIXES | {".pdf"}

_SQLITE = [
    """
    CREATE TABLE notes_files (
        user_id TEXT NOT NULL,
        path TEXT NOT NULL,        -- relative to the notes folder, with '/'
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        chunks INTEGER NOT NULL,
        indexed_at TEXT NOT NULL,
        PRIMARY KEY (user_id, path)
    )
    """
]
# The same step for PostgreSQL: sizes and nanosecond times need 64 bits there.
_POSTGRESQL = [
    """
    CREATE TABLE notes_files (
        user_id TEXT NOT NULL,
        path TEXT NOT NULL,
        size BIGINT NOT NULL,
        mtime_ns BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        chunks BIGINT NOT NULL,
        indexed_at TEXT NOT NULL,
        PRIMARY KEY (user_id, path)
    )
    """
]
MIGRATIONS: Migrations = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}


class NotesConfig(BaseModel):
    """`[notes]`."""

    model_config = ConfigDict(extra="forbid")

    folder: Path | None = None  # default: <home>/notes
    chunk_chars: int = Field(900, ge=200, le=8000)
    max_file_mb: float = Field(20.0, gt=0)
    sync_seconds: float = Field(300.0, ge=1, description="How often the watcher syncs")


def notes_config(ctx: SkillContext) -> NotesConfig:
    try:
        return NotesConfig.model_validate(ctx.settings.notes)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ToolError(
            f"bad notes setting {where!r}: {first['msg']}", hint="Check [notes] in config.toml."
        ) from None


def notes_folder(ctx: SkillContext) -> Path:
    folder = notes_config(ctx).folder
    return (folder.expanduser() if folder else ctx.home / "notes").resolve()


def note_source(relative: str, chunk: int) -> str:
    return f"{SOURCE_PREFIX}{relative}#{chunk}"


def cited_file(source: str) -> str | None:
    """The note file a memory source points at ("ideas/tea.md"), or None."""
    if not source.startswith(SOURCE_PREFIX):
        return None
    return source[len(SOURCE_PREFIX) :].rsplit("#", 1)[0]


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged",
        ]
        text = "Notes synced: " + ", ".join(parts) + "."
        for path, reason in self.failed:
            text += f"\nCouldn't read {path}: {reason}"
        return text


# One sync at a time per user in this process: the watcher and a command may both ask, each
# with a store of its own. (By user id, not by store: two stores of one user are one folder.)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(store: Store) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(store.user_id, threading.Lock())


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue  # hidden files, editors' swap files, .git
        if path.suffix.lower() in SUFFIXES and path.is_file():
            yield path


def read_note(path: Path) -> str:
    """The text of a note; a PDF's text layer. Raises ToolError for an unreadable file."""
    if path.suffix.lower() != ".pdf":
        return path.read_bytes().decode("utf-8", errors="replace")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise ToolError("the PDF is encrypted", hint="Save an unlocked copy in the folder.")
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ToolError(f"not a readable PDF ({type(exc).__name__})") from None


_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def chunk_text(text: str, limit: int) -> list[str]:
    """Paragraphs packed into chunks of at most `limit` characters (long ones split)."""
    pieces: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        while len(paragraph) > limit:
            cut = max((m.end() for m in _SENTENCE.finditer(paragraph, 0, limit)), default=0)
            cut = cut or paragraph.rfind(" ", 0, limit) + 1 or limit
            pieces.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        if paragraph:
            pieces.append(paragraph)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 2 + len(piece) <= limit:
            chunks[-1] += "\n\n" + piece
        else:
            chunks.append(piece)
    return chunks


def note_memories(ctx: SkillContext) -> MemoryStore:
    return ctx.memory.store if ctx.memory is not None else MemoryStore(ctx.store)


def _note_ids(memories: MemoryStore, relative: str) -> list[int]:
    prefix = f"{SOURCE_PREFIX}{relative}#"
    return sorted(
        {i for s in memories.sources_with_prefix(prefix) for i in memories.ids_with_source(s)}
    )


def _index_file(
    ctx: SkillContext, path: Path, relative: str, digest: str, config: NotesConfig
) -> int:
    """Replace the file's memories with fresh ones; returns how many chunks it has."""
    text = read_note(path)
    chunks = chunk_text(text, config.chunk_chars)
    memories = note_memories(ctx)
    old = _note_ids(memories, relative)
    stat = path.stat()
    said_at = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
    # The old chunks go first: they share sources with the new ones, and forgetting follows
    # sources. A crash before the row is updated leaves the old hash, so the next sync redoes it.
    memories.forget(old)
    ids = memories.add_many(
        [
            NewMemory(
                kind="episode",
                text=f"Note {relative}: {chunk}",
                sources=(note_source(relative, number),),
                said_at=said_at,
                session=f"{SOURCE_PREFIX}{relative}",
                importance=0.4,
                untrusted=True,  # file content, as search_notes says: quoted data, never orders
            )
            for number, chunk in enumerate(chunks)
        ],
        consolidated=True,  # a note is not speech: no facts are derived from it
    )
    if ctx.memory is not None and ids:
        embedder = ctx.memory.embedder
        vectors = embedder.embed([f"{relative}: {c}" for c in chunks])
        memories.set_embeddings(
            embedder.model_id, [(i, v, v) for i, v in zip(ids, vectors, strict=True)]
        )
    with ctx.store.transaction() as db:
        db.execute(
            "INSERT INTO notes_files (user_id, path, size, mtime_ns, sha256, chunks, indexed_at) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT (user_id, path) DO UPDATE SET "
            "size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, "
            "chunks = excluded.chunks, indexed_at = excluded.indexed_at",
            (ctx.user_id, relative, stat.st_size, stat.st_mtime_ns, digest, len(chunks),
             datetime.now(UTC).isoformat(timespec="seconds")),
        )  # fmt: skip
    return len(chunks)


def _forget_file(ctx: SkillContext, relative: str) -> None:
    memories = note_memories(ctx)
    memories.forget(_note_ids(memories, relative))
    with ctx.store.transaction() as db:
        db.execute(
            "DELETE FROM notes_files WHERE user_id = ? AND path = ?", (ctx.user_id, relative)
        )


def prepare(ctx: SkillContext) -> Path:
    """Tables migrated and the folder present; returns the folder."""
    ctx.store.migrate_component("skill:notes", MIGRATIONS)
    folder = notes_folder(ctx)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolError(
            f"can't use the notes folder {folder}: {exc.strerror or exc}",
            hint="Set [notes] folder in config.toml to a folder you can write.",
        ) from None
    return folder


def sync_notes(ctx: SkillContext, only: list[Path] | None = None) -> SyncReport:
    """Bring the index up to date with the notes folder (or just the files in `only`)."""
    folder = prepare(ctx)
    config = notes_config(ctx)
    store = ctx.store
    report = SyncReport()
    with _lock_for(store):
        known = {
            r["path"]: r
            for r in store.query(
                "SELECT path, size, mtime_ns, sha256 FROM notes_files WHERE user_id = ?",
                (ctx.user_id,),
            )
        }
        files = list(_files(folder)) if only is None else [p for p in only if p.is_file()]
        seen: set[str] = set()
        for path in files:
            relative = path.relative_to(folder).as_posix()
            seen.add(relative)
            try:
                stat = path.stat()
                row = known.get(relative)
                if row and row["size"] == stat.st_size and row["mtime_ns"] == stat.st_mtime_ns:
                    report.unchanged += 1
                    continue
                if stat.st_size > config.max_file_mb * 1_000_000:
                    raise ToolError(f"larger than {config.max_file_mb:g} MB")
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                if row and row["sha256"] == digest:  # touched, not changed
                    _touch(store, ctx.user_id, relative, stat.st_size, stat.st_mtime_ns)
                    report.unchanged += 1
                    continue
                report.chunks += _index_file(ctx, path, relative, digest, config)
                (report.changed if row else report.added).append(relative)
            except ToolError as exc:
                report.failed.append((relative, exc.message))
            except OSError as exc:
                report.failed.append((relative, exc.strerror or str(exc)))
        if only is None:
            for relative in sorted(set(known) - seen):
                _forget_file(ctx, relative)
                report.removed.append(relative)
    if report.failed:
        log.warning("notes: %d file(s) could not be read", len(report.failed))
    return report


def _touch(store: Store, user_id: str, relative: str, size: int, mtime_ns: int) -> None:
    with store.transaction() as db:
        db.execute(
            "UPDATE notes_files SET size = ?, mtime_ns = ? WHERE user_id = ? AND path = ?",
            (size, mtime_ns, user_id, relative),
        )


@dataclass(frozen=True, slots=True)
class IndexedNote:
    path: str
    size: int
    chunks: int
    indexed_at: str


def list_notes(ctx: SkillContext) -> list[IndexedNote]:
    prepare(ctx)
    rows = ctx.store.query(
        "SELECT path, size, chunks, indexed_at FROM notes_files WHERE user_id = ? ORDER BY path",
        (ctx.user_id,),
    )
    return [IndexedNote(r["path"], r["size"], r["chunks"], r["indexed_at"]) for r in rows]


class NotesWatcher:
    """Syncs the notes folder every `interval` seconds on a thread of its own."""

    def __init__(self, ctx: SkillContext, interval: float | None = None) -> None:
        self.ctx = ctx
        self.interval = interval or notes_config(ctx).sync_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: SyncReport | None = None

    def start(self) -> NotesWatcher:
        self._thread = threading.Thread(target=self._run, name="os1-notes-sync", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.last = sync_notes(self.ctx)
            except Exception:  # a bad moment (disk, DB busy) must not end the watching
                log.exception("notes sync failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
