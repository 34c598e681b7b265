"""Calendar requests in the user's own words, recognised in code (the tiny model can't plan).

Changes are planned with their times already resolved ("Friday" → "2026-12-04"), so the
confirmation shows the exact day, and a confirmation given later can't drift to another week.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from os1.skills.base import PlannedCall, SkillContext, ToolError, intent
from os1.skills.calendar.when import When, parse_clock, parse_when, strip_when, user_zone
from os1.skills.focus import focus

_I = re.IGNORECASE
# Other skills' words: "cancel the reminder", "delete that mail", "add a note".
_OTHER_SKILLS = re.compile(
    r"\b(?:remind(?:er)?s?|notes?|mails?|e-?mails?|messages?|letters?|alarms?|timers?|"
    r"subscriptions?|orders?|files?|lists?|memory|habits?|replies)\b",
    _I,
)
_CALENDAR_WORDS = r"(?:calendar|agenda|schedule|diary|plans?)"
# What the calendar holds: "do I have any meetings tomorrow?", "what appointments …".
_EVENT_WORDS = r"(?:meetings?|appointments?|events?|engagements?|plans)"
_LEAD = r"^\W*(?:(?:so|and|ok|okay|hey|hi|please|but)\W+)*"

_WHATS_ON = re.compile(
    _LEAD + r"(?:what(?:'s|’s|\s+is)\s+(?:on|happening|planned|scheduled)"
    r"|what(?:'s|’s|\s+is|\s+are)\s+(?:my|our)\s+" + _CALENDAR_WORDS + r"(?:\s+like)?"
    r"|(?:do\s+i\s+have\s+|have\s+i\s+got\s+|are\s+there\s+|is\s+there\s+)(?:any\s+)?"
    + _EVENT_WORDS
    + r"|any\s+"
    + _EVENT_WORDS
    + r"|what\s+"
    + _EVENT_WORDS
    + r"\s+(?:do|have)\s+i\s+(?:got|have)"
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
    _LEAD + r"(?:can\s+you\s+|could\s+you\s+)?(?P<verb>add|put|schedule|book|create|make)"
    r"(?:\s*:\s*|\s+)"
    r"(?:(?:an?|new)\s+(?:event|appointment|entry)\s*(?:for|:|called)\s+)?"
    r"(?P<what>.+?)\W*$",
    _I,
)
# "make"/"create"/"put" are said of dinner and kettles: only with a calendar sign.
_EVENT_OBJECT = re.compile(
    r"^(?:(?:an?|the|my|new|another)\s+)*(?:new\s+)?(?:event|appointment|meeting|entry|"
    r"reservation|booking|session|call|date)\b",
    _I,
)
_ON_CALENDAR = re.compile(
    r"\b(?:to|in|into|on)\s+(?:my|the|our)\s+(?:calendar|agenda|schedule|diary)\b", _I
)
# "add some salt to the soup", "add humour to your replies": added to something else.
_TO_SOMETHING = re.compile(r"\b(?:to|into)\s+(?:the|my|your|our|his|her|their)\s+(?P<noun>\w+)", _I)
# One request, not a story: "book club is on Tuesday at 7 and I haven't read it".
_CLAUSES = re.compile(r"\b(?:and\s+then|and\s+i|but|because|so\s+i|is|are|was|were)\b|[?;]", _I)
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
        zone = user_zone(ctx.settings, ctx.store)
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
    mentions_calendar = (
        re.search(r"\b(?:" + _CALENDAR_WORDS + "|" + _EVENT_WORDS + r")\b", text, _I) is not None
    )
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
    # "do I have time to learn piano this year?" is a question about life, not the calendar.
    if not rest or parse_when(rest, _now(ctx)) is None or strip_when(rest).strip(" ?.!,"):
        return None
    return [PlannedCall("calendar_free", {"when": rest})]


@intent("calendar.add", priority=90)
def add_event(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _ADD.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    what, verb = m["what"], m["verb"].lower()
    after_verb = text[m.end("verb") :].lstrip(" :")
    signed = bool(_EVENT_OBJECT.match(after_verb) or _ON_CALENDAR.search(what))
    if verb in ("make", "create", "put") and not signed:
        return None
    if verb == "book" and not re.match(r"(?:a|an|the|me|us|my|our)\b", what, _I):
        return None  # "book club is on Tuesday": a noun, not the verb
    if verb == "book":
        what = re.sub(r"^(?:me|us)\s+", "", what, flags=_I)  # "book me a haircut"
    other = _TO_SOMETHING.search(what)
    if other and not re.fullmatch(_CALENDAR_WORDS, other["noun"], _I):
        return None
    if _CLAUSES.search(strip_when(what)):
        return None
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
    what, to = clean_title(m["what"]), m["to"]
    if not what or _PRONOUN.match(what):
        return None
    target = _target(to, _now(ctx))
    return [PlannedCall("calendar_move", {"event": what, "to": target})] if target else None


def _target(to: str, now: datetime) -> str | None:
    """The new day and/or time, when `to` is only a time: "Friday", "3pm", "Friday at 2"."""
    if strip_when(to).strip(" ?.!,"):
        return None
    clock = parse_clock(to)
    day_words = to.replace(clock[2], " ").strip(" ?.!,") if clock else to
    day = parse_when(day_words, now) if day_words else None
    if day is None and clock is None:
        return None
    if day is None:
        assert clock is not None
        return f"{clock[0][0]:02d}:{clock[0][1]:02d}"  # "to 3pm": same day, new time
    if clock is None:
        return _day(day)  # "to Friday": same time of day
    both = parse_when(to, now)
    return _moment(both) if both else None


# "make it Friday instead", "move it to 4pm", "change that to Thursday": the event just added
# or moved in this conversation (nothing else: "make it 5pm" after a letter is not ours).
_REFINE = re.compile(
    _LEAD + r"(?:can\s+you\s+|could\s+you\s+)?(?:actually\s+)?"
    r"(?:make|change|move|shift|push|reschedule|put)\s+(?:it|that|this|the\s+event)"
    r"(?:\s+(?:to|until|till|for|on|at))?\s+(?P<to>.+?)(?:\s+instead)?\W*$",
    _I,
)
_EVENT_TOOLS = frozenset({"calendar_add", "calendar_move"})


@intent("calendar.move", priority=90)
def move_event_in_focus(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _REFINE.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    now = _now(ctx)
    target = _target(m["to"].strip(), now)
    if target is None:
        return None
    call = focus(ctx).last(_EVENT_TOOLS)
    if call is None or not call.known_args(("summary", "start"), ("event",)):
        return None
    args = call.arguments
    if call.name == "calendar_move":
        moved: dict[str, object] = {"event": args["event"], "to": target}
        if args.get("when"):
            moved["when"] = args["when"]
        return [PlannedCall("calendar_move", moved)]
    start = str(args["start"])
    if call.status == "pending":
        # Not added yet: ask again for the same event at the new time (the first stays unasked).
        day, _, clock = start.partition(" ")
        if re.fullmatch(r"\d\d:\d\d", target):
            new_start = f"{day} {target}"
        elif len(target) == 10 and clock:
            new_start = f"{target} {clock}"
        else:
            new_start = target
        return [PlannedCall("calendar_add", {**args, "start": new_start})]
    return [
        PlannedCall("calendar_move", {"event": args["summary"], "to": target, "when": start[:10]})
    ]


@intent("calendar.cancel", priority=90)
def cancel_event(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _CANCEL.match(text)
    if m is None or _OTHER_SKILLS.search(text):
        return None
    what = re.sub(r"[\s,]+(?:please|for me|thanks?(?: you)?)$", "", m["what"], flags=_I)
    # "cancel my plans? no, I'll just go", "cancel that, I changed my mind": talk, not a request.
    if re.search(r"[?!;,]|\s[-—–]\s", what) or re.match(r"(?:it|that|this)\b", what, _I):
        return None
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
    if not title or _PRONOUN.match(title) or _CLAUSES.search(title):
        return None  # "cancel culture is weird"
    args = {"event": title}
    if found is not None:
        args["when"] = _day(found)
    return [PlannedCall("calendar_cancel", args)]
