"""Calendar requests in the user's own words, recognised in code (the tiny model can't plan).

Changes are planned with their times already resolved ("Friday" → "2026-12-04"), so the
confirmation shows the exact day, and a confirmation given later can't drift to another week.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from os1.skills.base import PlannedCall, SkillContext, ToolError, intent
from os1.skills.calendar.when import When, parse_clock, parse_when, strip_when, user_zone

_I = re.IGNORECASE
# Other skills' words: "cancel the reminder", "delete that mail", "add a note".
_OTHER_SKILLS = re.compile(
    r"\b(?:remind(?:er)?s?|notes?|mails?|e-?mails?|messages?|letters?|alarms?|timers?|"
    r"subscriptions?|orders?|files?)\b",
    _I,
)
_CALENDAR_WORDS = r"(?:calendar|agenda|schedule|diary|plans?)"
_LEAD = r"^\W*(?:(?:so|and|ok|okay|hey|hi|please|but)\W+)*"

_WHATS_ON = re.compile(
    _LEAD + r"(?:what(?:'s|’s|\s+is)\s+(?:on|happening|planned|scheduled|up)"
    r"|what\s+(?:do|have)\s+i\s+(?:got|have|planned)(?:\s+(?:on|planned))?"
    r"|what\s+am\s+i\s+doing|(?:is\s+there\s+)?anything\s+(?:on|planned)"
    r"|do\s+i\s+have\s+anything(?:\s+(?:on|planned))?"
    r"|(?:show|check|read|tell)\s+(?:me\s+)?(?:what(?:'s|’s)\s+(?:on|in)\s+)?my\s+"
    + _CALENDAR_WORDS
    + r")\b(?P<rest>.*)$",
    _I,
)
_MY_CALENDAR = re.compile(
    r"\b(?:(?:on|in|for)\s+)?(?:my|the)\s+" + _CALENDAR_WORDS + r"\b|\bfor\b", _I
)
_FREE = re.compile(
    _LEAD + r"(?:am\s+i|are\s+we|will\s+i\s+be)\s+(?P<state>free|busy|available)\b(?P<rest>.*)$"
    r"|" + _LEAD + r"do\s+i\s+have\s+time\b(?P<rest2>.*)$",
    _I,
)
_ADD = re.compile(
    _LEAD + r"(?:can\s+you\s+|could\s+you\s+)?(?:add|put|schedule|book|create|make)\s+"
    r"(?:(?:an?|new)\s+(?:event|appointment|entry)\s*(?:for|:|called)\s+)?"
    r"(?P<what>.+?)\W*$",
    _I,
)
_INTO_CALENDAR = re.compile(
    r"\s*\b(?:to|in|into|on)\s+(?:my|the)\s+" + _CALENDAR_WORDS + r"\b\s*", _I
)
_MOVE = re.compile(
    _LEAD + r"(?:can\s+you\s+|could\s+you\s+)?(?:move|reschedule|shift|push|change)\s+"
    r"(?P<what>.+?)\s+(?:to|until|till|for)\s+(?P<to>.+?)\W*$",
    _I,
)
_CANCEL = re.compile(
    _LEAD + r"(?:can\s+you\s+|could\s+you\s+)?(?P<verb>cancel|delete|remove|drop|call\s+off)\s+"
    r"(?P<what>.+?)\W*$",
    _I,
)
_PRONOUN = re.compile(r"^(?:it|that|this|them|everything|all)$", _I)
_ARTICLE = re.compile(r"^(?:my|the|our|a|an)\s+", _I)
_LOCATION = re.compile(
    r"^(?P<what>.+?)\s+(?:at|in)\s+(?P<where>[A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*)*)$"
)


def _now(ctx: SkillContext) -> datetime:
    try:
        zone = user_zone(ctx.settings)
    except ToolError:
        return ctx.now()
    return ctx.now().astimezone(zone)


def _day(w: When) -> str:
    return f"{w.start:%Y-%m-%d}"


def _moment(w: When) -> str:
    return f"{w.start:%Y-%m-%d %H:%M}" if w.timed else _day(w)


def clean_title(words: str) -> str:
    """The event's title from the words left once the time is taken out."""
    words = _INTO_CALENDAR.sub(" ", words)
    words = " ".join(words.split()).strip(" ,.;:!?")
    return _ARTICLE.sub("", words)


@intent("calendar.whats_on", priority=80)
def whats_on(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _WHATS_ON.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    rest = _MY_CALENDAR.sub(" ", m["rest"]).strip(" ?.!,")
    mentions_calendar = re.search(_CALENDAR_WORDS, text, _I) is not None
    if not rest:
        return [PlannedCall("calendar_events", {"when": "today"})] if mentions_calendar else None
    found = parse_when(rest, _now(ctx))
    # "what's on your mind tomorrow?" is not about the calendar: the rest must be the time.
    if found is None or (strip_when(rest).strip(" ?.!,") and not mentions_calendar):
        return None
    return [PlannedCall("calendar_events", {"when": rest})]


@intent("calendar.free", priority=80)
def am_i_free(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _FREE.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    rest = (m["rest"] if m["rest"] is not None else m["rest2"] or "").strip(" ?.!,")
    if not rest or parse_when(rest, _now(ctx)) is None:
        return None
    return [PlannedCall("calendar_free", {"when": rest})]


@intent("calendar.add", priority=90)
def add_event(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _ADD.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    what = m["what"]
    found = parse_when(what, _now(ctx))
    if found is None:
        return None
    title = clean_title(strip_when(what))
    if not title or _PRONOUN.match(title):
        return None
    summary = title[0].upper() + title[1:]
    args: dict[str, object] = {"summary": summary, "start": _moment(found)}
    place = _LOCATION.match(summary)
    if place:
        args["location"] = place["where"]
        if len(place["what"].split()) > 1:  # "Table" alone says less than "Table at Luigi's"
            args["summary"] = place["what"]
    if found.timed and found.end > found.start:
        args["minutes"] = int((found.end - found.start) / timedelta(minutes=1))
    return [PlannedCall("calendar_add", args)]


@intent("calendar.move", priority=90)
def move_event(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _MOVE.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    what, to, now = clean_title(m["what"]), m["to"], _now(ctx)
    if not what or _PRONOUN.match(what) or strip_when(to).strip(" ?.!,"):
        return None  # the target must be only a time: "to Friday", "to 3pm", "to Friday at 2"
    clock = parse_clock(to)
    day_words = to.replace(clock[2], " ").strip(" ?.!,") if clock else to
    day = parse_when(day_words, now) if day_words else None
    if day is None and clock is None:
        return None
    if day is None:
        assert clock is not None
        target = f"{clock[0][0]:02d}:{clock[0][1]:02d}"  # "to 3pm": same day, new time
    elif clock is None:
        target = _day(day)  # "to Friday": same time of day
    else:
        both = parse_when(to, now)
        assert both is not None
        target = _moment(both)
    return [PlannedCall("calendar_move", {"event": what, "to": target})]


@intent("calendar.cancel", priority=90)
def cancel_event(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _CANCEL.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    what = m["what"]
    found = parse_when(what, _now(ctx))
    title = clean_title(strip_when(what) if found else what)
    title = re.sub(r"\s*\bfrom\b\s*$", "", title).strip()
    eventish = re.search(
        r"\b(?:event|appointment|meeting|lunch|dinner|breakfast|call)\b|" + _CALENDAR_WORDS,
        text,
        _I,
    )
    # "delete"/"remove" are said of many things; only take them with a calendar sign.
    if m["verb"].lower() in ("delete", "remove", "drop") and not (eventish or found):
        return None
    if not title or _PRONOUN.match(title):
        return None
    args = {"event": title}
    if found is not None:
        args["when"] = _day(found)
    return [PlannedCall("calendar_cancel", args)]
