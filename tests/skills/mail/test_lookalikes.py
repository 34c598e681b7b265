"""Senders that can't be forged and look-alikes that are called out: the address is read from
the raw header before anything is decoded, shown beside every name, and an address or name
made to pass for one of the user's contacts is flagged in triage, on read, on drafts and on
the confirmation before sending. Only a contact's exact address can put facts in memory."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from os1.events import ConfirmationRequired
from os1.memory import LongTermMemory
from os1.memory.embedders import HashingEmbedder
from os1.mind import persona as keys
from os1.skills.mail import state
from os1.skills.mail.lookalike import Contact, Contacts, fold, mixed_scripts
from os1.skills.mail.parse import parse_mail
from os1.skills.mail.tools import check_mail, draft_reply, read_mail, summarize_mail
from os1.storage import SQLiteStore
from tests.skills.mail.conftest import (
    USER_ADDRESS,
    context,
    mail_companion,
    maildir_settings,
    make_mail,
    make_maildir,
    say,
)

AMY = "amy@friends.example"
ATTACKER = "amy@friends-example.net"
# "Amy Lee <amy@friends.example>" as one RFC 2047 encoded word, then the attacker's address.
FORGED_FROM = f"=?utf-8?q?Amy_Lee_=3Camy=40friends=2Eexample=3E?= <{ATTACKER}>"
CYRILLIC_AMY = "\u0410my Lee"  # the A is Cyrillic
CONTACTS = Contacts.of(
    [Contact("Amy Lee", AMY), Contact("Pat Example", "pat@example.com")],
    [Contact("Sam", USER_ADDRESS)],
)


def raw_mail(from_header: str, subject: str = "Hello", body: str = "Hi Sam!") -> bytes:
    """A mail whose From header is exactly as given, not re-encoded by a library."""
    return (
        f"From: {from_header}\r\nTo: {USER_ADDRESS}\r\nSubject: {subject}\r\n"
        "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <forged@evil.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def with_amy_as_a_contact(store: SQLiteStore) -> None:
    state.record(store, AMY, "replied", "Amy Lee")
    state.record(store, "pat@example.com", "replied", "Pat Example")


# -- A: senders that can't be forged ------------------------------------------------------


def test_an_encoded_word_that_decodes_to_a_friends_address_stays_a_display_name() -> None:
    mail = parse_mail(raw_mail(FORGED_FROM))
    assert mail.from_addr == ATTACKER
    assert mail.from_name == "Amy Lee <amy@friends.example>"
    assert mail.shown_sender == f'"Amy Lee <amy@friends.example>" <{ATTACKER}>'


def test_an_address_made_of_an_encoded_word_is_not_taken_for_the_address_it_decodes_to() -> None:
    mail = parse_mail(raw_mail("=?utf-8?q?amy=40friends=2Eexample_=3C?=mallory@evil.example>"))
    assert mail.from_addr != AMY and "mallory@evil.example" in mail.from_addr
    mail = parse_mail(raw_mail("=?utf-8?q?amy=40friends=2Eexample?="))
    assert mail.from_addr != AMY


def test_other_address_headers_are_parsed_before_decoding_too() -> None:
    raw = raw_mail("Jo <jo@work.example>").replace(
        b"To: sam@home.example",
        b"To: =?utf-8?q?sam=40home=2Eexample?= <other@evil.example>\r\n"
        b"Reply-To: =?utf-8?q?Amy_=3Camy=40friends=2Eexample=3E?= <drop@evil.example>",
    )
    mail = parse_mail(raw)
    assert mail.to == ["other@evil.example"]
    assert mail.reply_to == "drop@evil.example"


def test_a_hostile_address_header_is_read_quickly_and_without_an_exception() -> None:
    for hostile in ("(" * 50_000, '"' * 50_000, "a," * 30_000, "=?utf-8?q?a?= " * 20_000):
        raw = f"From: {hostile}\r\nTo: {hostile}\r\nCc: {hostile}\r\n\r\nHi".encode()
        started = time.perf_counter()
        mail = parse_mail(raw)
        assert time.perf_counter() - started < 2.0
        assert mail.text == "Hi"


def test_a_forged_sender_is_flagged_in_triage_and_on_read_and_puts_nothing_in_memory(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    with_amy_as_a_contact(store)
    forged = raw_mail(
        FORGED_FROM,
        subject="New address",
        body="Hi Sam, my new e-mail address is amy.lee@friends-example.net. Can you update it?",
    )
    make_maildir(tmp_path / "Maildir", forged)
    memory = LongTermMemory(store, HashingEmbedder())
    ctx = context(store, maildir_settings(tmp_path / "Maildir"), home, memory=memory)

    listing = check_mail.func(ctx)
    row = listing.data[0]
    assert row["from"] == ATTACKER
    assert "from someone you write to" not in row["reason"].lower()
    assert f"Warning: the sender looks like Amy Lee <{AMY}> but is from {ATTACKER}." in (
        listing.text
    )
    assert f"<{ATTACKER}> — “New address”" in listing.text

    read = read_mail.func(ctx, "1")
    assert read.text.startswith(f"Warning: the sender looks like Amy Lee <{AMY}> but is from")
    assert f'From: "Amy Lee <{AMY}>" <{ATTACKER}>' in read.text
    assert "I noted" not in read.text
    assert memory.store.list("fact") == []


def test_a_contacts_verified_address_still_puts_a_new_address_in_memory(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    with_amy_as_a_contact(store)
    make_maildir(
        tmp_path / "Maildir",
        make_mail(f"Amy Lee <{AMY}>", body="My new e-mail address is amy@new.example. x"),
    )
    memory = LongTermMemory(store, HashingEmbedder())
    ctx = context(store, maildir_settings(tmp_path / "Maildir"), home, memory=memory)
    read = read_mail.func(ctx, "", "amy")
    assert "Warning" not in read.text
    assert "I noted: Amy Lee's new e-mail address is amy@new.example." in read.text


# -- B: look-alikes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "address", "looks_like"),
    [
        (CYRILLIC_AMY, "amy@elsewhere.example", "Amy Lee"),  # a Cyrillic letter in the name
        ("", "pat@examp1e.com", "Pat Example"),  # 1 for l in the domain
        ("", "billing@exampIe.com", "Pat Example"),  # capital I for l
        ("", "pat@exarnple.com", "Pat Example"),  # rn for m
        ("", "pat@xn--exmple-4nf.com", "Pat Example"),  # punycode: exаmple with a Cyrillic а
        ("", "amy@friends-example.net", "Amy Lee"),  # the contact's domain inside another
        ("", "amy@frienbs.example", "Amy Lee"),  # a typo away
        ("", "pat@exmaple.com", "Pat Example"),  # two letters swapped
        ("amy@friends.example", "x@evil.example", "Amy Lee"),  # the address as a name
    ],
)
def test_a_look_alike_of_a_contact_is_named_with_the_contact_it_imitates(
    name: str, address: str, looks_like: str
) -> None:
    warning = CONTACTS.warning(name, address)
    assert warning is not None and warning.startswith(f"looks like {looks_like} <")
    assert warning.endswith(f"but is from {address.lower()}")  # where a capital I shows


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("Amy Lee", AMY),  # the contact herself
        ("Anyone", "pat@example.com"),  # a contact's exact address is verified, whatever name
        ("Bo", "bo@mail.example.com"),  # a subdomain of a contact's domain is not a look-alike
        ("Jo Park", "jo@work.example"),  # a stranger
        ("Info", "info@example.org"),  # another organisation's domain, another mailbox name
        ("\u7530\u4e2d \u30bf\u30ed\u30a6", "taro@example.jp"),  # Han and Katakana mix normally
        ("\u0418\u0432\u0430\u043d Petrov", "ivan@example.ru"),  # one script per word
    ],
)
def test_real_contacts_and_strangers_are_not_flagged(name: str, address: str) -> None:
    assert CONTACTS.warning(name, address) is None


def test_letters_of_two_alphabets_in_one_word_are_flagged_even_without_a_contact() -> None:
    assert mixed_scripts("Ma\u0433y") == ["Latin", "Cyrillic"]
    warning = Contacts().warning("P\u0430ypal Support", "support@pay.example")
    assert warning == "mixes Latin and Cyrillic letters in its name and is from support@pay.example"


def test_skeletons_are_compared_case_folded() -> None:
    assert fold("paypaI.com") == fold("PAYPAL.COM") == fold("paypa1.com") == fold("paypal.com")
    assert fold(CYRILLIC_AMY) == fold("Amy Lee")
    assert fold("Amy Lee") != fold("Amy Lea")


def test_a_cyrillic_look_alike_is_flagged_in_triage_and_on_a_draft_to_it(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    with_amy_as_a_contact(store)
    store.set_profile(keys.USER_NAME, "Sam")
    impostor = "amy.lee@mail.example"
    make_maildir(
        tmp_path / "Maildir",
        make_mail(f"{CYRILLIC_AMY} <{impostor}>", subject="Quick favour", body="Are you free?"),
    )
    ctx = context(store, maildir_settings(tmp_path / "Maildir"), home)
    listing = check_mail.func(ctx)
    expected = f"looks like Amy Lee <{AMY}> but is from {impostor}"
    assert listing.data[0]["warning"] == expected
    assert f"Warning: the sender {expected}." in listing.text

    summary = summarize_mail.func(ctx, "1")
    assert summary.text.startswith(f"Warning: the sender {expected}.")

    draft = asyncio.run(draft_reply.func(ctx, "sure, what is it?", "", "1"))
    assert f"Warning: the recipient looks like Amy Lee <{AMY}> but goes to {impostor}." in (
        draft.text
    )
    assert impostor in draft.text.splitlines()[0]


@pytest.mark.parametrize(
    "fake", ["pat@examp1e.com", "billing@exampIe.com"], ids=["one-for-l", "capital-i-for-l"]
)
def test_the_confirmation_to_send_to_a_homoglyph_domain_carries_the_warning(
    store: SQLiteStore, home: Path, tmp_path: Path, fake: str
) -> None:
    with_amy_as_a_contact(store)
    make_maildir(
        tmp_path / "Maildir",
        make_mail(f"Accounts <{fake}>", subject="Invoice", body="Please pay the invoice."),
    )
    shown = fake.lower()  # a capital I shows as the i it is
    companion = mail_companion(store, maildir_settings(tmp_path / "Maildir"), home)
    listing = say(companion, "check my mail")
    assert any(f"but is from {shown}" in getattr(e, "text", "") for e in listing)
    say(companion, "read mail 1")
    say(companion, "reply that I will look at it")
    asked = [e for e in say(companion, "send it") if isinstance(e, ConfirmationRequired)]
    assert len(asked) == 1
    assert asked[0].summary.startswith(f"send this mail to Accounts <{shown}>")
    assert asked[0].summary.endswith(
        f"Warning: the recipient looks like Pat Example <pat@example.com> but goes to {shown}."
    )
    pending = store.tool_calls(status="pending")
    assert "Warning: the recipient looks like" in pending[0].summary


def test_a_display_name_is_never_shown_without_its_address(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    make_maildir(tmp_path / "Maildir", make_mail("Jo Park <jo@work.example>", subject="Hi"))
    ctx = context(store, maildir_settings(tmp_path / "Maildir"), home)
    assert "1. Jo Park <jo@work.example> — “Hi”" in check_mail.func(ctx).text
    assert "From: Jo Park <jo@work.example>" in read_mail.func(ctx, "1").text
    assert summarize_mail.func(ctx, "1").text.startswith("Jo Park <jo@work.example> wrote")


# -- C: what an HTML mail shows ---------------------------------------------------------------


def test_an_html_mails_remote_images_and_links_are_not_active(
    store: SQLiteStore, home: Path, tmp_path: Path
) -> None:
    html = (
        '<p>Hello <img src="https://track.evil.example/p.gif?u=sam" width="1">'
        '<img src="https://cdn.evil.example/logo.png" alt="Logo"></p>'
        '<p><a href="https://evil.example/login">https://bank.example/login</a> and '
        '<a href="https://docs.example/a">https://docs.example/a</a></p>'
    )
    make_maildir(tmp_path / "Maildir", make_mail(body="", html=html))
    ctx = context(store, maildir_settings(tmp_path / "Maildir"), home)
    text = read_mail.func(ctx, "", "amy").text
    assert "Hello [image][image: Logo]" in text
    assert "https://bank.example/login [link: https://evil.example/login]" in text
    assert "https://docs.example/a and" not in text or "[link: https://docs.example/a]" not in text
    assert "track.evil.example" not in text and "cdn.evil.example" not in text
