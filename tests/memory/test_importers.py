import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from os1.errors import OS1Error
from os1.memory.importers import (
    ImportedMessage,
    ImportFormatError,
    parse_chatgpt,
    parse_file,
    parse_jsonl,
)


def write_jsonl(path: Path, *records: Any) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def node(
    node_id: str,
    parent: str | None,
    children: list[str],
    role: str | None = None,
    parts: list[Any] | None = None,
    create_time: float | None = 1_700_000_000.0,
    content_type: str = "text",
) -> dict[str, Any]:
    message = None
    if role is not None:
        message = {
            "id": node_id,
            "author": {"role": role},
            "create_time": create_time,
            "content": {"content_type": content_type, "parts": parts or []},
        }
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def conversation(
    nodes: list[dict[str, Any]], current: str | None, conv_id: str = "conv-1", title: str = "Trip"
) -> dict[str, Any]:
    conv: dict[str, Any] = {
        "title": title,
        "create_time": 1_700_000_000.0,
        "id": conv_id,
        "mapping": {n["id"]: n for n in nodes},
    }
    if current is not None:
        conv["current_node"] = current
    return conv


def branching_conversation(current: str | None = "a2") -> dict[str, Any]:
    """root → system → u1 → a1; u1 was edited into u2 → a2 (the thread shown last)."""
    return conversation(
        [
            node("root", None, ["sys"]),
            node("sys", "root", ["u1", "u2"], "system", ["You are ChatGPT."]),
            node("u1", "sys", ["a1"], "user", ["Plan a trip to Porto"]),
            node("a1", "u1", [], "assistant", ["Porto is lovely."]),
            node("u2", "sys", ["a2"], "user", ["Plan a trip to Lisbon"]),
            node("a2", "u2", [], "assistant", ["Lisbon it is."], create_time=1_700_000_060.5),
        ],
        current,
    )


def write_export(path: Path, conversations: Any) -> Path:
    path.write_text(json.dumps(conversations), encoding="utf-8")
    return path


def error_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ImportFormatError) as info:
        call(*args, **kwargs)
    return info.value.message


# --- JSONL ---------------------------------------------------------------------------------


def test_jsonl_with_all_fields_keeps_ids_sessions_and_utc_times(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "chat.jsonl",
        {
            "id": "m1",
            "speaker": "Sam",
            "text": "hi",
            "time": "2024-03-01T10:00:00+02:00",
            "session": "s1",
            "mood": "ignored",
        },
        {
            "id": "m2",
            "speaker": "OS1",
            "text": "hello",
            "time": "2024-03-01T08:00:05Z",
            "session": "s1",
        },
    )
    messages = parse_jsonl(path)
    assert messages == [
        ImportedMessage("m1", "Sam", "hi", datetime(2024, 3, 1, 8, 0, tzinfo=UTC), "s1", 1),
        ImportedMessage("m2", "OS1", "hello", datetime(2024, 3, 1, 8, 0, 5, tzinfo=UTC), "s1", 2),
    ]


def test_jsonl_without_optional_fields_generates_deterministic_ids(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "diary.jsonl",
        {"speaker": "Sam", "text": "first"},
        "",
        "   ",
        {"speaker": "Sam", "text": "second", "time": "2024-03-01T10:00:00", "session": None},
    )
    messages = parse_jsonl(path)
    assert [(m.id, m.line, m.session) for m in messages] == [
        ("diary:1", 1, None),
        ("diary:4", 4, None),
    ]
    assert messages[0].time is None
    assert messages[1].time == datetime(2024, 3, 1, 10, 0)
    assert messages[1].time.tzinfo is None  # no zone in the input: stays naive
    assert parse_jsonl(path) == messages


def test_jsonl_unix_timestamp_becomes_aware_utc(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", {"speaker": "a", "text": "b", "time": 0})
    assert parse_jsonl(path)[0].time == datetime(1970, 1, 1, tzinfo=UTC)


def test_jsonl_accepts_crlf_and_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + b'{"speaker": "a", "text": "caf\xc3\xa9"}\r\n{"speaker": "b", "text": "x"}'
    )
    assert [m.text for m in parse_jsonl(path)] == ["café", "x"]


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ('{"speaker": "a", "text": ', "invalid JSON"),
        ('["a", "b"]', "expected a JSON object, got a list"),
        ('{"text": "hi"}', "missing 'speaker'"),
        ('{"speaker": "  ", "text": "hi"}', "'speaker' is empty"),
        ('{"speaker": "a"}', "missing 'text'"),
        ('{"speaker": "a", "text": ""}', "'text' is empty"),
        ('{"speaker": "a", "text": 5}', "'text' must be a string, got a number"),
        ('{"speaker": ["a"], "text": "hi"}', "'speaker' must be a string, got a list"),
        ('{"speaker": "a", "text": "hi", "session": {}}', "'session' must be a string"),
        ('{"speaker": "a", "text": "hi", "id": true}', "'id' must be a string"),
        ('{"speaker": "a", "text": "hi", "time": "yesterday"}', "bad 'time'"),
        ('{"speaker": "a", "text": "hi", "time": [2024]}', "bad 'time'"),
        ('{"speaker": "a", "text": "hi", "time": 1e300}', "bad 'time'"),
        ('{"speaker": "a", "text": "hi", "time": NaN}', "invalid JSON"),
        ('{"speaker": "a", "text": "\\ud800"}', "invalid \\u escape"),
        ('{"speaker": "a", "text": "hi", "id": "m1"}', "duplicate id 'm1' (first used on line 1)"),
    ],
)
def test_jsonl_malformed_line_is_rejected_naming_file_and_line(
    tmp_path: Path, bad_line: str, expected: str
) -> None:
    path = write_jsonl(
        tmp_path / "chat.jsonl",
        {"id": "m1", "speaker": "a", "text": "ok"},
        {"speaker": "b", "text": "ok"},
        bad_line,
        {"speaker": "c", "text": "never returned"},
    )
    message = error_of(parse_jsonl, path)
    assert f"{path}: line 3:" in message
    assert expected in message


def test_jsonl_generated_id_clashing_with_an_explicit_id_is_a_duplicate(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "chat.jsonl",
        {"id": "chat:2", "speaker": "a", "text": "x"},
        {"speaker": "a", "text": "y"},
    )
    assert "line 2: duplicate id 'chat:2'" in error_of(parse_jsonl, path)


def test_jsonl_text_over_the_limit_is_rejected(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "c.jsonl", {"speaker": "a", "text": "ok"}, {"speaker": "a", "text": "x" * 11}
    )
    message = error_of(parse_jsonl, path, max_text_chars=10)
    assert "line 2:" in message and "11 characters" in message
    assert len(parse_jsonl(path, max_text_chars=11)) == 2


def test_jsonl_file_over_the_size_limit_is_rejected_before_reading(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", {"speaker": "a", "text": "x" * 100})
    message = error_of(parse_jsonl, path, max_bytes=50)
    assert str(path) in message and "50-byte limit" in message


def test_jsonl_not_utf8_names_the_line_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    first = b'{"speaker": "a", "text": "ok"}\n'
    path.write_bytes(first + b'{"speaker": "a", "text": "caf\xe9"}\n')
    message = error_of(parse_jsonl, path)
    assert "line 2: not valid UTF-8" in message
    assert f"byte offset {len(first) + 29}" in message
    assert "0xe9" in message


@pytest.mark.parametrize("content", ["", "\n\n   \n"])
def test_jsonl_without_messages_is_rejected(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    assert "no messages" in error_of(parse_jsonl, path)


def test_missing_file_is_an_import_error(tmp_path: Path) -> None:
    assert "cannot read the file" in error_of(parse_jsonl, tmp_path / "nope.jsonl")
    assert "no such file" in error_of(parse_file, tmp_path / "nope.jsonl")


def test_import_error_is_an_os1_error_with_exit_code_2() -> None:
    error = ImportFormatError("x")
    assert isinstance(error, OS1Error)
    assert (error.exit_code, error.code) == (2, "bad_import")
    assert "nothing" in error.hint


def test_a_100k_line_jsonl_file_parses_quickly(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(100_000):
            speaker = "user" if i % 2 else "assistant"
            handle.write(
                json.dumps(
                    {
                        "speaker": speaker,
                        "text": f"message number {i}",
                        "session": f"s{i // 50}",
                        "time": "2024-01-01T00:00:00Z",
                    }
                )
                + "\n"
            )
    messages = parse_jsonl(path)
    assert len(messages) == 100_000
    assert messages[-1] == ImportedMessage(
        "big:100000",
        "user",
        "message number 99999",
        datetime(2024, 1, 1, tzinfo=UTC),
        "s1999",
        100_000,
    )


# --- ChatGPT -------------------------------------------------------------------------------


def test_chatgpt_branching_mapping_follows_current_node_thread(tmp_path: Path) -> None:
    path = write_export(tmp_path / "conversations.json", [branching_conversation("a2")])
    messages = parse_chatgpt(path)
    assert messages == [
        ImportedMessage(
            "u2",
            "user",
            "Plan a trip to Lisbon",
            datetime.fromtimestamp(1_700_000_000, UTC),
            "conv-1",
            None,
        ),
        ImportedMessage(
            "a2",
            "assistant",
            "Lisbon it is.",
            datetime.fromtimestamp(1_700_000_060.5, UTC),
            "conv-1",
            None,
        ),
    ]
    assert messages[0].time is not None and messages[0].time.tzinfo is UTC


def test_chatgpt_current_node_on_the_old_branch_wins(tmp_path: Path) -> None:
    path = write_export(tmp_path / "conversations.json", [branching_conversation("a1")])
    assert [m.id for m in parse_chatgpt(path)] == ["u1", "a1"]


def test_chatgpt_without_current_node_takes_the_last_child(tmp_path: Path) -> None:
    path = write_export(tmp_path / "conversations.json", [branching_conversation(None)])
    assert [m.text for m in parse_chatgpt(path)] == ["Plan a trip to Lisbon", "Lisbon it is."]


def test_chatgpt_skips_images_system_tool_and_empty_messages(tmp_path: Path) -> None:
    image = {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"}
    conv = conversation(
        [
            node("root", None, ["sys"]),
            node("sys", "root", ["u1"], "system", ["rules"]),
            node(
                "u1",
                "sys",
                ["t1"],
                "user",
                [image, "What is this?", "", "And this?"],
                content_type="multimodal_text",
            ),
            node("t1", "u1", ["a0"], "tool", ["search results"]),
            node("a0", "t1", ["u2"], "assistant", [""]),
            node("u2", "a0", ["a1"], "user", [image], content_type="multimodal_text"),
            node("a1", "u2", [], "assistant", ["A cat."], create_time=None),
        ],
        "a1",
    )
    messages = parse_chatgpt(write_export(tmp_path / "conversations.json", [conv]))
    assert [(m.speaker, m.text, m.id) for m in messages] == [
        ("user", "What is this?\nAnd this?", "u1"),
        ("assistant", "A cat.", "a1"),
    ]
    assert messages[1].time is None


def test_chatgpt_several_conversations_use_conversation_id_as_session(tmp_path: Path) -> None:
    second = conversation(
        [node("r", None, ["q"]), node("q", "r", [], "user", ["hey"])], "q", conv_id="ignored"
    )
    second["conversation_id"] = "conv-2"
    path = write_export(tmp_path / "conversations.json", [branching_conversation(), second])
    assert [(m.session, m.id) for m in parse_chatgpt(path)] == [
        ("conv-1", "u2"),
        ("conv-1", "a2"),
        ("conv-2", "q"),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"mapping": {}}, "expected a JSON list of conversations"),
        (["not a conversation"], "conversation 0: expected an object, got a string"),
        ([{"title": "Notes", "id": "c"}], "conversation 0 ('Notes'): has no 'mapping'"),
        ([{"title": "Notes", "mapping": []}], "'mapping' must be an object, got a list"),
        ([], "no user or assistant messages"),
    ],
)
def test_chatgpt_bad_top_level_shapes_are_rejected(
    tmp_path: Path, data: Any, expected: str
) -> None:
    path = write_export(tmp_path / "conversations.json", data)
    assert expected in error_of(parse_chatgpt, path)


def test_chatgpt_errors_name_the_conversation_index_and_title(tmp_path: Path) -> None:
    broken = branching_conversation()
    broken["title"] = "Broken one"
    broken["mapping"]["u2"]["message"]["content"] = "just a string"
    path = write_export(tmp_path / "conversations.json", [branching_conversation(), broken])
    message = error_of(parse_chatgpt, path)
    assert "conversation 1 ('Broken one')" in message
    assert "node 'u2'" in message and "'content' must be an object" in message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c.update(current_node="gone"), "current_node 'gone' is not in the mapping"),
        (lambda c: c["mapping"]["u2"].update(parent="gone"), "'gone' is not in the mapping"),
        (lambda c: c["mapping"]["root"].update(parent="a2"), "cycle"),
        (lambda c: c["mapping"]["a2"]["message"].update(author={}), "no author role"),
        (lambda c: c["mapping"]["a2"]["message"].update(create_time="noon"), "'create_time'"),
        (lambda c: c["mapping"]["a2"]["message"]["content"].update(parts="x"), "'parts'"),
    ],
)
def test_chatgpt_broken_mappings_are_rejected(tmp_path: Path, mutate: Any, expected: str) -> None:
    conv = branching_conversation()
    mutate(conv)
    path = write_export(tmp_path / "conversations.json", [conv])
    message = error_of(parse_chatgpt, path)
    assert "conversation 0 ('Trip')" in message and expected in message


def test_chatgpt_duplicate_message_ids_across_conversations_are_rejected(tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "conversations.json", [branching_conversation(), branching_conversation()]
    )
    assert "conversation 1 ('Trip'): duplicate message id 'u2'" in error_of(parse_chatgpt, path)


def test_chatgpt_invalid_json_and_non_utf8_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_text('[\n{"title": "x",\n "mapping": }\n]')
    assert f"{path}: line 3: invalid JSON" in error_of(parse_chatgpt, path)
    path.write_bytes(b'[\n{"title": "caf\xe9"}]')
    assert "line 2: not valid UTF-8" in error_of(parse_chatgpt, path)


def test_chatgpt_zip_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("chat.html", "<html></html>")
        archive.writestr("conversations.json", json.dumps([branching_conversation()]))
    assert [m.id for m in parse_chatgpt(path)] == ["u2", "a2"]
    assert parse_file(path)[0] == "chatgpt"


def test_chatgpt_zip_problems_are_import_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("chat.html", "<html></html>")
    assert "no conversations.json" in error_of(parse_chatgpt, empty)

    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", " " * 10_000)
    assert "larger than the 100-byte limit" in error_of(parse_chatgpt, big, max_bytes=100)

    fake = tmp_path / "fake.zip"
    fake.write_text("not a zip")
    assert "not a readable zip" in error_of(parse_chatgpt, fake)


# --- detection -----------------------------------------------------------------------------


def test_parse_file_detects_jsonl_and_chatgpt_by_content(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "notes.txt", {"speaker": "a", "text": "b"})
    export = tmp_path / "export.data"
    export.write_text("\n  " + json.dumps([branching_conversation()]))
    assert parse_file(jsonl) == ("jsonl", parse_jsonl(jsonl))
    assert parse_file(export) == ("chatgpt", parse_chatgpt(export))
    assert parse_file(export, "chatgpt")[0] == "chatgpt"


def test_parse_file_rejects_a_list_that_is_not_a_chatgpt_export(tmp_path: Path) -> None:
    path = write_export(tmp_path / "list.json", [{"speaker": "a", "text": "b"}])
    assert "a JSON list that is not a ChatGPT export" in error_of(parse_file, path)


@pytest.mark.parametrize(("content", "expected"), [("", "empty"), ("hello", "cannot tell")])
def test_parse_file_rejects_unknown_content(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "x.txt"
    path.write_text(content)
    assert expected in error_of(parse_file, path)


def test_parse_file_with_forced_format_uses_that_parser(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", {"speaker": "a", "text": "b"})
    assert "expected a JSON list" in error_of(parse_file, path, "chatgpt")
    assert "unknown import format" in error_of(parse_file, path, "csv")
