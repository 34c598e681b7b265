"""Proactive messages planned from what the user said, and nudges before calendar events.

Detection is plain code over the user's own messages (never a mail or a file), so it works
with the tiny embedded model and its results are predictable:
- a hard day ("today was awful", "I had a rough day") → a check-in the next day;
- something planned ("I have a job interview on Friday") → "How did the job interview go?"
  a few hours after it, or that evening when only the day is known.
Each planned message has a dedupe key (its cause), so scanning a message twice plans it once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from os1.skills.reminders.parse import DayHours, When, localize, parse_when
from os1.skills.reminders.policy import ProactivePolicy

_I = re.IGNORECASE
_HARD = (
    r"awful|terrible|horrible|horrendous|rough|exhausting|hard|tough|brutal|draining|stressful"
    r"|miserable|crap|shit|shitty|bad|long|horrid|dreadful|the\s+worst|a\s+nightmare|a\s+disaster"
)
_INTENSIFIER = r"(?:so|really|very|pretty|super|incredibly|absolutely|just|such\s+an?|quite\s+an?)"
_HARD_DAY = re.compile(
    rf"\b(?:today|this\s+day|my\s+day|the\s+day|work\s+today)\s*(?:was|has\s+been|is|['’]s"
    rf"\s+been|felt)\s+(?:{_INTENSIFIER}\s+)*(?:{_HARD})\b(?!\s+to\b)"
    rf"|\b(?:i|i['’]ve)\s+(?:had|have\s+had)\s+(?:an?|such\s+an?|the)\s+(?:{_INTENSIFIER}\s+)*"
    rf"(?:awful|terrible|horrible|rough|exhausting|hard|tough|brutal|draining|stressful|bad|long"
    rf"|miserable|crap|shitty|dreadful)\s+day\b"
    rf"|\bwhat\s+an?\s+(?:awful|terrible|horrible|rough|exhausting|hard|tough|brutal|long|bad)"
    rf"\s+day\b"
    rf"|\b(?:i['’]m|i\s+am|i\s+feel|feeling)\s+(?:{_INTENSIFIER}\s+)*(?:exhausted|drained"
    rf"|burnt\s+out|burned\s+out|wiped\s+out)\s+(?:today|after\s+today)\b",
    _I,
)
_NEGATED = re.compile(r"\b(?:not|n['’]t|never|wasn['’]t|isn['’]t)\s+(?:\w+\s+){0,2}$", _I)

_THINGS = (
    r"interview|exam|test|appointment|meeting|date|presentation|surgery|operation|audition"
    r"|match|game|recital|performance|party|trip|flight|hearing|review|deadline|class|lesson"
    r"|concert|wedding|funeral|check-?up|scan|talk|pitch|race|competition|visit|call|session"
)
_PLAN = re.compile(
    rf"\b(?:i|we)\s*(?:have|['’]ve\s+got|have\s+got|got|['’]ve|am\s+having|['’]m\s+having"
    rf"|will\s+have|['’]ll\s+have)\s+(?:an?|my|our|the|this|that)\s+"
    rf"(?P<thing>(?:[\w'’-]+\s+){{0,3}}?(?:{_THINGS}))\b(?P<rest>[^.!?\n]*)"
    rf"|\b(?:my|our)\s+(?P<thing2>(?:[\w'’-]+\s+){{0,3}}?(?:{_THINGS}))\s+(?:is|will\s+be)\b"
    rf"(?P<rest2>[^.!?\n]*)",
    _I,
)


@dataclass(frozen=True)
class Planned:
    """A proactive message to keep in the reminders table."""

    kind: str  # checkin | followup
    text: str
    when: When
    dedupe_key: str


def hard_day(text: str) -> bool:
    """Whether the user says their day was hard (negations like "wasn't bad" excluded)."""
    for m in _HARD_DAY.finditer(text):
        if not _NEGATED.search(text[max(0, m.start() - 30) : m.start()]) and not re.search(
            r"\b(?:not|n['’]t)\b", m[0], _I
        ):
            return True
    return False


def plans_in(
    text: str, said_at: datetime, tz: tzinfo, hours: DayHours
) -> list[tuple[str, datetime, bool]]:
    """Things planned in text: (what, when it is, whether its time of day is known)."""
    found: list[tuple[str, datetime, bool]] = []
    for m in _PLAN.finditer(text):
        thing = " ".join((m["thing"] or m["thing2"]).split())
        rest = m["rest"] if m["thing"] else m["rest2"]
        when = parse_when(rest or "", said_at, tz, hours)
        if when is None:
            continue
        timed = bool(re.search(r"\d|noon|midday|midnight|morning|afternoon|evening", rest, _I))
        found.append((thing, when.due, timed))
    return found


def plan_from_message(
    text: str,
    message_id: int,
    said_at: datetime,
    tz: tzinfo,
    policy: ProactivePolicy,
    hours: DayHours,
) -> list[Planned]:
    """The check-ins and follow-ups one user message calls for, under the policy."""
    out: list[Planned] = []
    if len(text) > 2000:  # a pasted document is not someone telling about their day
        return out
    local = said_at.astimezone(tz)
    if policy.allows("checkin") and hard_day(text):
        day = local.date() + timedelta(days=1)
        due = localize(datetime.combine(day, policy.checkin_time), tz)
        out.append(
            Planned(
                "checkin",
                "Yesterday sounded hard. How are you feeling today?",
                When(due=due),
                f"checkin:{local.date().isoformat()}",
            )
        )
    if policy.allows("followup"):
        for thing, at, timed in plans_in(text, said_at, tz, hours):
            if timed:
                due = at.astimezone(UTC) + timedelta(hours=policy.followup_hours)
            else:  # only the day is known: ask that evening
                due = localize(datetime.combine(at.astimezone(tz).date(), time(19, 0)), tz)
            if due <= said_at:
                continue
            out.append(
                Planned(
                    "followup",
                    f"How did the {_yours(thing)} go?",
                    When(due=due),
                    f"followup:{message_id}:{thing.lower()}",
                )
            )
    return out


def _yours(thing: str) -> str:
    return re.sub(r"^(?:my|our)\s+", "", thing, flags=_I)


def nudge_text(summary: str, start: datetime, minutes: int) -> str:
    return f"In {minutes} minutes: {summary} (at {start:%H:%M})."
