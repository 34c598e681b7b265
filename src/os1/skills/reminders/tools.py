"""Reminder tools and the intents that recognise "remind me to …" in the user's own words."""

from __future__ import annotations

import re

from os1.skills.base import PlannedCall, SkillContext, ToolError, ToolOutput, intent, tool
from os1.skills.reminders import book
from os1.skills.reminders.parse import ParsedReminder, parse_reminder
from os1.skills.reminders.policy import reminders_config, zone, zone_name

_URGENT = re.compile(r"\b(?:urgent(?:ly)?|important|without\s+fail|no\s+matter\s+what)\b", re.I)


def create(ctx: SkillContext, what: str, when: str = "") -> tuple[book.Reminder, ParsedReminder]:
    """Parse and keep a reminder for the user of ctx (shared by the tool and the CLI)."""
    config = reminders_config(ctx.settings)
    tz_name = zone_name(ctx.store, ctx.settings)
    said = f"{what} {when}".strip()
    urgent = bool(_URGENT.search(said))
    parsed = parse_reminder(
        _URGENT.sub(" ", said), ctx.now(), zone(tz_name), config.hours, date_order=config.date_order
    )
    reminder = book.add(
        ctx.store,
        parsed.what,
        parsed.when,
        tz_name,
        source=said,
        urgent=urgent,
        conversation_id=ctx.conversation_id,
    )
    assert reminder is not None  # only proactive messages carry a dedupe key
    return reminder, parsed


# Creating a reminder is not confirmed: the user's own words are the request, it only ever
# speaks to that same user, and it is undone with one "cancel". Asking "Shall I remind you…?"
# after "remind me…" would only add a step. The reply repeats the time understood, so a
# misreading shows at once.
@tool
def set_reminder(ctx: SkillContext, what: str, when: str = "") -> ToolOutput:
    """Remind the user of something at a time, once or repeating.

    Args:
        what: What to remind them of, e.g. "call mum"; may include the time too.
        when: When, in plain words: "on Sunday at 6", "in 20 minutes", "every Monday at 8".
    """
    reminder, _ = create(ctx, what, when)
    return ToolOutput(
        text=f"Okay, I'll remind you: {book.describe(reminder, ctx.now())} "
        f"(reminder {reminder.id}).",
        data=reminder.as_dict(),
    )


@tool
def list_reminders(ctx: SkillContext) -> ToolOutput:
    """List the user's upcoming reminders, soonest first."""
    reminders = book.listed(ctx.store, kind="reminder")
    if not reminders:
        return ToolOutput(text="You have no reminders set.", data=[])
    now = ctx.now()
    lines = [f"{r.id}. {book.describe(r, now)}" for r in reminders]
    return ToolOutput(
        text="Your reminders:\n" + "\n".join(lines), data=[r.as_dict() for r in reminders]
    )


# Cancelling is confirmed: it drops something the user asked for earlier, and a misheard
# "cancel it" in conversation should not lose a reminder silently.
@tool(side_effect=True, confirm="cancel reminder {reminder_id}")
def cancel_reminder(ctx: SkillContext, reminder_id: int) -> str:
    """Cancel one of the user's reminders so it never fires.

    Args:
        reminder_id: The reminder's number, as listed.
    """
    reminder = book.finish(ctx.store, reminder_id, "cancelled")
    return f"Cancelled reminder {reminder.id}: {reminder.text}."


@tool
def complete_reminder(ctx: SkillContext, reminder_id: int) -> str:
    """Mark a reminder done, so it does not fire (the user already did it).

    Args:
        reminder_id: The reminder's number, as listed.
    """
    reminder = book.finish(ctx.store, reminder_id, "done")
    return f"Marked reminder {reminder.id} as done: {reminder.text}."


# -- intents: the user's own words -------------------------------------------------------------

_REMIND = re.compile(
    r"^\W*(?:(?:hey|ok|okay|please|so)\W+)*(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
    r"(?:remind\s+me|set\s+(?:a|an|me\s+a)\s+(?:reminder|alarm)|add\s+a\s+reminder"
    r"|(?:do\s+not|don['’]?t)\s+let\s+me\s+forget)"
    r"(?:\s+(?:for|to|that|about|of)\b)?\s*(?P<rest>.+?)[\s.!?]*$",
    re.IGNORECASE | re.DOTALL,
)
# "remind me what you know", "remind me, who is she?": a question, not a reminder.
_QUESTION = re.compile(
    r"^[\W_]*(?:what|who|why|how|where|which|whether|if|whose|is|are|was|were|did|do|does)"
    r"(?:['’]s|['’]re)?\b",
    re.IGNORECASE,
)
_LIST = re.compile(
    r"^\W*(?:(?:please|so)\W+)?(?:(?:list|show)(?:\s+me)?\s+(?:all\s+)?(?:my\s+)?reminders"
    r"|what\s+(?:are\s+my\s+reminders|reminders\s+do\s+i\s+have)"
    r"|(?:do\s+i\s+have\s+any|any)\s+reminders)\b[\s?.!]*$",
    re.IGNORECASE,
)
_CANCEL = re.compile(
    r"^\W*(?:please\s+)?(?P<verb>cancel|delete|remove|forget)\s+(?:my\s+|the\s+)?reminder\s+"
    r"(?:(?:number|no\.?|#)\s*)?(?P<id>\d+)[\s.!]*$"
    r"|^\W*(?:please\s+)?(?:cancel|delete|remove)\s+(?:my\s+|the\s+)?reminder\s+"
    r"(?:to|about|for)\s+(?P<words>.+?)[\s.!]*$",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"^\W*(?:mark\s+)?reminder\s+(?:number\s+|#)?(?P<id>\d+)\s+(?:as\s+)?done[\s.!]*$",
    re.IGNORECASE,
)


@intent("set_reminder", priority=40)
def remind_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    if len(text) > 500:
        return None
    m = _REMIND.match(text.strip())
    if m is None or _QUESTION.match(m["rest"]):
        return None
    what = m["rest"].strip().lstrip(",:;- ").strip()
    return [PlannedCall("set_reminder", {"what": what})] if what else None


@intent("list_reminders", priority=40)
def list_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    return [PlannedCall("list_reminders", {})] if _LIST.match(text.strip()) else None


@intent("cancel_reminder", priority=40)
def cancel_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _CANCEL.match(text.strip())
    if m is None:
        return None
    if m["id"]:
        return [PlannedCall("cancel_reminder", {"reminder_id": int(m["id"])})]
    return [PlannedCall("cancel_reminder_about", {"words": m["words"]})]


@intent("complete_reminder", priority=40)
def done_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _DONE.match(text.strip())
    return [PlannedCall("complete_reminder", {"reminder_id": int(m["id"])})] if m else None


@tool(side_effect=True, confirm="cancel your reminder about {words}")
def cancel_reminder_about(ctx: SkillContext, words: str) -> str:
    """Cancel the one reminder whose text contains these words.

    Args:
        words: Words from the reminder, e.g. "call mum".
    """
    found = book.matching(ctx.store, words)
    if not found:
        raise ToolError(
            f"I have no reminder about {words!r}.", hint="Say 'list my reminders' to see them."
        )
    if len(found) > 1:
        listed = "; ".join(f"{r.id}. {r.text}" for r in found)
        raise ToolError(
            f"More than one reminder is about {words!r}: {listed}.",
            hint='Say "cancel reminder N" with its number.',
        )
    reminder = book.finish(ctx.store, found[0].id, "cancelled")
    return f"Cancelled reminder {reminder.id}: {reminder.text}."
