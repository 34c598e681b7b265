"""Notes requests in the user's own words: "add a note that …", "search my notes for …"."""

from __future__ import annotations

import re

from os1.skills.base import PlannedCall, SkillContext, intent

_I = re.IGNORECASE | re.DOTALL
_LEAD = r"^\W*(?:(?:ok|okay|hey|please|and)\W+)*(?:can\s+you\s+|could\s+you\s+)?"
_ADD = re.compile(
    _LEAD + r"(?:(?:add|make|take|write|create|jot\s+down|save)\s+(?:a\s+|me\s+a\s+)?(?:new\s+)?"
    r"(?:quick\s+|short\s+)?note|note\s+down|jot\s+(?:this\s+|that\s+|it\s+)?down"
    r"|(?=note\b)note)"
    r"(?:\s+(?:that|saying|about\s+how|of|to\s+(?:my)?self)\b)?\s*[:,-]?\s*(?P<text>\S.*?)\s*$",
    _I,
)
# "write a note to Amy", "add a note to the letter": a letter to someone, or a letter's change.
_TO_SOMEONE = re.compile(
    r"^[Tt]o\s+(?:[A-Z][\w'’-]*|(?:my|our|his|her|the|your|their)\s+\S+|(?:mum|mom|mother|dad|"
    r"father|grandma|grandpa|granny|nana|sis|bro|him|her|them|everyone|you)\b)",
)
_SEARCH = re.compile(
    _LEAD + r"(?:(?:search|check|look\s+(?:in|through)|go\s+through)\s+(?:in\s+)?my\s+notes\s+"
    r"(?:for|about|on)\s+(?P<q1>.+?)"
    r"|what\s+(?:do|did)\s+my\s+notes\s+say\s+(?:about|on)\s+(?P<q2>.+?)"
    r"|(?:find|search\s+for|look\s+for|look\s+up)\s+(?P<q3>.+?)\s+in\s+my\s+notes"
    r"|(?:is|was)\s+there\s+anything\s+(?:in\s+my\s+notes\s+)?about\s+(?P<q4>.+?)"
    r"\s+in\s+my\s+notes)\W*$",
    _I,
)
_SYNC = re.compile(
    _LEAD + r"(?:sync|refresh|update|re-?index|re-?read|rescan)\s+(?:my\s+|the\s+)?notes"
    r"(?:\s+folder)?\W*$",
    _I,
)


@intent("notes.add", priority=50)
def add_note_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _ADD.match(text)
    if m is None:
        return None
    body = m["text"].strip()
    if not body or len(body) < 2 or _TO_SOMEONE.match(body):
        return None
    body = re.sub(r"^to\s+(?=\w)", "", body, flags=re.IGNORECASE)  # "make a note to buy eggs"
    return [PlannedCall("add_note", {"text": body[0].upper() + body[1:]})]


@intent("notes.search", priority=50)
def search_notes_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    m = _SEARCH.match(text)
    if m is None:
        return None
    query = next(q for q in (m["q1"], m["q2"], m["q3"], m["q4"]) if q)
    return [PlannedCall("search_notes", {"query": query.strip()})]


@intent("notes.sync", priority=50)
def sync_notes_intent(text: str, ctx: SkillContext) -> list[PlannedCall] | None:
    return [PlannedCall("notes_sync", {})] if _SYNC.match(text) else None
