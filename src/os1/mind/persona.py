"""Who the companion is: the persona text (package data, user-editable) and its identity."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

from os1.storage.base import Store

DEFAULT_COMPANION_NAME = "OS1"  # until onboarding, when the companion chooses its own name

# Profile keys, in one place so every interface edits the same things.
COMPANION_NAME = "companion_name"
NAME_REASON = "companion_name_reason"
USER_NAME = "user_name"
VOICE = "voice"
ANSWERS = "onboarding_answers"
ONBOARDED = "onboarded"
PERSONA_TEXT = "persona_text"


@functools.cache  # package data: read once, not on every turn
def default_persona_text() -> str:
    return (resources.files("os1") / "data" / "persona.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Identity:
    """The companion's name and what onboarding taught it about the user."""

    companion_name: str = DEFAULT_COMPANION_NAME
    user_name: str | None = None
    voice: str = "warm"
    answers: dict[str, str] = field(default_factory=dict)
    onboarded: bool = False
    persona_text: str | None = None  # None: the packaged default

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Identity:
        return cls(
            companion_name=profile.get(COMPANION_NAME) or DEFAULT_COMPANION_NAME,
            user_name=profile.get(USER_NAME),
            voice=profile.get(VOICE) or "warm",
            answers=dict(profile.get(ANSWERS) or {}),
            onboarded=bool(profile.get(ONBOARDED)),
            persona_text=profile.get(PERSONA_TEXT),
        )

    @classmethod
    def load(cls, store: Store) -> Identity:
        return cls.from_profile(
            store.profile_values(COMPANION_NAME, USER_NAME, VOICE, ANSWERS, ONBOARDED, PERSONA_TEXT)
        )


ANSWER_LABELS = {
    "social": "How they recharge",
    "current_life": "What fills their days",
    "hopes": "What they hope for from you",
}


def system_prompt(identity: Identity, today: date) -> str:
    """Render the persona for this user. Pure: same inputs, same prompt (keeps the KV cache
    of a local model warm across turns, since this text leads every prompt)."""
    template = identity.persona_text or default_persona_text()
    user_name = identity.user_name or "the user"
    about = [f"- Their name is {identity.user_name}." if identity.user_name else ""]
    for key, label in ANSWER_LABELS.items():
        answer = identity.answers.get(key, "").strip()
        if answer:
            about.append(f"- {label}: {answer}")
    about_user = (
        "\n".join(a for a in about if a) or "- Not much yet: you are just getting to know them."
    )
    values = {
        "name": identity.companion_name,
        "user_name": user_name,
        "about_user": about_user,
        "today": today.strftime("%A %d %B %Y"),
    }
    # Plain replacement, not str.format: a user-edited persona may hold stray braces.
    for field_name, value in values.items():
        template = template.replace("{" + field_name + "}", value)
    return template.strip()
