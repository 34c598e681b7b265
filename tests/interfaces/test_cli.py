"""The `os1` command as a user runs it, on a throw-away home folder: in process through click,
and as a real process where only one shows the behaviour (Ctrl-C, kill -9, stdin left open)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlean as sqlite3  # the same SQLite library as the app: two in one process corrupt WAL locks

from tests.helpers import (
    ONBOARDING_ANSWERS,
    free_port,
    os1,
    process_env,
    stored_messages,
    wait_for,
)


def test_say_prints_the_reply_and_keeps_the_conversation(home: Path) -> None:
    result = os1(home, "say", "hello there")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "You said: hello there"
    shown = os1(home, "history", "1")
    assert "hello there" in shown.stdout and "You said: hello there" in shown.stdout


def test_say_json_is_one_object_for_scripts(home: Path) -> None:
    result = os1(home, "say", "--json", "ping")
    data = json.loads(result.stdout)
    assert data["reply"] == "You said: ping" and data["status"] == "complete"
    assert {"conversation_id", "user_message_id", "message_id"} <= set(data)


def test_say_reads_the_message_from_stdin_with_a_dash(home: Path) -> None:
    result = os1(home, "say", "-", input="from a pipe\n")
    assert "You said: from a pipe" in result.stdout


def test_say_never_waits_for_input_even_before_onboarding(home: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "say", "hi"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=process_env("scripted:echo"),
    ) as proc:
        out, _ = proc.communicate(timeout=60)  # stdin stays open: waiting for it would hang here
        assert proc.returncode == 0 and "You said: hi" in out


def test_an_unreachable_server_is_one_clear_line_and_the_words_are_kept(home: Path) -> None:
    result = os1(
        home,
        "say",
        "are you there?",
        model="openai:llama3.1",
        OS1_OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        OS1_RETRIES="0",
    )
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert "cannot connect" in result.stderr and "hint:" in result.stderr
    assert stored_messages(home) == [("user", "are you there?", "complete")]


def test_bad_config_is_one_clear_line_with_exit_code_3(home: Path) -> None:
    result = os1(home, "say", "hi", OS1_TIMEOUT="soon")
    assert result.returncode == 3
    assert "timeout" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_model_file_says_what_to_do(home: Path, tmp_path: Path) -> None:
    result = os1(home, "say", "hi", model=f"llamacpp:{tmp_path}/nothing.gguf")
    assert result.returncode == 4
    assert "no GGUF model file" in result.stderr and "os1 models" in result.stderr


@pytest.mark.parametrize(
    ("args", "code"), [(("say", "   "), 2), (("say", "-c", "99", "hi"), 7), (("history", "42"), 7)]
)
def test_exit_codes_mean_something(home: Path, args: tuple[str, ...], code: int) -> None:
    result = os1(home, *args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr


def test_setup_asks_questions_and_the_companion_picks_its_name(home: Path) -> None:
    result = os1(home, "setup", input=ONBOARDING_ANSWERS)
    assert result.returncode == 0, result.stderr
    assert "what would you like me to call you" in result.stdout
    shown = os1(home, "persona", "show").stdout
    name = shown.split("name:")[1].split()[0]
    assert name != "OS1" and name in result.stdout
    assert "voice: bright" in shown and "Sam" in shown


def test_persona_and_answers_are_editable(home: Path, tmp_path: Path) -> None:
    os1(home, "setup", input=ONBOARDING_ANSWERS)
    assert os1(home, "persona", "set", "companion_name", "Ione").returncode == 0
    assert os1(home, "persona", "set", "hopes", "More walks").returncode == 0
    persona_file = tmp_path / "persona.md"
    persona_file.write_text("You are {name}, a terse companion. An AI.")
    assert os1(home, "persona", "edit", "--file", str(persona_file)).returncode == 0
    shown = os1(home, "persona", "show").stdout
    assert "name: Ione" in shown and "More walks" in shown and "terse companion" in shown
    assert os1(home, "persona", "set", "voice", "shouty").returncode == 2


def test_chat_onboards_then_talks_and_handles_slash_commands(home: Path) -> None:
    script = ONBOARDING_ANSWERS + "first message\n/new\nsecond message\n/history\n/help\n/quit\n"
    result = os1(home, "chat", input=script)
    assert result.returncode == 0, result.stderr
    assert "You said: first message" in result.stdout
    assert "You said: second message" in result.stdout
    assert "/open ID" in result.stdout  # the help
    listed = json.loads(os1(home, "history", "--json").stdout)
    assert len(listed) == 2


def test_chat_resumes_the_last_conversation(home: Path) -> None:
    os1(home, "setup", input=ONBOARDING_ANSWERS)
    os1(home, "chat", input="remember the blue door\n")
    again = os1(home, "chat", input="/quit\n")
    assert "remember the blue door" in again.stdout  # shown as recent context


def test_ctrl_c_cancels_the_reply_not_the_session(home: Path) -> None:
    os1(home, "setup", input=ONBOARDING_ANSWERS)
    with subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "chat"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=process_env("scripted:slow", PYTHONUNBUFFERED="1"), bufsize=0,
    ) as proc:  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        seen: list[str] = []
        reader = threading.Thread(target=lambda: seen.extend(iter(lambda: proc.stdout.read(1), "")))
        reader.start()
        proc.stdin.write("please say a lot of words for me now\n")
        proc.stdin.flush()
        wait_for(lambda: "You said: please" in "".join(seen))  # a few words into the reply
        proc.send_signal(signal.SIGINT)
        wait_for(lambda: any(r[0] == "assistant" for r in stored_messages(home)))
        proc.stdin.write("still here?\n/quit\n")
        proc.stdin.close()
        proc.wait(timeout=60)
        reader.join(timeout=10)
        errors = proc.stderr.read() if proc.stderr else ""
        assert proc.returncode == 0, errors
        assert "reply cancelled" in errors
        assert "You said: still here?" in "".join(seen)
    rows = stored_messages(home)
    assert rows[0] == ("user", "please say a lot of words for me now", "complete")
    assert rows[1][0] == "assistant" and rows[1][2] == "cancelled"
    assert rows[1][1].startswith("You said:") and len(rows[1][1]) < len(
        "You said: please say a lot of words for me now"
    )


def test_kill_9_during_a_reply_keeps_the_users_words_and_a_sound_database(home: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "say", "do not lose this"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=process_env("scripted:slow"),
    ) as proc:
        wait_for(lambda: (home / "os1.db").exists() and bool(stored_messages(home)))
        time.sleep(0.6)
        proc.kill()
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    after = os1(home, "history", "1", "--json")
    assert after.returncode == 0, after.stderr
    messages = json.loads(after.stdout)["messages"]
    assert messages[0]["content"] == "do not lose this"
    with sqlite3.connect(home / "os1.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert os1(home, "say", "and afterwards?").returncode == 0


def test_models_lists_backends_and_marks_the_current_one(home: Path) -> None:
    result = os1(home, "models", "--json")
    specs = {m["spec"]: m for m in json.loads(result.stdout)}
    assert specs["scripted:echo"]["current"] is True
    assert specs["llamacpp:smollm2-135m"]["available"] is True


def test_config_set_get_and_secrets_stay_hidden(home: Path) -> None:
    assert os1(home, "config", "set", "openai_api_key", "sk-hidden-123").returncode == 0
    assert os1(home, "config", "set", "temperature", "0.2").returncode == 0
    shown = os1(home, "config")
    assert "sk-hidden-123" not in shown.stdout and "********" in shown.stdout
    assert os1(home, "config", "get", "temperature").stdout.strip() == "0.2"
    bad = os1(home, "config", "set", "temperature", "9")
    assert bad.returncode == 3 and "temperature" in bad.stderr
