"""The mail tools: check (triage), read, summarise, draft; send, archive, move and delete only
after the user confirms that exact call. Everything a mail says is returned as untrusted."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from os1.memory.dates import find_time_ranges
from os1.mind.persona import Identity
from os1.skills.base import SkillContext, ToolError, ToolOutput, tool
from os1.skills.mail import state
from os1.skills.mail.boxes import build_message, open_box, send_message
from os1.skills.mail.config import MailAccount, account, mail_settings
from os1.skills.mail.draft import (
    can_polish,
    copied_from_mail,
    first_name,
    plain_draft,
    polish,
    reply_subject,
)
from os1.skills.mail.facts import remember_facts
from os1.skills.mail.lookalike import Contact, Contacts, recipients_warning
from os1.skills.mail.parse import ParsedMail, mailboxes, named_address, one_line
from os1.skills.mail.state import MailRef
from os1.skills.mail.triage import CATEGORIES, Triage, Verdict, known_names_from_memory
from os1.skills.mail.voice import Voice, learn_voice

# How far back "the mail from Amy" is looked for.
SEARCH_WINDOW = 200
# Longest body shown when reading one mail of a thread.
READ_CHARS = 8000
THREAD_OTHERS = 5


def prepare(ctx: SkillContext) -> None:
    """Bring the mail tables up to date (for callers without a Companion, like the CLI)."""
    ctx.store.migrate_component("skill:mail", state.MIGRATIONS)


def contacts_for(ctx: SkillContext, acct: MailAccount | None) -> Contacts:
    """Whom a look-alike could pass for: people the user wrote to, and the user."""
    own = {a.lower() for a in (acct.address, acct.username) if "@" in a} if acct else set()
    name = acct.display_name if acct else ""
    return Contacts.of(state.contacts(ctx.store), [Contact(name, a) for a in sorted(own)])


def triage_for(ctx: SkillContext, acct: MailAccount) -> Triage:
    own = {a.lower() for a in (acct.address, acct.username) if "@" in a}
    known: set[str] = set()
    if ctx.memory is not None:
        known = known_names_from_memory(ctx.memory.store.known_people())
        me = (Identity.load(ctx.store).user_name or "").split(" ")[0].lower()
        known.discard(me)
    return Triage(
        own=own,
        stats=state.sender_stats(ctx.store),
        known_names=known,
        contacts=contacts_for(ctx, acct),
    )


def _line(n: int, mail: ParsedMail, verdict: Verdict) -> str:
    subject = one_line(mail.subject or "(no subject)", 70)
    flag = " [malformed]" if any("malformed" in p for p in mail.problems) else ""
    line = f"{n}. {named_address(mail.from_name, mail.from_addr, 40)} — “{subject}”{flag} — "
    line += verdict.reason
    return line + (f"\n   Warning: the sender {verdict.warning}." if verdict.warning else "")


@tool
def check_mail(
    ctx: SkillContext,
    account_name: str = "",
    only: Literal["all", "important"] = "all",
    limit: int = 0,
) -> ToolOutput:
    """Check the inbox and sort it into important, later and can go, each with a reason.

    Args:
        account_name: which mail account (default: the default one)
        only: "all", or "important" for only what matters
        limit: how many of the newest mails to look at (default from the config)
    """
    prepare(ctx)
    acct = account(ctx.settings, account_name or None)
    limit = limit or mail_settings(ctx.settings).triage_limit
    with open_box(acct) as box:
        mails = box.latest(limit)
    judge = triage_for(ctx, acct)
    now = ctx.now()
    judged = [(m, judge.judge(m, now)) for m in mails]
    order = {c: i for i, c in enumerate(CATEGORIES)}
    judged.sort(key=lambda mv: order[mv[1].category])
    state.save_listing(ctx.store, [(MailRef.of(m), v.category) for m, v in judged])
    counts = {c: sum(1 for _, v in judged if v.category == c) for c in CATEGORIES}
    data = [
        {"n": n, "ref": m.ref, "from": m.from_addr, "sender": m.sender, "subject": m.subject,
         "category": v.category, "reason": v.reason, "score": v.score, "warning": v.warning}
        for n, (m, v) in enumerate(judged, start=1)
    ]  # fmt: skip
    if not judged:
        return ToolOutput("Your inbox is empty.", data=data)
    if only == "important":
        lines = [_line(n, m, v) for n, (m, v) in enumerate(judged, 1) if v.category == "important"]
        if not lines:
            head = f"Nothing important among your {len(judged)} newest mails."
            return ToolOutput(head, data=data, untrusted=False)
        text = f"{len(lines)} important:\n" + "\n".join(lines)
        return ToolOutput(text + "\n\nSay “read 1” to read one.", data=data, untrusted=True)
    parts = [
        f"{len(judged)} mails: {counts['important']} important, {counts['later']} for later, "
        f"{counts['can go']} that can go."
    ]
    titles = {"important": "Important", "later": "Later", "can go": "Can go"}
    for category in CATEGORIES:
        lines = [_line(n, m, v) for n, (m, v) in enumerate(judged, 1) if v.category == category]
        if lines:
            parts.append(f"{titles[category]}:\n" + "\n".join(lines))
    parts.append("Say “read 1” to read one.")
    return ToolOutput("\n\n".join(parts), data=data, untrusted=True)


@dataclass
class Found:
    account: MailAccount
    mail: ParsedMail


def _matches(mail: ParsedMail, who: str) -> bool:
    who = who.strip().lower()
    return bool(who) and (who in mail.from_name.lower() or who in mail.from_addr)


def find_mail(
    ctx: SkillContext,
    which: str = "",
    sender: str = "",
    account_name: str = "",
    *,
    newest: bool = True,
) -> Found:
    """The mail meant: a number from the last listing, the newest from a sender, or the one
    in focus (read last); fetched whole."""
    prepare(ctx)
    which = which.strip().lstrip("#")
    ref: MailRef | None = None
    if which.isdigit():
        ref = state.listed(ctx.store, int(which))
        if ref is None:
            raise ToolError(f"there is no mail number {which}", hint="Check your mail first.")
    elif which:
        parts = which.split(":")
        if len(parts) < 3:
            raise ToolError(f"I can't tell which mail {which!r} is", hint="Use its number.")
        ref = MailRef(parts[0], ":".join(parts[1:-1]), parts[-1], "", "", "", "")
    elif not sender:
        ref = state.focus(ctx.store)
        if ref is None and not newest:
            raise ToolError(
                "which mail should I answer?", hint="Say “reply to Amy that …” or read one first."
            )
    acct = account(ctx.settings, (ref.account if ref else account_name) or None)
    with open_box(acct) as box:
        if ref is not None:
            mail = box.fetch(ref.uid, ref.folder)
            if ref.message_id and mail.message_id and ref.message_id != mail.message_id:
                raise ToolError("that mail has changed since I listed it", hint="Check again.")
            return Found(acct, mail)
        recent = box.latest(SEARCH_WINDOW)
        chosen = [m for m in recent if _matches(m, sender)] if sender else recent[:1]
        if not chosen:
            who = f" from {one_line(sender, 40)}" if sender else ""
            raise ToolError(f"I found no mail{who} in your inbox", hint="Check your mail first.")
        return Found(acct, box.fetch(chosen[0].uid, chosen[0].folder))


def _thread(acct: MailAccount, mail: ParsedMail) -> list[ParsedMail]:
    """Earlier mails of the same thread in the inbox, oldest first."""
    ids = set(mail.references) | ({mail.in_reply_to} if mail.in_reply_to else set())
    key = _thread_key(mail.subject)
    with open_box(acct) as box:
        others = [
            m
            for m in box.latest(SEARCH_WINDOW, mail.folder)
            if m.uid != mail.uid
            and ((m.message_id and m.message_id in ids) or (key and _thread_key(m.subject) == key
                 and (m.from_addr == mail.from_addr or mail.from_addr in m.to)))
        ]  # fmt: skip
    others.sort(key=lambda m: m.date.timestamp() if m.date else 0.0)
    return others[-THREAD_OTHERS:]


def _thread_key(subject: str) -> str:
    key = re.sub(r"^(?:\s*(?:re|fwd?|aw|wg|sv)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return key.strip().lower() if re.match(r"^\s*(re|fwd?|aw|sv)\s*:", subject, re.I) or key else ""


def render(mail: ParsedMail, limit: int = READ_CHARS, contacts: Contacts | None = None) -> str:
    lines = [f"From: {mail.shown_sender}"]
    warning = contacts.about(mail) if contacts else None
    if warning:
        lines.insert(0, f"Warning: the sender {warning}.")
    if mail.reply_to and mail.reply_to != mail.from_addr:
        lines.append(f"Reply-To: {mail.reply_to} (not the sender's address)")
    if mail.to:
        lines.append("To: " + ", ".join(mail.to[:5]) + (" …" if len(mail.to) > 5 else ""))
    if mail.date:
        lines.append(f"Date: {mail.date.strftime('%a %d %b %Y %H:%M')}")
    lines.append(f"Subject: {mail.subject or '(no subject)'}")
    if mail.attachments:
        shown = ", ".join(f"{n} ({_size(s)})" for n, _, s in mail.attachments[:6])
        lines.append(f"Attachments: {shown} — not opened")
    body = mail.text if len(mail.text) <= limit else mail.text[:limit] + "\n[… cut]"
    lines += ["", body or "(no text)"]
    if mail.hidden_removed:
        lines.append(f"\n[{mail.hidden_removed} hidden piece(s) of text not shown]")
    if mail.invisible_removed:
        lines.append(f"\n[{mail.invisible_removed} invisible character(s) removed]")
    if mail.problems:
        lines.append("\nNote: " + "; ".join(mail.problems) + ". Nothing was changed or lost.")
    return "\n".join(lines)


def _size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{max(1, size // 1024)} KB"


@tool
def read_mail(
    ctx: SkillContext, which: str = "", sender: str = "", account_name: str = ""
) -> ToolOutput:
    """Read a mail and its thread: by its number in the last check, or the newest from someone.

    Args:
        which: the mail's number from the last check (empty: the newest, or the one in focus)
        sender: a name or address; the newest mail from them is read
        account_name: which mail account
    """
    found = find_mail(ctx, which, sender, account_name)
    mail = found.mail
    earlier = _thread(found.account, mail)
    contacts = contacts_for(ctx, found.account)
    state.set_focus(ctx.store, MailRef.of(mail))
    state.record(ctx.store, mail.from_addr, "read", mail.from_name)
    parts = []
    if earlier:
        parts.append(f"Thread of {len(earlier) + 1} mails; earlier ones first, shortened:")
        parts += [render(m, 600, contacts) for m in earlier]
        parts.append("Latest:")
    parts.append(render(mail, contacts=contacts))
    if ctx.memory is not None:
        noted = remember_facts(ctx.memory, mail, contacts)
        if noted:
            parts.append("I noted: " + "; ".join(noted) + ".")
    return ToolOutput("\n\n".join(parts), data={"ref": mail.ref}, untrusted=True)


_SENTENCE = re.compile(r"[^.!?\n]{3,300}[.!?]?")


@tool
def summarize_mail(
    ctx: SkillContext, which: str = "", sender: str = "", account_name: str = ""
) -> ToolOutput:
    """Summarise one mail in a few lines: who, what it asks, dates it mentions, attachments.

    Args:
        which: the mail's number from the last check (empty: the one in focus)
        sender: a name or address; their newest mail is summarised
        account_name: which mail account
    """
    found = find_mail(ctx, which, sender, account_name)
    mail = found.mail
    state.set_focus(ctx.store, MailRef.of(mail))
    sentences = [s.strip() for s in _SENTENCE.findall(mail.text[:3000]) if len(s.split()) > 2]
    gist = " ".join(sentences[:2])[:300] or one_line(mail.text, 300) or "(no text)"
    asks = [s for s in sentences if s.endswith("?")][:2]
    subject = one_line(mail.subject or "(no subject)", 80)
    lines = [
        f"{mail.shown_sender} wrote about “{subject}”.",
        f"It begins: {gist}",
    ]
    warning = contacts_for(ctx, found.account).about(mail)
    if warning:
        lines.insert(0, f"Warning: the sender {warning}.")
    if asks:
        lines.append("It asks: " + " ".join(asks)[:300])
    if mail.date:
        spans = find_time_ranges(mail.text[:2000], mail.date.replace(tzinfo=None))
        if spans:
            lines.append("Dates: " + ", ".join(sorted({s.text for s in spans})[:4]))
    if mail.attachments:
        lines.append(f"{len(mail.attachments)} attachment(s), not opened.")
    if mail.problems:
        lines.append("Note: " + "; ".join(mail.problems) + ".")
    return ToolOutput("\n".join(lines), data={"ref": mail.ref}, untrusted=True)


@tool
async def draft_reply(
    ctx: SkillContext, instructions: str, to: str = "", which: str = "", account_name: str = ""
) -> ToolOutput:
    """Draft a reply in the user's voice; it is only sent when the user confirms.

    Args:
        instructions: what the reply should say, in the user's words
        to: whose newest mail to answer (a name or address; empty: the mail in focus)
        which: the mail's number from the last check
        account_name: which mail account
    """
    if not instructions.strip():
        raise ToolError("what should the reply say?", hint="e.g. “reply to Amy that I'm in”.")
    found = await asyncio.to_thread(find_mail, ctx, which, to, account_name, newest=False)
    mail = found.mail
    user_name = Identity.load(ctx.store).user_name or found.account.display_name or None
    voice = await asyncio.to_thread(_voice, found.account)
    plain = body = plain_draft(instructions, first_name(mail.from_name), user_name, voice)
    polished = False
    if can_polish(ctx.model, mail_settings(ctx.settings).draft_with_model):
        assert ctx.model is not None
        better = await polish(ctx.model, body, instructions, mail, user_name)
        if better:
            body, polished = better, True
    recipient = named_address(mail.from_name, mail.from_addr)
    contacts = await asyncio.to_thread(contacts_for, ctx, found.account)
    warning = contacts.about(mail, outgoing=True)
    # What the model's wording repeats from the mail, beyond what the user asked: marked.
    outside = tuple(copied_from_mail(body, f"{instructions}\n{plain}", mail)) if polished else ()
    draft = await asyncio.to_thread(
        state.add_draft, ctx.store, found.account.name, recipient, reply_subject(mail.subject),
        body, mail.message_id, mail.references, warning or "", outside,
    )  # fmt: skip
    await asyncio.to_thread(state.set_focus, ctx.store, MailRef.of(mail))
    lines = [f"Draft #{draft.id} to {recipient}, subject “{draft.subject}”:", "", body, ""]
    if warning:
        lines.append(f"Warning: the recipient {warning}.")
    if outside:
        lines.append(f"From the mail you're answering, not from you: {marked(outside)}.")
    if not warning and not contacts.verified(mail.from_addr):
        lines.append(f"Note: you haven't written to {mail.from_addr} before.")
    if mail.reply_to and mail.reply_to != mail.from_addr:
        lines.append(
            f"Note: the mail asked for replies to go to {mail.reply_to}; I addressed it to the "
            "sender instead."
        )
    lines.append("Say “send it” to send it (I'll ask you to confirm), or tell me what to change.")
    return ToolOutput("\n".join(lines), data={"draft": draft.id}, untrusted=polished)


# How many of the user's sent mails teach their greeting and sign-off.
VOICE_SAMPLE = 20


def _voice(acct: MailAccount) -> Voice:
    """The user's greeting and closing from their sent mail; defaults when there is none."""
    try:
        with open_box(acct) as box:
            return learn_voice(box.latest(VOICE_SAMPLE, acct.sent_folder))
    except ToolError:
        return Voice()


def _recipients(to: str) -> list[str]:
    addresses = [a for _, a in mailboxes(to)]
    if not addresses or any(not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", a) for a in addresses):
        raise ToolError(f"{one_line(to, 80)!r} is not a mail address", hint="e.g. amy@example.org")
    return addresses


def send_now(
    ctx: SkillContext, to: str, subject: str, body: str, draft_id: int = 0, account_name: str = ""
) -> str:
    """Send exactly this mail (called only after the user confirmed it)."""
    prepare(ctx)
    recipients = _recipients(to)
    draft = state.draft(ctx.store, draft_id) if draft_id else None
    if draft_id and draft is None:
        raise ToolError(f"there is no draft #{draft_id}")
    acct = account(ctx.settings, (draft.account if draft else account_name) or None)
    if draft is not None and not state.mark_sent(ctx.store, draft.id):
        raise ToolError(f"draft #{draft.id} was already sent", hint="Nothing was sent again.")
    message = build_message(
        acct, to, subject, body,
        in_reply_to=draft.in_reply_to if draft else "",
        references=draft.references if draft else None,
        now=ctx.now(),
    )  # fmt: skip
    try:
        send_message(acct, message)
    except ToolError:
        if draft is not None:
            state.unmark_sent(ctx.store, draft.id)
        raise
    for name, address in mailboxes(to):  # the name too: a look-alike may borrow it
        state.record(ctx.store, address, "replied", name)
    kept = ""
    try:
        with open_box(acct) as box:
            box.append(acct.sent_folder, message.as_bytes())
    except ToolError as exc:
        kept = f" (No copy kept in {acct.sent_folder}: {exc.message}.)"
    return f"Sent to {', '.join(recipients)}.{kept}"


def send_warning(ctx: SkillContext, arguments: dict[str, Any]) -> str | None:
    """Said with the confirmation: a recipient that is a look-alike of a contact (the one
    found when the draft was made, which saw the address as written, else checked now); a
    recipient the user never wrote to; and what the mail repeats from outside, marked."""
    to = str(arguments.get("to", ""))
    body = str(arguments.get("body", ""))
    draft_id = int(arguments.get("draft_id") or 0)
    draft = state.draft(ctx.store, draft_id) if draft_id else None
    try:
        acct: MailAccount | None = account(ctx.settings, arguments.get("account_name") or None)
    except ToolError:
        acct = None
    contacts = contacts_for(ctx, acct)
    notes: list[str] = []
    if draft is not None and draft.to == to and draft.warning:
        notes.append(f"the recipient {draft.warning}")
    elif found := recipients_warning(contacts, mailboxes(to)):
        notes.append(f"the recipient {found}")
    new = [a for _, a in mailboxes(to) if not contacts.verified(a)]
    if new and not notes:  # a look-alike warning already says it is not the contact
        notes.append(f"you haven't written to {', '.join(new)} before")
    if draft is not None:
        repeated = [w for w in draft.outside if w.lower() in body.lower()]
        if repeated:
            notes.append(f"from the mail being answered, not from you: {marked(repeated)}")
        added = _words_not_in(body, draft.body)
        if added:
            notes.append(f"not in draft #{draft.id}: {marked(added)}")
    return "; ".join(notes) or None


def marked(words: Sequence[str], limit: int = 12) -> str:
    """Outside words as the user sees them flagged: «like» «this»."""
    shown = " ".join(f"«{w}»" for w in words[:limit])
    return shown + (f" and {len(words) - limit} more" if len(words) > limit else "")


def _words_not_in(text: str, draft: str) -> list[str]:
    def words(value: str) -> list[str]:
        return [w.strip(".-") for w in re.findall(r"[\w'’@.+-]+", value) if w.strip(".-")]

    known = {w.lower() for w in words(draft)}
    return list(dict.fromkeys(w for w in words(text) if w.lower() not in known))


@tool(
    side_effect=True,
    confirm="send this mail to {to}, subject “{subject}”:\n\n{body}\n\n(that is the whole mail)",
    warn=send_warning,
)
def send_mail(
    ctx: SkillContext, to: str, subject: str, body: str, draft_id: int = 0, account_name: str = ""
) -> str:
    """Send a mail; the confirmation shows exactly what will be sent.

    Args:
        to: recipient address(es)
        subject: the subject line
        body: the whole text of the mail
        draft_id: the draft this comes from (threads it as a reply)
        account_name: which mail account sends it
    """
    return send_now(ctx, to, subject, body, draft_id, account_name)


def move_now(ctx: SkillContext, ref: MailRef, target: str, action: state.Action) -> str:
    """Move exactly this mail (checked by its Message-ID) to a folder."""
    prepare(ctx)
    acct = account(ctx.settings, ref.account or None)
    with open_box(acct) as box:
        mail = box.fetch(ref.uid, ref.folder)
        if ref.message_id != mail.message_id:
            raise ToolError("that mail has changed or moved since", hint="Nothing was moved.")
        box.move(ref.uid, ref.folder, target)
    state.record(ctx.store, mail.from_addr, action, mail.from_name)
    current = state.focus(ctx.store)
    if current is not None and (current.account, current.uid) == (ref.account, ref.uid):
        state.clear_focus(ctx.store)
    return f"Moved the mail from {ref.shown} to {target}."


def _ref(
    account_name: str, folder: str, uid: str, message_id: str, sender: str, subject: str
) -> MailRef:
    return MailRef(account_name, folder, uid, message_id, sender, "", subject)


@tool(side_effect=True, confirm="archive the mail from {sender} about “{subject}”")
def archive_mail(
    ctx: SkillContext, account_name: str, folder: str, uid: str, message_id: str, sender: str,
    subject: str,
) -> str:  # fmt: skip
    """Archive one mail (moved to the account's archive folder).

    Args:
        account_name: the mail's account
        folder: the folder it is in
        uid: its id in that folder
        message_id: its Message-ID, checked before anything moves
        sender: who sent it (shown when asking to confirm)
        subject: its subject (shown when asking to confirm)
    """
    acct = account(ctx.settings, account_name or None)
    ref = _ref(account_name, folder, uid, message_id, sender, subject)
    return move_now(ctx, ref, acct.archive_folder, "archived")


@tool(side_effect=True, confirm="move the mail from {sender} about “{subject}” to the trash")
def delete_mail(
    ctx: SkillContext, account_name: str, folder: str, uid: str, message_id: str, sender: str,
    subject: str,
) -> str:  # fmt: skip
    """Delete one mail (moved to the trash folder, where it can still be found).

    Args:
        account_name: the mail's account
        folder: the folder it is in
        uid: its id in that folder
        message_id: its Message-ID, checked before anything moves
        sender: who sent it (shown when asking to confirm)
        subject: its subject (shown when asking to confirm)
    """
    acct = account(ctx.settings, account_name or None)
    ref = _ref(account_name, folder, uid, message_id, sender, subject)
    return move_now(ctx, ref, acct.trash_folder, "deleted")


@tool(side_effect=True, confirm="move the mail from {sender} about “{subject}” to {target}")
def move_mail(
    ctx: SkillContext, account_name: str, folder: str, uid: str, message_id: str, sender: str,
    subject: str, target: str,
) -> str:  # fmt: skip
    """Move one mail to another folder.

    Args:
        account_name: the mail's account
        folder: the folder it is in
        uid: its id in that folder
        message_id: its Message-ID, checked before anything moves
        sender: who sent it (shown when asking to confirm)
        subject: its subject (shown when asking to confirm)
        target: the folder to move it to
    """
    if not re.fullmatch(r"[\w .&/-]{1,60}", target):
        raise ToolError(f"{one_line(target, 60)!r} is not a folder name I can use")
    ref = _ref(account_name, folder, uid, message_id, sender, subject)
    return move_now(ctx, ref, target, "archived")


@tool
def mail_accounts(ctx: SkillContext) -> ToolOutput:
    """List the mail accounts that are set up (never their passwords)."""
    mail = mail_settings(ctx.settings)
    if not mail.accounts:
        return ToolOutput("No mail account is set up yet: add one under [mail.accounts.<name>].")
    lines = []
    for name, acct in mail.accounts.items():
        shown = acct.public()
        where = f"{shown.get('host')}:{shown.get('port')}" if acct.kind == "imap" else acct.path
        lines.append(f"{name}: {acct.kind} {where} ({acct.address or 'no address set'})")
    return ToolOutput("\n".join(lines), data=[a.public() for a in mail.accounts.values()])


@tool
def mail_in_focus(ctx: SkillContext) -> ToolOutput:
    """Say which mail “that” refers to (the one read last)."""
    prepare(ctx)
    ref = state.focus(ctx.store)
    if ref is None:
        return ToolOutput(
            "Which mail? Read one first, e.g. “read the mail from Amy” or “check my mail”."
        )
    text = f"The mail in focus is from {ref.shown}: “{ref.subject}”."
    return ToolOutput(text, untrusted=True)


TOOLS = [
    check_mail, read_mail, summarize_mail, draft_reply, send_mail, archive_mail, delete_mail,
    move_mail, mail_accounts, mail_in_focus,
]  # fmt: skip
