"""An open chat is where the companion speaks first: reminders arrive while it is open."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from tests.helpers import ONBOARDING_ANSWERS, os1, process_env, wait_for


def test_a_reminder_missed_while_closed_arrives_in_the_chat_marked_late(home: Path) -> None:
    # Held-back late reminders wait out quiet hours; this test must not depend on the hour.
    home.mkdir(parents=True)
    (home / "config.toml").write_text("[proactive]\nhold_late_reminders = false\n")
    made = os1(home, "remind", "call mum in 5 minutes", "--now", "2026-01-05T10:00:00+00:00")
    assert made.returncode == 0, made.stderr
    with subprocess.Popen(
        [sys.executable, "-m", "os1", "--home", str(home), "chat"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=process_env("scripted:echo", PYTHONUNBUFFERED="1"), bufsize=0,
    ) as proc:  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        seen: list[str] = []
        reader = threading.Thread(target=lambda: seen.extend(iter(lambda: proc.stdout.read(1), "")))
        reader.start()
        try:
            proc.stdin.write(ONBOARDING_ANSWERS)
            proc.stdin.flush()
            wait_for(lambda: "call mum" in "".join(seen))
        finally:
            proc.stdin.close()
            proc.wait(timeout=60)
            reader.join(timeout=10)
    shown = "".join(seen)
    line = next(x for x in shown.splitlines() if "call mum" in x)
    assert "(late)" in line and "(reminder)" in line
    again = os1(home, "reminders", "tick")
    assert again.stdout.startswith("delivered 0")  # delivered once, not again
