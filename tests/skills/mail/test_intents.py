"""The user's own words become mail tool calls; other talk is left to the conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.skills import PlannedCall, Skills
from os1.skills.mail import state, toolkit
from os1.skills.mail.state import MailRef
from os1.storage import SQLiteStore
from tests.skills.mail.conftest import context, maildir_settings

FOCUS = MailRef("local", "INBOX", "k1", "<m1@x>", "Amy Lee", "amy@x.example", "Dinner")


@pytest.fixture
def plan(store: SQLiteStore, home: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = context(store, maildir_settings(tmp_path / "Maildir"), home)
    skills = Skills([toolkit])
    skills.prepare(ctx)

    def run(text: str) -> list[PlannedCall] | None:
        found = skills.plan(text, ctx)
        return found[1] if found else None

    return run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("check my mail", PlannedCall("check_mail", {})),
        ("Could you check my email please?", PlannedCall("check_mail", {})),
        ("any new mail?", PlannedCall("check_mail", {})),
        ("do I have any new emails today", PlannedCall("check_mail", {})),
        ("what's in my inbox?", PlannedCall("check_mail", {})),
        ("What's important today?", PlannedCall("check_mail", {"only": "important"})),
        ("anything important in my mail?", PlannedCall("check_mail", {"only": "important"})),
        ("read the mail from Amy", PlannedCall("read_mail", {"sender": "Amy"})),
        (
            "open the latest email from amy@x.example",
            PlannedCall("read_mail", {"sender": "amy@x.example"}),
        ),
        ("read Amy's mail", PlannedCall("read_mail", {"sender": "Amy"})),
        ("read 3", PlannedCall("read_mail", {"which": "3"})),
        ("read mail number 12", PlannedCall("read_mail", {"which": "12"})),
        ("open message 2", PlannedCall("read_mail", {"which": "2"})),
        ("summarize the mail from Jo", PlannedCall("summarize_mail", {"sender": "Jo"})),
        ("summarise it", PlannedCall("summarize_mail", {"which": ""})),
        (
            "reply to Amy that I'll be there at 6",
            PlannedCall("draft_reply", {"instructions": "I'll be there at 6", "to": "Amy"}),
        ),
        (
            "reply to Amy: sounds great!",
            PlannedCall("draft_reply", {"instructions": "sounds great!", "to": "Amy"}),
        ),
        (
            "reply that I can't make it",
            PlannedCall("draft_reply", {"instructions": "I can't make it", "to": ""}),
        ),
        ("list my mail accounts", PlannedCall("mail_accounts", {})),
        ("I read a great book about mail carriers", None),
        ("send my love to grandma", None),
        ("delete that", None),
        ("what's the weather today?", None),
    ],
)
def test_requests_in_plain_words_plan_the_right_call(
    plan,
    text: str,
    expected: PlannedCall | None,  # type: ignore[no-untyped-def]
) -> None:
    calls = plan(text)
    assert calls == ([expected] if expected else None)


def test_archive_that_names_exactly_the_mail_in_focus(plan, store: SQLiteStore) -> None:  # type: ignore[no-untyped-def]
    assert plan("archive that") == [PlannedCall("mail_in_focus", {})]
    state.set_focus(store, FOCUS)
    args = {
        "account_name": "local",
        "folder": "INBOX",
        "uid": "k1",
        "message_id": "<m1@x>",
        "sender": "Amy Lee <amy@x.example>",
        "subject": "Dinner",
    }
    assert plan("archive that") == [PlannedCall("archive_mail", args)]
    assert plan("please delete that email") == [PlannedCall("delete_mail", args)]
    assert plan("delete it") == [PlannedCall("delete_mail", args)]  # focus is fresh
    assert plan("move it to Receipts") == [PlannedCall("move_mail", {**args, "target": "Receipts"})]


def test_send_it_sends_exactly_the_latest_draft(plan, store: SQLiteStore) -> None:  # type: ignore[no-untyped-def]
    assert plan("send it") is None  # no draft: not about mail
    draft = state.add_draft(store, "local", "Amy <amy@x.example>", "Re: Dinner", "Hi Amy, yes!")
    assert plan("yes, send it") == [
        PlannedCall(
            "send_mail",
            {
                "to": "Amy <amy@x.example>",
                "subject": "Re: Dinner",
                "body": "Hi Amy, yes!",
                "draft_id": draft.id,
                "account_name": "local",
            },
        )
    ]
    state.mark_sent(store, draft.id)
    assert plan("send it") is None
