"""Triage: important / later / can go with a reason, from plain features, and learning from
what the user does with a sender's mail."""

from __future__ import annotations

from pathlib import Path

from os1.events import ConfirmationRequired
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.memory.store import NewMemory
from os1.skills.mail import state
from os1.skills.mail.parse import parse_mail
from os1.skills.mail.state import SenderStats
from os1.skills.mail.tools import check_mail
from os1.skills.mail.triage import Triage
from os1.storage import SQLiteStore
from tests.skills.mail.conftest import (
    NOW,
    USER_ADDRESS,
    context,
    decide,
    mail_companion,
    maildir_settings,
    make_mail,
    make_maildir,
    say,
)

ME = {USER_ADDRESS}


def judge(raw: bytes, stats: dict[str, SenderStats] | None = None, known: set[str] | None = None):  # type: ignore[no-untyped-def]
    return Triage(own=ME, stats=stats or {}, known_names=known or set()).judge(parse_mail(raw), NOW)


def test_a_direct_question_is_important() -> None:
    verdict = judge(
        make_mail("Jo <jo@work.example>", subject="Budget", body="Could you send me the numbers?")
    )
    assert verdict.category == "important"
    assert verdict.reason == "Written to you and asks you something"


def test_a_newsletter_from_a_list_can_go() -> None:
    verdict = judge(
        make_mail(
            "News <news@paper.example>",
            subject="The weekly digest",
            body="Top stories",
            headers={"List-Id": "<news.paper.example>"},
        )
    )
    assert verdict.category == "can go"
    assert verdict.reason == "From a mailing list and sent automatically"


def test_a_promotion_with_urgent_words_still_can_go() -> None:
    verdict = judge(
        make_mail(
            "Shop <offers@shop.example>",
            subject="Last chance: 40% off today!",
            body="Sale ends tonight",
            headers={"List-Unsubscribe": "<x>"},
        )
    )
    assert verdict.category == "can go"


def test_an_automatic_notification_is_for_later() -> None:
    verdict = judge(
        make_mail(
            "Parcel <noreply@parcel.example>",
            subject="Your parcel shipped",
            body="It will arrive soon.",
        )
    )
    assert verdict.category == "later"
    assert verdict.reason == "Sent automatically"


def test_a_security_alert_is_important_even_when_automatic() -> None:
    verdict = judge(
        make_mail(
            "Bank <no-reply@bank.example>",
            subject="Security alert: new sign-in",
            body="We noticed a new sign-in.",
        )
    )
    assert verdict.category == "important"
    assert "security or payment alert" in verdict.reason


def test_a_date_in_the_next_days_raises_a_mail() -> None:
    plain = judge(make_mail("Lu <lu@x.example>", subject="Hi", body="Lovely to see you."))
    dated = judge(make_mail("Lu <lu@x.example>", subject="Hi", body="The party is tomorrow."))
    assert dated.score > plain.score
    assert "date in the next days" in " ".join(dated.signals)


def test_a_known_sender_lifts_a_copied_question_to_important() -> None:
    raw = make_mail(
        "Amy Lee <amy@friends.example>",
        to="team@friends.example",
        subject="Photos",
        body="Could you bring the photos?",
        headers={"Cc": USER_ADDRESS},
    )
    assert judge(raw).category == "later"
    verdict = judge(raw, known={"amy"})
    assert verdict.category == "important"
    assert "from someone you write to" in verdict.reason.lower()


def test_deleting_a_senders_mail_lowers_it_and_replying_raises_it() -> None:
    raw = make_mail("Bob <bob@x.example>", subject="Lunch?", body="Want to get lunch?")
    before = judge(raw)
    deleted = judge(raw, {"bob@x.example": SenderStats("bob@x.example", deleted=3)})
    news = make_mail("Kim <kim@x.example>", subject="News", body="I got the job.")
    replied = judge(news, {"kim@x.example": SenderStats("kim@x.example", replied=2)})
    assert before.category == "important"
    assert deleted.category == "later" and deleted.score < before.score
    assert deleted.reason.startswith("You usually delete mail from this sender")
    assert replied.score > judge(news).score
    assert "from someone you write to" in replied.reason


def test_what_the_user_does_in_chat_teaches_triage(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    raws = [
        make_mail("Pat <pat@x.example>", subject=f"Thing {n}", body="Could you look at this?")
        for n in range(3)
    ]
    make_maildir(tmp_path / "Maildir", *raws)
    settings = maildir_settings(tmp_path / "Maildir")
    ctx = context(store, settings, home)
    first = check_mail.func(ctx).data
    assert {row["category"] for row in first} == {"important"}
    companion = mail_companion(store, settings, home)
    for _ in range(2):
        say(companion, "check my mail")
        asked = [e for e in say(companion, "delete mail 1") if isinstance(e, ConfirmationRequired)]
        decide(companion, asked[0].call_id, True)
    assert state.sender_stats(store)["pat@x.example"].deleted == 2
    last = check_mail.func(ctx).data
    assert last[0]["category"] == "later"
    assert last[0]["reason"].startswith("You usually delete mail from this sender")


def test_memory_of_a_person_makes_their_mail_known(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    make_maildir(
        tmp_path / "Maildir", make_mail("Amy Lee <amy@f.example>", body="Photos attached.")
    )
    memory = LongTermMemory(store, HashingEmbedder())
    memory.store.add(
        NewMemory(
            kind="fact",
            text="Amy is Sam's sister",
            sources=("msg:1",),
            subject="amy",
            attribute="relation",
            value="sister",
        )
    )
    ctx = context(store, maildir_settings(tmp_path / "Maildir"), home, memory=memory)
    row = check_mail.func(ctx).data[0]
    assert row["reason"] == "Written to you and from someone you write to"


def test_memory_names_the_people_it_knows_not_the_user_nor_forgotten_ones(
    store: SQLiteStore,
) -> None:
    memory = LongTermMemory(store, HashingEmbedder())

    def fact(subject: str, value: str) -> int:
        added = memory.store.add(
            NewMemory(kind="fact", text=f"{subject}: {value}", sources=("msg:1",),
                      subject=subject, attribute="relation", value=value)
        )  # fmt: skip
        assert added is not None
        return added

    fact("Amy Lee", "sister")
    fact("user", "likes tea")
    old = fact("Bob", "colleague")
    memory.store.supersede(old, fact("Carol", "colleague"))
    memory.store.add(
        NewMemory(kind="episode", text="Dan said hi", sources=("msg:2",), subject="Dan")
    )

    assert memory.store.known_people() == ["Amy Lee", "Carol"]
