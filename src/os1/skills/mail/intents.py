"""Mail requests in the user's own words ("check my mail", "reply to Amy that …").

Only the user's typed or spoken words reach these. Acting on "that" reads the mail in focus
(one indexed row of our own table) so the confirmation names exactly the mail that will move.
Those reads are read-only: the tables are made by `Skills.prepare`, and before that (or in a
store without them) nothing is in focus.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from os1.errors import OS1Error
from os1.skills.base import PlannedCall, SkillContext, intent
from os1.skills.focus import focus
from os1.skills.mail import state
from os1.skills.mail.state import Draft, MailRef

_MAIL = r"(?:e-?mails?|mails?|inbox|mailbox|messages?)"
_POLITE = r"^(?:(?:ok(?:ay)?|yes|hey|so|and|now|please|could you|can you|would you)[,\s]+)*"
_END = r"\s*(?:please|now|for me)?\s*[.!?]*\s*$"

_CHECK = re.compile(
    _POLITE
    + r"(?:(?:check|triage|sort|go through|look at|summari[sz]e|show me|read)\s+(?:my|the)\s+"
    r"(?:(?P<account>[\w-]{2,30})\s+)?" + _MAIL + r"(?:\s+(?:today|again))?"
    r"|(?:any|got any|do i have any|have i got any|is there any|are there any)\s+(?:new\s+)?"
    + _MAIL
    + r"(?:\s+(?:today|for me))?"
    r"|what'?s in my (?:inbox|mail(?:box)?))" + _END,
    re.IGNORECASE,
)
_IMPORTANT = re.compile(
    _POLITE + r"(?:what'?s important(?: today| in my " + _MAIL + r")?"
    r"|(?:is there )?anything important(?: (?:today|in my " + _MAIL + r"))?"
    r"|(?:show me |what are )?(?:my |the )?important " + _MAIL + r"(?: today)?)" + _END,
    re.IGNORECASE,
)
# Words before "mail" that are not an account's name ("check my new mail").
_NOT_ACCOUNTS = frozenset("new latest recent unread own last e".split())
_ANY_FROM = re.compile(
    _POLITE + r"(?:is there\s+|are there\s+|do i have\s+|have i got\s+|did i get\s+|"
    r"did i receive\s+|have i had\s+|got\s+)?any\s+(?:new\s+)?"
    r"(?:e-?mails?|mails?|messages?)\s+from\s+(?P<who>[\w .@'+-]{1,60}?)"
    r"(?:\s+today|\s+yet|\s+lately)?" + _END,
    re.IGNORECASE,
)
_READ_FROM = re.compile(
    _POLITE
    + r"(?:read|open|show)(?: me)?\s+(?:the\s+|that\s+)?(?:latest\s+|last\s+|new(?:est)?\s+)?"
    r"(?:e-?mail|mail|message)s?\s+from\s+(?P<who>[\w .@'+-]{1,60}?)" + _END,
    re.IGNORECASE,
)
_READ_POSSESSIVE = re.compile(
    _POLITE
    + r"(?:read|open|show)(?: me)?\s+(?P<who>[\w.'-]{1,40}?)['’]s\s+(?:latest\s+|last\s+|new\s+)?"
    r"(?:e-?mail|mail|message)" + _END,
    re.IGNORECASE,
)
_READ_NUMBER = re.compile(
    _POLITE
    + r"(?:read|open|show)(?: me)?\s+(?:(?:e-?mail|mail|message)\s+)?(?:number\s+)?(?:#|no\.?\s*)?"
    r"(?P<n>\d{1,4})" + _END,
    re.IGNORECASE,
)
_READ_IT = re.compile(
    _POLITE
    + r"(?:read|open|show)(?: me)?\s+(?:it|that|this|that one)(?:\s+(?:e-?mail|mail|message))?"
    r"(?: again)?" + _END,
    re.IGNORECASE,
)
_SUMMARY = re.compile(
    _POLITE
    + r"(?:summari[sz]e|sum up|give me the gist of)\s+(?:(?:the\s+)?(?:e-?mail|mail|message)"
    r"\s+from\s+(?P<who>[\w .@'+-]{1,60}?)|(?:e-?mail|mail|message|number)\s+#?(?P<n>\d{1,4})|"
    r"(?:it|that|this)(?:\s+(?:e-?mail|mail|message|one))?)" + _END,
    re.IGNORECASE,
)
_REPLY = re.compile(
    _POLITE + r"(?:reply|respond|write back)(?:\s+to\s+(?P<to>(?!that\b)[\w .@'+-]{1,60}?))?"
    r"\s*(?P<sep>:|,|\s(?:that|saying|and say|to say|with)\b)\s*(?P<what>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Who "reply to …" cannot be: the user or the companion ("reply to me in French").
_NOT_SENDERS = frozenset("me us myself you yourself".split())
# What puts a mail in focus, so "reply with a thumbs up" answers that mail.
_MAIL_TOOLS = frozenset(
    {"check_mail", "read_mail", "summarize_mail", "draft_reply", "send_mail", "mail_in_focus"}
)
_SEND = re.compile(
    _POLITE + r"send\s+(?:it|that|this|the\s+(?:draft|reply|answer|e-?mail|mail))"
    r"(?:\s+(?:off|now|please))?[.!]*\s*$",
    re.IGNORECASE,
)
_ACT = re.compile(
    _POLITE + r"(?P<verb>archive|delete|trash|bin|remove)\s+(?:(?P<it>that|it|this)"
    r"(?:\s+(?P<noun>e-?mail|mail|message|one))?|(?:(?:e-?mail|mail|message|number)\s+)#?"
    r"(?P<n>\d{1,4}))" + _END,
    re.IGNORECASE,
)
_MOVE = re.compile(
    _POLITE + r"move\s+(?:(?:that|it|this)(?:\s+(?P<noun>e-?mail|mail|message)|\s+one)?|"
    r"(?:(?:e-?mail|mail|message|number)\s+)#?(?P<n>\d{1,4}))\s+(?:in)?to\s+(?:the\s+)?"
    r"(?:folder\s+)?(?P<target>[\w .&/-]{1,60}?)(?:\s+folder)?" + _END,
    re.IGNORECASE,
)
_ACCOUNTS = re.compile(
    _POLITE
    + r"(?:list|show|which are|what are)\s+(?:me\s+)?(?:my\s+)?(?:e-?mail|mail)\s+accounts?"
    + _END,
    re.IGNORECASE,
)
# "delete that" without the word mail refers to a mail only right after one was read.
FRESH_FOCUS = timedelta(minutes=15)
# "send it" finds a draft only this fresh: an old one is not what the user means now.
FRESH_DRAFT = timedelta(hours=6)


def _who(text: str) -> str:
    return re.sub(r"^(?:the|my)\s+", "", text.strip(), flags=re.IGNORECASE)


@intent("mail.check")
def check(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if _IMPORTANT.match(text):
        return [PlannedCall("check_mail", {"only": "important"})]
    if m := _CHECK.match(text):
        name = (m.group("account") or "").lower()
        if name in ("important", "urgent"):
            return [PlannedCall("check_mail", {"only": "important"})]
        if name and name not in _NOT_ACCOUNTS:
            return [PlannedCall("check_mail", {"account_name": name})]  # "check my work mail"
        return [PlannedCall("check_mail", {})]
    if _ACCOUNTS.match(text):
        return [PlannedCall("mail_accounts", {})]
    return None


@intent("mail.read")
def read(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if m := _SUMMARY.match(text):
        if m.group("who"):
            return [PlannedCall("summarize_mail", {"sender": _who(m.group("who"))})]
        return [PlannedCall("summarize_mail", {"which": m.group("n") or ""})]
    if m := _READ_FROM.match(text) or _READ_POSSESSIVE.match(text) or _ANY_FROM.match(text):
        return [PlannedCall("read_mail", {"sender": _who(m.group("who"))})]
    if m := _READ_NUMBER.match(text):
        return [PlannedCall("read_mail", {"which": m.group("n")})]
    if _READ_IT.match(text) and _focus(ctx, None) is not None:
        return [PlannedCall("read_mail", {})]
    return None


@intent("mail.reply")
def reply(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _REPLY.match(text)
    if not m or not m.group("what").strip():
        return None
    to = _who(m.group("to") or "")
    if to.lower() in _NOT_SENDERS:
        return None
    if re.fullmatch(
        r"it|that|this|them|him|her|(?:(?:the|that|this)\s+)?(?:(?:last|latest|new|first)\s+)?"
        r"(?:one|e-?mail|mail|message)",
        to,
        re.IGNORECASE,
    ):
        to = ""  # the mail in focus
    # "reply with a thumbs up", "please reply, I'm waiting", "reply to this: what do you
    # think?" are said to the companion, unless a mail is what we are talking about.
    loose = m.group("sep").strip().lower() in (",", "with") or bool(m.group("to") and not to)
    if loose and not to and not focus(ctx).on(_MAIL_TOOLS):
        return None
    return [PlannedCall("draft_reply", {"instructions": m.group("what").strip(), "to": to})]


@intent("mail.send")
def send(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if not _SEND.match(text):
        return None
    draft = _latest_draft(ctx)
    if draft is None or _age(draft.created_at) > FRESH_DRAFT:
        return None
    if focus(ctx).elsewhere(_MAIL_TOOLS):
        return None  # "send it" just after a letter or an event is not about the draft
    return [
        PlannedCall(
            "send_mail",
            {
                "to": draft.to,
                "subject": draft.subject,
                "body": draft.body,
                "draft_id": draft.id,
                "account_name": draft.account,
            },
        )  # fmt: skip
    ]


@intent("mail.act")
def act(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if m := _ACT.match(text):
        verb = m.group("verb").lower()
        mail_word = bool(m.group("noun") and m.group("noun").lower() != "one") or bool(m.group("n"))
        if verb != "archive" and not mail_word and not m.group("n"):
            ref = _focus(ctx, FRESH_FOCUS)  # "delete that" right after reading a mail
        else:
            ref = _focus(ctx, None) if not m.group("n") else _listed(ctx, m.group("n"))
        if ref is None:
            if verb == "archive" or mail_word:
                return [PlannedCall("mail_in_focus", {})]
            return None
        tool_name = "archive_mail" if verb == "archive" else "delete_mail"
        return [PlannedCall(tool_name, _args(ref))]
    if m := _MOVE.match(text):
        mail_word = bool(m.group("noun")) or bool(m.group("n"))
        if m.group("n"):
            ref = _listed(ctx, m.group("n"))
        else:  # "move it to 4pm" is not about a mail unless one was just read
            ref = _focus(ctx, None if mail_word else FRESH_FOCUS)
        if ref is None:
            return [PlannedCall("mail_in_focus", {})] if mail_word else None
        return [PlannedCall("move_mail", {**_args(ref), "target": m.group("target").strip()})]
    return None


def _args(ref: MailRef) -> dict[str, object]:
    # The address too: a display name alone can be anyone's.
    sender = f"{ref.sender} <{ref.address}>" if ref.address else ref.sender
    return {"account_name": ref.account, "folder": ref.folder, "uid": ref.uid,
            "message_id": ref.message_id, "sender": sender, "subject": ref.subject}  # fmt: skip


_REF = "account, folder, uid, message_id, sender, address, subject"


def _read(ctx: SkillContext, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """One read of our own tables; none yet (not prepared) means nothing to find."""
    store = ctx.store
    try:
        return store.query(sql, (store.user_id, *params))
    except OS1Error:
        return []


def _focus(ctx: SkillContext, fresh: timedelta | None) -> MailRef | None:
    rows = _read(ctx, f"SELECT {_REF}, set_at FROM mail_focus WHERE user_id = ?", ())
    if not rows:
        return None
    row = rows[0]
    if fresh is not None and _age(row[7]) > fresh:
        return None
    return state._ref(row)


def _listed(ctx: SkillContext, n: str) -> MailRef | None:
    rows = _read(
        ctx, f"SELECT {_REF} FROM mail_listing WHERE user_id = ? AND position = ?", (int(n),)
    )
    return state._ref(rows[0]) if rows else None


def _latest_draft(ctx: SkillContext) -> Draft | None:
    rows = _read(
        ctx,
        "SELECT id, account, to_addr, subject, body, in_reply_to, refs, status, created_at, "
        "warning FROM mail_drafts WHERE user_id = ? AND status = 'draft' ORDER BY id DESC LIMIT 1",
        (),
    )
    return state._draft(rows[0]) if rows else None


def _age(stamp: str) -> timedelta:
    then = datetime.fromisoformat(stamp)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return datetime.now(UTC) - then


INTENTS = [check, read, reply, send, act]
