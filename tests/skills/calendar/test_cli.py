"""`os1 calendar …` as a user runs it: a real subprocess on a throw-away home folder."""

from __future__ import annotations

from pathlib import Path

import icalendar

from tests.helpers import os1
from tests.skills.calendar.test_local import SAMPLE


def test_import_week_and_export(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "sample.ics"
    source.write_text(SAMPLE)
    imported = os1(home, "calendar", "import", str(source), OS1_TIMEZONE="Europe/Berlin")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "Imported 3 events into local."
    # The listings start from the real today: add an event there to see it listed.
    added = os1(home, "calendar", "add", "tea with Jo", "--at", "today 17:00", OS1_TIMEZONE="UTC")
    assert added.returncode == 0, added.stderr
    assert "Added “Tea with Jo” today" in added.stdout
    week = os1(home, "calendar", "week", OS1_TIMEZONE="UTC")
    assert week.returncode == 0, week.stderr
    assert "17:00–18:00 Tea with Jo" in week.stdout
    today = os1(home, "calendar", "today", OS1_TIMEZONE="UTC")
    assert "Tea with Jo" in today.stdout

    target = tmp_path / "out.ics"
    exported = os1(home, "calendar", "export", str(target))
    assert exported.returncode == 0, exported.stderr
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert {"Call with the New York office", "Yoga", "Tea with Jo"} <= summaries


def test_add_understands_words(home: Path) -> None:
    added = os1(home, "calendar", "add", "lunch", "with", "Amy", "tomorrow", "at", "1pm")
    assert added.returncode == 0, added.stderr
    assert "Added “Lunch with Amy” tomorrow" in added.stdout and "13:00" in added.stdout
    vague = os1(home, "calendar", "add", "lunch", "with", "Amy")
    assert vague.returncode == 1
    assert "when is it?" in vague.stderr and "Traceback" not in vague.stderr


def test_a_malformed_file_is_one_clear_line(home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n")
    result = os1(home, "calendar", "import", str(broken))
    assert result.returncode != 0
    assert "has no start" in result.stderr and "Traceback" not in result.stderr
    missing = os1(home, "calendar", "import", str(tmp_path / "nope.ics"))
    assert missing.returncode != 0 and "can't read" in missing.stderr


def test_accounts_never_show_the_password(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        '[calendar]\ndefault = "work"\n[calendar.accounts.work]\n'
        'url = "https://amy:hunter2-url@dav.example.org/cal/"\nusername = "amy"\n'
        'password = "hunter2-secret"\n'
    )
    result = os1(home, "calendar", "accounts")
    assert result.returncode == 0, result.stderr
    assert "work: https://dav.example.org/cal/ as amy, password set — default" in result.stdout
    assert "hunter2" not in result.stdout + result.stderr
