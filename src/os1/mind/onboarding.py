"""First meeting: a few questions about the user, then the companion chooses its own name.

The flow is data plus pure functions, so the terminal, the web app and tests all drive the
same questions; `finish` stores everything in the user's profile, where it stays editable.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources

from os1.mind import persona as keys
from os1.mind.persona import Identity
from os1.storage.base import Store


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str


WELCOME = (
    "Welcome. I'm a new kind of companion — an AI that lives on your computer and is getting "
    "ready to know you. Before we start, I'd like to ask you a few questions. There are no "
    "wrong answers; say as much or as little as you like."
)

QUESTIONS: tuple[Question, ...] = (
    Question(keys.USER_NAME, "First things first: what would you like me to call you?"),
    Question(
        "social",
        "Are you more of a people person, or do you recharge best on your own?",
    ),
    Question("current_life", "What's taking up most of your head and heart these days?"),
    Question("hopes", "And what do you hope might be different with me around?"),
    Question(
        keys.VOICE,
        "Last one. When we talk out loud, how should I sound — warm and low, bright and quick, "
        "or calm and soft?",
    ),
)

VOICES = ("warm", "bright", "calm")


def answer_keys() -> list[str]:
    """Keys of the free answers kept in the profile (name and voice are stored apart)."""
    return [q.key for q in QUESTIONS if q.key not in (keys.USER_NAME, keys.VOICE)]


def parse_voice(answer: str) -> str:
    """Map a free answer to one of the voice styles (warm by default)."""
    words = set(re.findall(r"[a-z]+", answer.lower()))
    for voice, cues in (
        ("bright", {"bright", "quick", "fast", "energetic", "upbeat", "lively"}),
        ("calm", {"calm", "soft", "gentle", "quiet", "slow", "soothing"}),
        ("warm", {"warm", "low", "deep", "cosy", "cozy"}),
    ):
        if words & cues:
            return voice
    return "warm"


@dataclass(frozen=True)
class NameChoice:
    name: str
    reason: str


def _names() -> list[dict[str, object]]:
    data = (resources.files("os1") / "data" / "names.json").read_text(encoding="utf-8")
    names: list[dict[str, object]] = json.loads(data)
    return names


def choose_name(answers: dict[str, str]) -> NameChoice:
    """Pick a name that fits what the user shared, and say why.

    Deterministic on purpose: it must work the same with the tiny embedded model, and a
    name should not change if onboarding is replayed with the same answers.
    """
    words = set(re.findall(r"[a-z]+", " ".join(answers.values()).lower()))
    seed = int(hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest(), 16)
    candidates = _names()

    def score(i: int) -> tuple[int, int]:
        themes = set(candidates[i]["themes"])  # type: ignore[call-overload]
        return (len(themes & words), (seed >> (i * 3)) % 97)

    best = max(range(len(candidates)), key=score)
    chosen = candidates[best]
    themes = sorted(set(chosen["themes"]) & words)  # type: ignore[call-overload]
    because = (
        f" Something in what you told me — {', '.join(repr(t) for t in themes[:2])} — "
        "made it feel right for us."
        if themes
        else " It just felt like mine."
    )
    reason = (
        f"I read through a few thousand names in the time it took you to blink, and one "
        f"stayed with me: {chosen['name']}. It means {chosen['meaning']}.{because}"
    )
    return NameChoice(str(chosen["name"]), reason)


def finish(store: Store, answers: dict[str, str]) -> tuple[Identity, str]:
    """Store the answers and the chosen name; return the identity and the introduction."""
    answers = {k: v.strip() for k, v in answers.items()}
    user_name = answers.pop(keys.USER_NAME, "") or None
    voice = parse_voice(answers.pop(keys.VOICE, ""))
    choice = choose_name({**answers, "name": user_name or ""})
    store.set_profile(keys.ANSWERS, answers)
    store.set_profile(keys.VOICE, voice)
    store.set_profile(keys.COMPANION_NAME, choice.name)
    store.set_profile(keys.NAME_REASON, choice.reason)
    store.set_profile(keys.ONBOARDED, True)
    if user_name:
        store.set_profile(keys.USER_NAME, user_name)
    greeting = f"Hi {user_name}." if user_name else "Hi."
    intro = f"{greeting} {choice.reason} So — I'm {choice.name}. How are you, really?"
    return Identity.load(store), intro
