"""Mail triage on a generated mailbox with labels, next to naive baselines in the same run.

Run: .venv/bin/python bench/mail_triage.py [--messages 1200] [--seed 7]

The mailbox is a Maildir of realistic kinds of mail (personal, work, newsletters, promotions,
notifications, urgent, alerts, cold outreach, list discussions), each labelled by what it
*is* (important / later / can go), written before and independently of the rules: the
generator's wording varies (several templates per kind, random names, dates and filler) and
includes the hard cases that rules get wrong (a stranger's sales pitch with a question, a
friend's chatty news). Printed: time per message, agreement with the labels with and without
the learned sender history, a confusion matrix, per-kind agreement, and the baselines
"everything important", "majority class" and a sender-only rule.
"""

from __future__ import annotations

import argparse
import email
import mailbox
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from os1.skills.mail.boxes import MaildirBox
from os1.skills.mail.config import MailAccount
from os1.skills.mail.parse import ParsedMail
from os1.skills.mail.state import SenderStats
from os1.skills.mail.triage import CATEGORIES, Triage

ME = "sam@home.example"
NOW = datetime.fromisoformat("2026-11-30T09:00:00+00:00")
FIRST = [
    "Amy",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Femi",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lena",
    "Mo",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rui",
    "Sana",
    "Tom",
    "Uma",
    "Vik",
    "Wen",
    "Yara",
]
LAST = ["Lee", "Park", "Ng", "Costa", "Ali", "Berg", "Diaz", "Okafor", "Sato", "Moreau"]
FILLER = [
    "Hope your week is going well.",
    "It was great to catch up last time.",
    "Sorry for the long silence.",
    "The weather here has been lovely.",
    "I've been swamped lately.",
    "Thanks again for your help with this.",
    "",
]


class Mailbox:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people = [f"{f} {l}" for f in FIRST for l in LAST]  # noqa: E741
        rng.shuffle(self.people)
        self.friends = self.people[:12]  # the user has written to these before
        self.colleagues = self.people[12:30]
        self.strangers = self.people[30:]
        self.annoying = self.people[30:33]  # humans whose mail the user always deletes

    def addr(self, name: str, domain: str) -> str:
        return f"{name.split()[0].lower()}.{name.split()[1].lower()}@{domain}"

    def pick(self, items: list[str]) -> str:
        return self.rng.choice(items)

    def day(self) -> str:
        return self.pick(["Saturday", "Friday", "tomorrow", "next week", "on the 12th", "Monday"])


def mail(
    frm: str,
    subject: str,
    body: str,
    *,
    to: str = ME,
    cc: str = "",
    headers: dict[str, str] | None = None,
    when: datetime = NOW,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = frm
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="bench.example")
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    return msg.as_bytes()


def personal_question(b: Mailbox, known: bool) -> bytes:
    who = b.pick(b.friends if known else b.strangers[3:])
    q = b.pick(
        [
            f"Are you free {b.day()} for dinner?",
            "Can you send me the photos from the trip?",
            "Do you still have my book? I need it back.",
            "What do you think about the plan?",
            f"Could you pick me up {b.day()}?",
            "Would you be up for a hike?",
        ]
    )
    return mail(
        f"{who} <{b.addr(who, 'friends.example')}>",
        b.pick(["Quick question", q[:30], "Hey", "Plans"]),
        f"Hi Sam,\n\n{b.pick(FILLER)} {q}\n\n{who.split()[0]}",
    )


def personal_news(b: Mailbox) -> bytes:
    who = b.pick(b.friends + b.strangers[3:10])
    news = b.pick(
        [
            "We finally adopted a dog.",
            "Saw this article and thought of you.",
            "The garden is looking great this year.",
            "Here are some photos from the weekend.",
            "Just wanted to say thanks for last night.",
        ]
    )
    return mail(
        f"{who} <{b.addr(who, 'friends.example')}>",
        b.pick(["News", "Photos", "Hello", "Thanks"]),
        f"Hi Sam,\n\n{news} {b.pick(FILLER)}\n\n{who.split()[0]}",
    )


def work_request(b: Mailbox) -> bytes:
    who = b.pick(b.colleagues)
    ask = b.pick(
        [
            "Can you review the attached proposal?",
            "Could you send me the Q3 numbers?",
            "Please approve the budget request.",
            "Would you join the call with the client?",
            "Can you take a look at the bug report?",
            "Let me know if the draft works.",
        ]
    )
    return mail(
        f"{who} <{b.addr(who, 'work.example')}>",
        b.pick(["Request", "Proposal", "Q3 numbers", "Budget", "Client call", "Review"]),
        f"Hi Sam,\n\n{ask} {b.pick(FILLER)}\n\nThanks,\n{who.split()[0]}",
    )


def work_urgent(b: Mailbox) -> bytes:
    who = b.pick(b.colleagues)
    text = b.pick(
        [
            "The production server is down, we need you now.",
            "Urgent: the client contract must be signed today.",
            "The deadline moved to tomorrow morning.",
            "Need your sign-off by end of day.",
        ]
    )
    return mail(
        f"{who} <{b.addr(who, 'work.example')}>",
        b.pick(["URGENT", "Deadline", "Server down", "Sign-off needed"]),
        f"Sam,\n\n{text}\n\n{who.split()[0]}",
    )


def work_fyi(b: Mailbox) -> bytes:
    who = b.pick(b.colleagues)
    team = ", ".join(b.addr(c, "work.example") for c in b.colleagues[:12])
    text = b.pick(
        [
            "Attached are the notes from today's meeting.",
            "FYI the office is closed on the 24th.",
            "The new coffee machine has arrived.",
            "Sharing the slides from the all-hands.",
        ]
    )
    cc_me = b.rng.random() < 0.5
    return mail(
        f"{who} <{b.addr(who, 'work.example')}>",
        b.pick(["Meeting notes", "FYI", "Office news", "Slides"]),
        f"Hi all,\n\n{text}\n\n{who.split()[0]}",
        to=team if cc_me else team + ", " + ME,
        cc=ME if cc_me else "",
    )


def reply_in_thread(b: Mailbox) -> bytes:
    who = b.pick(b.colleagues + b.friends)
    return mail(
        f"{who} <{b.addr(who, 'work.example')}>",
        "Re: " + b.pick(["Offsite", "Visit", "Contract", "Your question"]),
        b.pick(
            [
                "Yes, that works for me.",
                "Sounds good, see you then.",
                "Done, it's in the folder now.",
            ]
        )
        + "\n\n> earlier text",
        headers={"In-Reply-To": make_msgid(domain="home.example")},
    )


def newsletter(b: Mailbox, name: str | None = None) -> bytes:
    name = name or b.pick(
        [
            "The Morning Brief",
            "Gardening Weekly",
            "Tech Digest",
            "Local News",
            "Book Club Notes",
            "Product Updates",
        ]
    )
    slug = name.lower().replace(" ", "")
    issue = f"issue #{b.rng.randint(1, 300)}"
    return mail(
        f"{name} <{b.pick(['news', 'hello', 'digest', 'editor'])}@{slug}.example>",
        f"{name}: {b.pick(['this week', 'top stories', issue, 'what you missed'])}",
        "Here are this week's top stories.\n\nUnsubscribe: https://x.example/u",
        headers={
            "List-Unsubscribe": f"<mailto:unsub@{slug}.example>",
            "List-Id": f"<{slug}.example>",
        },
    )


def promotion(b: Mailbox) -> bytes:
    shop = b.pick(["ShoeHub", "MegaMart", "TravelDeals", "BookNook", "GadgetZone"])
    subj = b.pick(
        [
            "40% off everything this weekend",
            "Last chance: sale ends today!",
            "Your exclusive offer inside",
            "Free shipping on all orders",
            "New arrivals you'll love",
            "Flash sale: 24 hours only",
        ]
    )
    headers = {"List-Unsubscribe": f"<mailto:u@{shop.lower()}.example>"}
    if b.rng.random() < 0.5:
        headers["Precedence"] = "bulk"
    return mail(
        f"{shop} <{b.pick(['offers', 'deals', 'marketing', 'hello', 'shop'])}@"
        f"{shop.lower()}.example>",
        subj,
        "Shop now and save big!",
        headers=headers,
    )


def transactional(b: Mailbox) -> bytes:
    svc = b.pick(["Parcelly", "CityBank", "PowerCo", "Calendar", "TrainCo"])
    subj = b.pick(
        [
            "Your order has shipped",
            "Your receipt",
            "Your statement is ready",
            "Invitation: Team sync",
            "Your booking confirmation",
        ]
    )
    return mail(
        f"{svc} <{b.pick(['noreply', 'no-reply', 'notifications', 'info'])}@{svc.lower()}.example>",
        subj,
        "Details are below. Thank you.",
    )


def social(b: Mailbox) -> bytes:
    net = b.pick(["FaceSpace", "Chirper", "LinkUp"])
    who = b.pick(b.strangers)
    subj = b.pick(
        [
            f"{who} liked your photo",
            f"{who} wants to connect",
            "You have 3 new notifications",
            f"{who} mentioned you in a comment",
        ]
    )
    return mail(
        f"{net} <notification@{net.lower()}.example>",
        subj,
        "See what's new.",
        headers={"List-Unsubscribe": "<mailto:u@x.example>"},
    )


def alert(b: Mailbox) -> bytes:
    svc = b.pick(["CityBank", "MailCo", "CloudDrive"])
    subj = b.pick(
        [
            "Security alert: new sign-in from Chrome",
            "Payment failed for your subscription",
            "Your password was changed",
            "Unusual activity on your account",
        ]
    )
    return mail(f"{svc} <no-reply@{svc.lower()}.example>", subj, "If this wasn't you, act now.")


def cold_outreach(b: Mailbox) -> bytes:
    who = b.pick(b.strangers[10:])
    return mail(
        f"{who} <{b.addr(who, 'vendor.example')}>",
        b.pick(["Quick question", "15 minutes?", "Partnership"]),
        f"Hi Sam,\n\nI'd love to show you our platform. "
        f"Would you have 15 minutes {b.day()}?\n\n{who}",
    )


def list_discussion(b: Mailbox) -> bytes:
    who = b.pick(b.strangers)
    return mail(
        f"{who} <{b.addr(who, 'lists.example')}>",
        "Re: [py-dev] " + b.pick(["release schedule", "typing question", "build failures"]),
        "I think we should wait for the next release. What do others think?",
        to="py-dev@lists.example",
        headers={
            "List-Id": "<py-dev.lists.example>",
            "List-Unsubscribe": "<mailto:leave@lists.example>",
            "Precedence": "list",
        },
    )


def annoying(b: Mailbox) -> bytes:
    who = b.pick(b.annoying)
    return mail(
        f"{who} <{b.addr(who, 'friends.example')}>",
        b.pick(["Chain letter", "Fwd: Fwd: funny", "You have to see this"]),
        "Forward this to ten friends!",
    )


def read_newsletter(b: Mailbox) -> bytes:
    return newsletter(b, "Running Club Monthly")


# kind, label, generator, share of the mailbox
KINDS: list[tuple[str, str, Callable[[Mailbox], bytes], float]] = [
    ("personal question (friend)", "important", lambda b: personal_question(b, True), 0.05),
    ("personal question (new person)", "important", lambda b: personal_question(b, False), 0.03),
    ("personal news", "later", personal_news, 0.06),
    ("work request", "important", work_request, 0.08),
    ("work urgent", "important", work_urgent, 0.04),
    ("work FYI to a team", "later", work_fyi, 0.08),
    ("reply in a thread", "important", reply_in_thread, 0.04),
    ("newsletter", "can go", newsletter, 0.16),
    ("newsletter the user reads", "later", read_newsletter, 0.03),
    ("promotion", "can go", promotion, 0.16),
    ("transactional notification", "later", transactional, 0.10),
    ("social notification", "can go", social, 0.08),
    ("security/payment alert", "important", alert, 0.03),
    ("cold outreach", "can go", cold_outreach, 0.03),
    ("mailing-list discussion", "later", list_discussion, 0.02),
    ("sender the user always deletes", "can go", annoying, 0.01),
]


def build(path: Path, n: int, rng: random.Random) -> tuple[dict[str, tuple[str, str]], Mailbox]:
    """A Maildir of n mails; returns Message-ID -> (kind, label)."""

    b = Mailbox(rng)
    box = mailbox.Maildir(path, create=True)
    labels: dict[str, tuple[str, str]] = {}
    weights = [k[3] for k in KINDS]
    for _ in range(n):
        kind, label, make, _ = rng.choices(KINDS, weights)[0]
        raw = make(b)
        when = NOW - timedelta(minutes=rng.randint(0, 7 * 24 * 60))
        msg = email.message_from_bytes(raw)
        del msg["Date"]
        msg["Date"] = format_datetime(when)
        labels[msg["Message-ID"]] = (kind, label)
        box.add(msg.as_bytes())
    return labels, b


def history(b: Mailbox) -> dict[str, SenderStats]:
    """What the user did before: replied to friends and some colleagues, read one newsletter,
    deleted the chain letters."""
    stats = {}
    for who in b.friends:
        a = b.addr(who, "friends.example")
        stats[a] = SenderStats(a, read=4, replied=2)
    for who in b.colleagues[:9]:
        a = b.addr(who, "work.example")
        stats[a] = SenderStats(a, read=6, replied=3)
    stats["news@runningclubmonthly.example"] = SenderStats(
        "news@runningclubmonthly.example", read=8
    )
    for slug in ("hello", "digest", "editor"):
        a = f"{slug}@runningclubmonthly.example"
        stats[a] = SenderStats(a, read=8)
    for who in b.annoying:
        a = b.addr(who, "friends.example")
        stats[a] = SenderStats(a, deleted=5)
    return stats


def sender_only(mail: ParsedMail) -> str:
    """Baseline: anything automated or from a list can go, anything from a person is important."""
    local = mail.from_addr.partition("@")[0]
    automated = any(
        w in local
        for w in (
            "noreply",
            "no-reply",
            "notification",
            "news",
            "offers",
            "deals",
            "marketing",
            "info",
            "hello",
            "digest",
        )
    )
    if automated or "list-unsubscribe" in mail.headers or "list-id" in mail.headers:
        return "can go"
    return "important"


def agreement(pred: list[str], gold: list[str]) -> float:
    return sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        labels, b = build(Path(tmp) / "Maildir", args.messages, rng)
        print(f"built {args.messages} mails in {time.perf_counter() - started:.1f} s")
        account = MailAccount(
            name="bench", kind="maildir", path=str(Path(tmp) / "Maildir"), address=ME
        )
        started = time.perf_counter()
        mails = MaildirBox(account).latest(args.messages)
        read_s = time.perf_counter() - started

        fresh = Triage(own={ME})
        learned = Triage(own={ME}, stats=history(b))
        per_message: list[float] = []
        verdicts = []
        for m in mails:
            t0 = time.perf_counter()
            verdicts.append(learned.judge(m, NOW))
            per_message.append(time.perf_counter() - t0)
        cold = [fresh.judge(m, NOW).category for m in mails]
        pred = [v.category for v in verdicts]
        gold = [labels[m.message_id][1] for m in mails]
        kinds = [labels[m.message_id][0] for m in mails]

    print(f"read + parse (first 16 KB of each): {read_s / len(mails) * 1000:.2f} ms per mail")
    print(
        f"triage: mean {statistics.mean(per_message) * 1000:.3f} ms, "
        f"p95 {sorted(per_message)[int(len(per_message) * 0.95)] * 1000:.3f} ms per mail"
    )
    print(f"labels: {dict(Counter(gold))}")
    majority = Counter(gold).most_common(1)[0][0]
    rows = [
        ("OS1 triage, with the user's history", pred),
        ("OS1 triage, no history (first run)", cold),
        ("baseline: sender-only rule", [sender_only(m) for m in mails]),
        ("baseline: everything important", ["important"] * len(gold)),
        (f"baseline: majority class ({majority})", [majority] * len(gold)),
    ]
    print("\nagreement with the labels:")
    for name, p in rows:
        important_recall = sum(
            1 for x, g in zip(p, gold, strict=True) if g == "important" and x == "important"
        ) / gold.count("important")
        flagged = p.count("important")
        precision = (
            (sum(1 for x, g in zip(p, gold, strict=True) if x == g == "important") / flagged)
            if flagged
            else 0.0
        )
        print(
            f"  {name:42s} {agreement(p, gold):6.1%}   important: recall "
            f"{important_recall:5.1%}, precision {precision:5.1%}"
        )
    print("\nconfusion (rows: label, columns: OS1 with history):")
    print("  " + " " * 10 + "".join(f"{c:>10s}" for c in CATEGORIES))
    for g in CATEGORIES:
        counts = Counter(p for p, gg in zip(pred, gold, strict=True) if gg == g)
        print(f"  {g:10s}" + "".join(f"{counts[c]:10d}" for c in CATEGORIES))
    print("\nper kind (OS1 with history):")
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for k, p, g in zip(kinds, pred, gold, strict=True):
        by_kind[k].append(p == g)
    for k, hits in sorted(by_kind.items(), key=lambda kv: sum(kv[1]) / len(kv[1])):
        print(f"  {k:34s} {sum(hits) / len(hits):6.1%}  (n={len(hits)})")


if __name__ == "__main__":
    main()
