"""Parse past conversations from files into validated messages for long-term memory.

Every parser validates the whole file before returning: it returns every message or raises
ImportFormatError, never a partial list, so a caller that stores the result in one
transaction imports all of a file or nothing.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from os1.errors import OS1Error

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_TEXT_CHARS = 200_000

_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_CHATGPT_SPEAKERS = frozenset({"user", "assistant"})
# Content types whose `parts` hold what the user saw; others (code, browsing output,
# thoughts, custom instructions) are tool plumbing, not conversation.
_CHATGPT_TEXT_TYPES = frozenset({"text", "multimodal_text"})


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    """One message of an imported conversation."""

    id: str
    speaker: str
    text: str
    time: datetime | None
    session: str | None
    line: int | None


class ImportFormatError(OS1Error):
    """The file cannot be imported; the message names the file, where, and what is wrong."""

    exit_code = 2
    code = "bad_import"
    default_hint = "Fix the file and run the import again; nothing from it was imported."


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN/Infinity by default; they are not JSON and make no sense as
    # timestamps, so refuse them at parse time.
    raise ValueError(f"{name} is not valid JSON")


def _check_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if size > max_bytes:
        raise ImportFormatError(
            f"{path}: the file is {size:,} bytes, larger than the {max_bytes:,}-byte limit",
            hint="Split the file, or raise the size limit.",
        )


def _encodable(value: str) -> bool:
    # json.loads turns a lone "\ud800" escape into a surrogate that cannot be stored as
    # UTF-8; catching it here keeps the failure a clear import error, not a storage crash.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _from_unix(value: float) -> datetime:
    if math.isnan(value) or math.isinf(value):
        raise ValueError("not a finite number")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("out of range") from exc


def _parse_time(value: Any) -> datetime | None:
    """ISO-8601 string (zone → aware UTC, none → naive) or unix seconds (aware UTC)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("expected an ISO-8601 string or a unix timestamp, got true/false")
    if isinstance(value, int | float):
        return _from_unix(float(value))
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 string or a unix timestamp, got {_kind(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO-8601 date/time") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# ---------------------------------------------------------------------------------------------
# Generic JSONL


def _iter_lines(path: Path, max_bytes: int) -> Iterator[tuple[int, int, bytes]]:
    """Yield (line number, byte offset, raw line) without reading the whole file."""
    read = 0
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                offset = read
                read += len(raw)
                # The size was checked up front; counting again guards files that grow while
                # read, and pipes or special files whose stat size is 0.
                if read > max_bytes:
                    raise ImportFormatError(
                        f"{path}: line {number}: the file is larger than the "
                        f"{max_bytes:,}-byte limit",
                        hint="Split the file, or raise the size limit.",
                    )
                yield number, offset, raw
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _optional_str(record: Mapping[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ImportFormatError(f"{where}: '{key}' must be a string, got {_kind(value)}")
    text = str(value).strip()
    if not _encodable(text):
        raise ImportFormatError(f"{where}: '{key}' contains an invalid \\u escape")
    return text or None


def _required_str(record: Mapping[str, Any], key: str, where: str) -> str:
    if key not in record or record[key] is None:
        raise ImportFormatError(f"{where}: missing '{key}'")
    value = record[key]
    if not isinstance(value, str):
        raise ImportFormatError(f"{where}: '{key}' must be a string, got {_kind(value)}")
    if not value.strip():
        raise ImportFormatError(f"{where}: '{key}' is empty")
    if not _encodable(value):
        raise ImportFormatError(f"{where}: '{key}' contains an invalid \\u escape")
    return value


def parse_jsonl(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
) -> list[ImportedMessage]:
    """Parse one JSON message object per line; blank lines are skipped, extra keys ignored."""
    path = Path(path)
    _check_size(path, max_bytes)
    messages: list[ImportedMessage] = []
    seen: dict[str, int] = {}
    for number, offset, raw in _iter_lines(path, max_bytes):
        where = f"{path}: line {number}"
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
            offset += len(_BOM)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"{where}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte offset "
                f"{offset + exc.start} of the file)",
                hint="Save the file as UTF-8 and import it again; nothing was imported.",
            ) from exc
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(
                f"{where}: invalid JSON: {exc.msg} (column {exc.colno})"
            ) from exc
        except ValueError as exc:
            raise ImportFormatError(f"{where}: invalid JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise ImportFormatError(f"{where}: expected a JSON object, got {_kind(record)}")

        speaker = _required_str(record, "speaker", where).strip()
        text = _required_str(record, "text", where)
        if len(text) > max_text_chars:
            raise ImportFormatError(
                f"{where}: 'text' is {len(text):,} characters, more than the "
                f"{max_text_chars:,} allowed"
            )
        message_id = _optional_str(record, "id", where)
        if message_id is None:
            # Deterministic so that importing the same file twice yields the same ids.
            message_id = f"{path.stem}:{number}"
        if message_id in seen:
            raise ImportFormatError(
                f"{where}: duplicate id {message_id!r} (first used on line {seen[message_id]})"
            )
        seen[message_id] = number
        try:
            time = _parse_time(record.get("time"))
        except ValueError as exc:
            raise ImportFormatError(f"{where}: bad 'time': {exc}") from exc
        session = _optional_str(record, "session", where)
        messages.append(ImportedMessage(message_id, speaker, text, time, session, number))
    if not messages:
        raise ImportFormatError(f"{path}: no messages in the file")
    return messages


# ---------------------------------------------------------------------------------------------
# ChatGPT export


def _read_chatgpt_bytes(path: Path, max_bytes: int) -> tuple[str, bytes]:
    """The bytes of conversations.json (from the file or a zip of the export) and its label."""
    try:
        with path.open("rb") as handle:
            is_zip = handle.read(4) == _ZIP_MAGIC
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if not is_zip and path.suffix.lower() != ".zip":
        _check_size(path, max_bytes)
        try:
            return str(path), path.read_bytes()
        except OSError as exc:
            raise ImportFormatError(
                f"{path}: cannot read the file ({exc.strerror or exc})"
            ) from exc
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir() and Path(info.filename).name == "conversations.json"
            ]
            if not members:
                raise ImportFormatError(f"{path}: the zip has no conversations.json")
            # The export keeps it at the top; prefer the shallowest if a zip nests several.
            info = min(members, key=lambda m: (m.filename.count("/"), m.filename))
            label = f"{path}:{info.filename}"
            # file_size comes from the zip header; checking it first avoids inflating a bomb,
            # and reading at most one byte more catches a header that lies.
            if info.file_size > max_bytes:
                raise ImportFormatError(
                    f"{label}: {info.file_size:,} bytes uncompressed, larger than the "
                    f"{max_bytes:,}-byte limit",
                    hint="Split the file, or raise the size limit.",
                )
            with archive.open(info) as member:
                data = member.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise ImportFormatError(f"{label}: larger than the {max_bytes:,}-byte limit")
            return label, data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise ImportFormatError(f"{path}: not a readable zip file ({exc})") from exc
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _load_json(label: str, data: bytes) -> Any:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFormatError(
            f"{label}: line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at byte "
            f"offset {exc.start})",
            hint="Save the file as UTF-8 and import it again; nothing was imported.",
        ) from exc
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"{label}: line {exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        ) from exc
    except ValueError as exc:
        raise ImportFormatError(f"{label}: invalid JSON: {exc}") from exc


def _looks_like_chatgpt(data: Any) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and isinstance(data[0].get("mapping"), dict)
    )


def _main_thread(mapping: dict[str, Any], current: Any, where: str) -> list[dict[str, Any]]:
    """The nodes of the thread the user last saw, root first."""

    def node(node_id: Any, why: str) -> dict[str, Any]:
        if not isinstance(node_id, str) or node_id not in mapping:
            raise ImportFormatError(f"{where}: {why} {node_id!r} is not in the mapping")
        found = mapping[node_id]
        if not isinstance(found, dict):
            raise ImportFormatError(
                f"{where}: node {node_id!r} must be an object, got {_kind(found)}"
            )
        return found

    thread: list[dict[str, Any]] = []
    visited: set[str] = set()
    if current is not None:
        # Edits and regenerations branch the tree; current_node marks the branch shown last,
        # so walking up from it skips the abandoned versions.
        node_id: Any = current
        why = "current_node"
        while node_id is not None:
            if node_id in visited:
                raise ImportFormatError(f"{where}: the mapping has a cycle at {node_id!r}")
            visited.add(node_id)
            found = node(node_id, why)
            thread.append(found)
            # Some exports write "" rather than null for the root's parent.
            node_id, why = found.get("parent") or None, f"the parent of {node_id!r},"
        thread.reverse()
        return thread

    roots = [
        key for key, value in mapping.items() if isinstance(value, dict) and not value.get("parent")
    ]
    if not roots:
        raise ImportFormatError(f"{where}: the mapping has no root node (one without a parent)")
    node_id = roots[0]
    why = "root"
    while node_id is not None:
        if node_id in visited:
            raise ImportFormatError(f"{where}: the mapping has a cycle at {node_id!r}")
        visited.add(node_id)
        found = node(node_id, why)
        thread.append(found)
        children = found.get("children") or []
        if not isinstance(children, list):
            raise ImportFormatError(
                f"{where}: 'children' of {node_id!r} must be a list, got {_kind(children)}"
            )
        # Without current_node, the last child is the newest edit or regeneration.
        node_id, why = (children[-1] if children else None), f"a child of {node_id!r},"
    return thread


def _chatgpt_message(
    found: dict[str, Any], session: str, where: str, max_text_chars: int
) -> ImportedMessage | None:
    message = found.get("message")
    if message is None:
        return None
    node_label = f"node {found.get('id')!r}"
    if not isinstance(message, dict):
        raise ImportFormatError(
            f"{where}: {node_label}: 'message' must be an object, got {_kind(message)}"
        )
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if not isinstance(role, str):
        raise ImportFormatError(f"{where}: {node_label}: message has no author role")
    if role not in _CHATGPT_SPEAKERS:
        return None  # system prompts and tool traffic are not part of what was said
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
        return None  # e.g. custom instructions injected as a hidden user message
    content = message.get("content")
    if not isinstance(content, dict):
        raise ImportFormatError(
            f"{where}: {node_label}: 'content' must be an object, got {_kind(content)}"
        )
    if content.get("content_type", "text") not in _CHATGPT_TEXT_TYPES:
        return None
    parts = content.get("parts", [])
    if not isinstance(parts, list):
        raise ImportFormatError(
            f"{where}: {node_label}: 'parts' must be a list, got {_kind(parts)}"
        )
    # Dict parts are images, audio and files: nothing to remember as text.
    text = "\n".join(part for part in parts if isinstance(part, str) and part)
    if not text.strip():
        return None
    if len(text) > max_text_chars:
        raise ImportFormatError(
            f"{where}: {node_label}: text is {len(text):,} characters, more than the "
            f"{max_text_chars:,} allowed"
        )
    message_id = message.get("id") or found.get("id")
    if not isinstance(message_id, str) or not message_id.strip():
        raise ImportFormatError(f"{where}: {node_label}: message has no id")
    if not (_encodable(text) and _encodable(message_id)):
        raise ImportFormatError(f"{where}: {node_label}: text contains an invalid \\u escape")
    created = message.get("create_time")
    if created is not None and (isinstance(created, bool) or not isinstance(created, int | float)):
        raise ImportFormatError(
            f"{where}: {node_label}: 'create_time' must be a number, got {_kind(created)}"
        )
    try:
        time = None if created is None else _from_unix(float(created))
    except ValueError as exc:
        raise ImportFormatError(f"{where}: {node_label}: bad 'create_time': {exc}") from exc
    return ImportedMessage(message_id, role, text, time, session, None)


def _parse_chatgpt_data(
    label: str, stem: str, data: Any, max_text_chars: int
) -> list[ImportedMessage]:
    if not isinstance(data, list):
        raise ImportFormatError(
            f"{label}: expected a JSON list of conversations (a ChatGPT export), got {_kind(data)}"
        )
    messages: list[ImportedMessage] = []
    seen: dict[str, str] = {}
    for index, conversation in enumerate(data):
        if not isinstance(conversation, dict):
            raise ImportFormatError(
                f"{label}: conversation {index}: expected an object, got {_kind(conversation)}"
            )
        title = conversation.get("title")
        where = f"{label}: conversation {index}" + (
            f" ({title!r})" if isinstance(title, str) and title else ""
        )
        mapping = conversation.get("mapping")
        if not isinstance(mapping, dict):
            raise ImportFormatError(
                f"{where}: has no 'mapping'"
                if mapping is None
                else f"{where}: 'mapping' must be an object, got {_kind(mapping)}"
            )
        session = conversation.get("conversation_id") or conversation.get("id")
        if session is None:
            session = f"{stem}:{index}"  # deterministic, like generated JSONL ids
        if not isinstance(session, str):
            raise ImportFormatError(f"{where}: 'id' must be a string, got {_kind(session)}")
        for found in _main_thread(mapping, conversation.get("current_node"), where):
            message = _chatgpt_message(found, session, where, max_text_chars)
            if message is None:
                continue
            if message.id in seen:
                raise ImportFormatError(
                    f"{where}: duplicate message id {message.id!r} (also in {seen[message.id]})"
                )
            seen[message.id] = where
            messages.append(message)
    if not messages:
        raise ImportFormatError(f"{label}: no user or assistant messages in the export")
    return messages


def parse_chatgpt(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
) -> list[ImportedMessage]:
    """Parse a ChatGPT export (conversations.json, or the export's zip): each conversation's
    main thread, user and assistant text only."""
    path = Path(path)
    label, raw = _read_chatgpt_bytes(path, max_bytes)
    return _parse_chatgpt_data(label, path.stem, _load_json(label, raw), max_text_chars)


# ---------------------------------------------------------------------------------------------
# Detection


def _first_char(path: Path) -> str:
    """The first non-whitespace character of the file, or "" if there is none."""
    try:
        with path.open("rb") as handle:
            start = True
            while chunk := handle.read(64 * 1024):
                if start and chunk.startswith(_BOM):
                    chunk = chunk[len(_BOM) :]
                start = False
                stripped = chunk.lstrip()
                if stripped:
                    return stripped[:1].decode("latin-1")
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    return ""


def _is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(4) == _ZIP_MAGIC
    except OSError:
        return False  # reported with a clear message by the reader that follows


def parse_file(
    path: Path,
    format: Literal["auto", "jsonl", "chatgpt"] = "auto",
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
) -> tuple[str, list[ImportedMessage]]:
    """Parse a file as `format`, or detect it from the content; return (format, messages)."""
    path = Path(path)
    if format == "jsonl":
        return "jsonl", parse_jsonl(path, max_bytes=max_bytes, max_text_chars=max_text_chars)
    if format == "chatgpt":
        return "chatgpt", parse_chatgpt(path, max_bytes=max_bytes, max_text_chars=max_text_chars)
    if format != "auto":
        raise ImportFormatError(
            f"unknown import format {format!r}", hint="Use auto, jsonl or chatgpt."
        )
    if not path.exists():
        raise ImportFormatError(f"{path}: no such file")
    if _is_zip(path):
        return "chatgpt", parse_chatgpt(path, max_bytes=max_bytes, max_text_chars=max_text_chars)
    first = _first_char(path)
    if first == "{":
        return "jsonl", parse_jsonl(path, max_bytes=max_bytes, max_text_chars=max_text_chars)
    if first == "[":
        label, raw = _read_chatgpt_bytes(path, max_bytes)
        data = _load_json(label, raw)
        if not _looks_like_chatgpt(data):
            raise ImportFormatError(
                f"{path}: a JSON list that is not a ChatGPT export (expected conversations "
                "with a 'mapping')",
                hint="For your own data, write one JSON object per line (JSONL) with "
                "'speaker' and 'text'.",
            )
        return "chatgpt", _parse_chatgpt_data(label, path.stem, data, max_text_chars)
    if not first:
        raise ImportFormatError(f"{path}: the file is empty")
    raise ImportFormatError(
        f"{path}: cannot tell the format (starts with {first!r}, expected '{{' for JSONL or "
        "'[' for a ChatGPT export)",
        hint="Pass the format explicitly, or convert the file to JSONL.",
    )
