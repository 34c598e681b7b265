"""`os1 mail draft N "text"` works exactly as the README writes it, and `--to … --say …` still
does; a draft to a look-alike says so, and so does `os1 mail send` before it asks."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import os1
from tests.skills.mail.conftest import SmtpServer, make_mail, make_maildir
from tests.skills.mail.test_cli_mail import FRIEND, PROMO, configure, os1_on_a_terminal


def test_draft_takes_the_mail_number_and_the_text_as_the_readme_shows(
    home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    make_maildir(tmp_path / "Maildir", FRIEND, PROMO)
    configure(home, tmp_path / "Maildir", smtp)
    assert os1(home, "mail", "triage").returncode == 0
    drafted = os1(home, "mail", "draft", "1", "yes, I'd love to")
    assert drafted.returncode == 0, drafted.stderr
    assert "Draft #1 to Amy Lee <amy@friends.example>" in drafted.stdout
    assert "Hi Amy,\n\nYes, I'd love to.\n\nBest,\nSam" in drafted.stdout
    assert "Send it with: os1 mail send 1" in drafted.stdout
    by_option = os1(home, "mail", "draft", "--to", "Amy", "--say", "see you then")
    assert by_option.returncode == 0, by_option.stderr
    assert "See you then." in by_option.stdout
    assert smtp.received == []


def test_draft_without_text_or_with_it_twice_is_a_usage_error(
    home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    make_maildir(tmp_path / "Maildir", FRIEND)
    configure(home, tmp_path / "Maildir", smtp)
    os1(home, "mail", "triage")
    missing = os1(home, "mail", "draft", "1")
    assert missing.returncode == 2 and "what should the reply say?" in missing.stderr
    twice = os1(home, "mail", "draft", "1", "yes", "--say", "no")
    assert twice.returncode == 2 and "once" in twice.stderr


def test_sending_a_draft_to_a_look_alike_warns_before_asking(
    home: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    fake = make_mail(
        "\u0410my Lee <amy@friends-example.net>", subject="Dinner?", body="Free on Friday?"
    )
    make_maildir(tmp_path / "Maildir", FRIEND, fake)
    configure(home, tmp_path / "Maildir", smtp)
    os1(home, "mail", "draft", "--to", "amy@friends.example", "--say", "yes")
    code, _ = os1_on_a_terminal(home, "mail", "send", "1", answer="y")  # now Amy is a contact
    assert code == 0
    triaged = os1(home, "mail", "triage").stdout
    assert (
        "Warning: the sender looks like Amy Lee <amy@friends.example> but is from "
        "amy@friends-example.net." in triaged
    )
    number = next(line.split(".")[0] for line in triaged.splitlines() if "Dinner?" in line)
    drafted = os1(home, "mail", "draft", number, "sure")
    assert "Warning: the recipient looks like Amy Lee <amy@friends.example>" in drafted.stdout
    code, shown = os1_on_a_terminal(home, "mail", "send", "2", answer="n")
    assert code == 1
    assert "Warning: the recipient looks like Amy Lee <amy@friends.example> but goes to " in shown
    assert len(smtp.received) == 1
