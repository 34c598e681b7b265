"""Writing and revising with a capable model, checked, with the composer as the safety net.

The tiny embedded model writes worse than the deterministic composer, so by default only a
model behind an OpenAI-compatible server is asked (`[letters] model = "auto"`). Whatever a
model returns is validated: empty, looping, garbled or prompt-echoing output is discarded and
the deterministic draft is used instead, so a letter is always produced.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from os1.errors import ModelError
from os1.models.base import ChatModel, Message
from os1.skills.base import ToolError
from os1.skills.letters import compose as c
from os1.skills.letters.compose import LetterRequest
from os1.skills.letters.proofread import Suggestion
from os1.skills.letters.settings import TONES, LettersSettings, Tone

LETTER_TOKENS = 700
LETTER_TEMPERATURE = 0.7
SYSTEM = (
    "You write heartfelt personal letters for people. Write only the letter itself: a "
    "greeting, a few short paragraphs built from the notes, a closing line, a sign-off and the "
    "signature. Write in the first person, as the sender, to the recipient. No title, no "
    "preamble, no commentary."
)
# Phrases of our own prompts: a reply that contains them echoed the prompt, not a letter.
_PROMPT_MARKERS = (
    "Use these notes",
    "Revise this letter",
    "Instruction:",
    "You said:",
    "Reply with the whole",
    "Suggest up to",
)


def model_allowed(model: ChatModel | None, settings: LettersSettings) -> bool:
    if model is None or settings.model == "off":
        return False
    return settings.model == "on" or model.backend == "openai"


async def ask(model: ChatModel, messages: Sequence[Message], max_tokens: int) -> str:
    """The model's whole reply, or "" if it failed (the caller then falls back)."""
    pieces: list[str] = []
    try:
        await model.load()
        # Warmer than chat's default: a letter should not read like every other letter.
        stream = model.stream(messages, max_tokens=max_tokens, temperature=LETTER_TEMPERATURE)
        async with contextlib.aclosing(stream):
            async for piece in stream:
                pieces.append(piece)
    except ModelError:
        return ""
    return "".join(pieces)


def clean_letter(raw: str, *, recipient: str = "", sender: str = "", signoff: str = "") -> str:
    """The model's reply as a letter, or "" if it is not a usable one."""
    text = raw.replace("\r\n", "\n").strip()
    text = re.sub(r"^```\w*\n|\n```$", "", text).strip()
    lines = text.split("\n")
    # "Here is your letter:" and "I hope this helps!" are not part of the letter.
    if lines and re.match(
        r"^(?:here(?:'s| is)|sure|certainly|of course)\b.*[:!.]$", lines[0], re.IGNORECASE
    ):
        lines = lines[1:]
    while lines and re.match(
        r"^(?:i hope this|let me know|feel free)", lines[-1].strip(), re.IGNORECASE
    ):
        lines = lines[:-1]
    text = "\n".join(lines).strip()
    if not looks_like_prose(text) or any(m in text for m in _PROMPT_MARKERS):
        return ""
    if recipient and recipient.split()[0].lower() not in text.lower():
        return ""
    if sender and sender.lower() not in text[-200:].lower():
        text = f"{text}\n\n{signoff or c.SIGNOFFS['warm'][0]}\n{sender}"
    return text + "\n"


def looks_like_prose(text: str) -> bool:
    """Enough words, mostly letters, and no loops: the signs of a small model gone wrong."""
    if not 60 <= len(text) <= 12_000 or "<|" in text or "```" in text:
        return False
    visible = [ch for ch in text if not ch.isspace()]
    if sum(ch.isalpha() for ch in visible) / len(visible) < 0.75:
        return False
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) < 12:
        return False
    if re.search(r"\b(\w+)(?:\W+\1\b){3,}", text.lower()):
        return False  # the same word four times running
    if len(words) > 40 and len(set(words)) / len(words) < 0.3:
        return False
    sentences = [s.strip() for s in re.split(r"[.!?\n]+", text) if len(s.split()) >= 4]
    return len(sentences) == len(set(sentences)) or len(sentences) < 3


# -- writing -----------------------------------------------------------------------------


async def write(request: LetterRequest, model: ChatModel | None) -> tuple[str, str]:
    """The letter and who wrote it ("model" or "composer")."""
    draft = c.compose(request)
    if model is None:
        return draft, "composer"
    items = c.split_notes(c.to_second_person(request.notes, request.recipient))
    if request.recipient:
        # The notes speak to the recipient as the composer's do ("he makes me laugh" → "you
        # make me laugh"), so a small model does not write about them in their own letter.
        items = [c.pronouns_to_you(n) for n in items]
    notes = "\n".join(f"- {n}" for n in items) or "- (none)"
    about = f" about {request.occasion}" if request.occasion else ""
    to = request.recipient or "a friend"
    sender = request.sender.strip()
    signoff = c.SIGNOFFS[request.tone][0]
    signed = f" and the name {sender}" if sender else ""
    prompt = (
        f"Write a {request.tone} letter to {to}{f' from {sender}' if sender else ''}{about}, "
        f"speaking to them as “you”.\n"
        f"Use these notes:\n{notes}\n"
        f'End with the sign-off "{signoff}"{signed}.'
    )
    raw = await ask(model, [Message("system", SYSTEM), Message("user", prompt)], LETTER_TOKENS)
    text = clean_letter(raw, recipient=request.recipient, sender=request.sender, signoff=signoff)
    return (text, "model") if text else (draft, "composer")


# -- revising ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """What the user asked to change, understood in code."""

    kind: str  # warmer | formal | shorter | tone | add | closing | sign | other
    detail: str = ""


_REVISIONS: list[tuple[str, str]] = [
    (
        r"warmer|sweeter|more (?:loving|affectionate|romantic|tender|heartfelt|personal|emotional)"
        r"|less (?:formal|stiff|cold)",
        "warmer",
    ),
    (
        r"more (?:formal|professional|polite|reserved)|less (?:casual|informal|gushing|soppy)"
        r"|cooler",
        "formal",
    ),
    (r"shorter|more concise|briefer|tighter|less wordy|trim(?:\s+it)?|cut it down", "shorter"),
]


def understand(instruction: str) -> Revision:
    """ "make it warmer", "shorter", "add that …", "change the closing to …", "sign it as …"."""
    text = " ".join(instruction.strip().rstrip(".!").split())
    lowered = text.lower()
    m = re.match(
        r"^(?:please\s+)?(?:also\s+)?(?:add|say|mention|include|tell (?:him|her|them))"
        r"(?:\s+to the letter)?\s*(?::\s*|\s+)(.+)$",
        text,
        re.IGNORECASE,
    )
    if m:
        return Revision("add", re.sub(r"\s+to the letter$", "", m.group(1), flags=re.IGNORECASE))
    m = re.search(
        r"\b(?:change|replace|make) the (?:closing|sign[- ]?off|ending)(?: to (.+))?$"
        r"|\b(?:end|close|sign off) (?:it )?with (.+)$",
        text,
        re.IGNORECASE,
    )
    if m:
        return Revision("closing", (m.group(1) or m.group(2) or "").strip())
    m = re.search(r"\bsign it (?:as |from |by )?(.+)$", text, re.IGNORECASE)
    if m:
        return Revision("sign", m.group(1).strip())
    for pattern, kind in _REVISIONS:
        if re.search(rf"\b(?:{pattern})\b", lowered):
            return Revision(kind)
    for tone in TONES:
        if re.search(rf"\b(?:more )?{tone}\b", lowered):
            return Revision("tone", tone)
    if re.search(r"\b(?:funnier|lighter|more fun)\b", lowered):
        return Revision("tone", "playful")
    if re.search(r"\b(?:more (?:thankful|grateful))\b", lowered):
        return Revision("tone", "grateful")
    return Revision("other", text)


def revise_plainly(text: str, revision: Revision, tone: Tone, recipient: str) -> tuple[str, Tone]:
    """The revision done by the composer, on the letter's parts."""
    if revision.kind == "warmer":
        return c.warmer(text, tone, recipient)
    if revision.kind == "formal":
        return c.more_formal(text, tone, recipient)
    if revision.kind == "shorter":
        return c.shorter(text), tone
    if revision.kind == "add":
        return c.add_line(text, revision.detail, recipient), tone
    if revision.kind == "closing":
        return c.change_closing(text, tone, revision.detail or None), tone
    if revision.kind == "sign":
        return c.sign_as(text, revision.detail), tone
    if revision.kind == "tone":
        new: Tone = revision.detail  # type: ignore[assignment]
        parts = c.split_letter(text)
        if recipient:
            parts.greeting = c.greeting_for(recipient, new)
        if parts.signoff or parts.signature:
            parts.signoff = c.SIGNOFFS[new][0]
        return parts.text(), new
    raise ToolError(
        f'I can\'t do "{revision.detail}" to a letter on my own',
        hint='Try "make it warmer", "shorter", "more formal", "add that …", '
        '"change the closing to …" or "sign it as …" (a larger model can do more).',
    )


async def revise(
    text: str,
    instruction: str,
    *,
    tone: Tone,
    recipient: str,
    sender: str,
    model: ChatModel | None,
) -> tuple[str, Tone, str]:
    """The revised letter, its tone, and who revised it ("model" or "composer")."""
    revision = understand(instruction)
    if model is not None and revision.kind not in ("sign", "closing"):
        prompt = (
            f"Revise this letter. Instruction: {instruction.strip()}\n"
            "Keep the same writer, recipient and signature. Reply with the whole revised "
            f"letter only.\n\n{text.strip()}"
        )
        raw = await ask(model, [Message("system", SYSTEM), Message("user", prompt)], LETTER_TOKENS)
        new = clean_letter(raw, recipient=recipient, sender=sender)
        if new and _honours(revision, text, new):
            new_tone = revise_tone(revision, tone)
            return new, new_tone, "model"
    new_text, new_tone = revise_plainly(text, revision, tone, recipient)
    return new_text, new_tone, "composer"


def revise_tone(revision: Revision, tone: Tone) -> Tone:
    if revision.kind == "warmer":
        return c.step_tone(tone, +1)
    if revision.kind == "formal":
        return c.step_tone(tone, -1)
    if revision.kind == "tone":
        return revision.detail  # type: ignore[return-value]
    return tone


def _honours(revision: Revision, old: str, new: str) -> bool:
    """Did the model do what was asked, as far as code can tell?"""
    if new.strip() == old.strip():
        return False
    if revision.kind == "shorter":
        return len(new) < len(old)
    if revision.kind == "add":
        wanted = {w for w in re.findall(r"[a-z]{4,}", revision.detail.lower())}
        have = set(re.findall(r"[a-z]{4,}", new.lower()))
        return not wanted or len(wanted & have) * 2 >= len(wanted)
    return True


# -- style suggestions -------------------------------------------------------------------

_STYLE_LINE = re.compile(
    r'^\W*"([^"\n]{3,200})"\s*(?:=>|->|→)\s*"([^"\n]{1,200})"\s*(?:[-—:]\s*(.+))?$'
)


async def style_suggestions(text: str, model: ChatModel) -> list[Suggestion]:
    """Up to three style suggestions from the model, kept only if they quote the letter."""
    prompt = (
        "Suggest up to 3 improvements to the style of this letter. One per line, exactly as:\n"
        '"exact words from the letter" => "better words" - why\n\n' + text.strip()
    )
    raw = await ask(model, [Message("user", prompt)], 300)
    out: list[Suggestion] = []
    for line in raw.splitlines():
        m = _STYLE_LINE.match(line.strip())
        if not m or m.group(1) == m.group(2):
            continue
        start = text.find(m.group(1))
        if start < 0:
            continue  # the model quoted words that are not there
        why = (m.group(3) or "reads more smoothly").strip()
        out.append(
            Suggestion(start, start + len(m.group(1)), "style", m.group(1), m.group(2), why[:200])
        )
        if len(out) == 3:
            break
    return out
