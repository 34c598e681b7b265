"""Echo rejection by the words: what the microphone hears while OS1 speaks (and just after) is
compared with what OS1 is saying. Words that mostly follow the reply, in order, are its own
voice coming back through the speaker; words that don't are the user talking over it.

The browser's echo cancellation removes most of the echo in the web app; a laptop's speaker
and microphone in the terminal have none, and what leaks through either way must neither
barge in nor become a turn."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

ECHO_SHARE = 0.6  # at least this share of the heard words follow the reply: Whisper mishears
FINAL_ECHO_SHARE = 0.5  # ... of a whole turn, which holds the echo's garbled fragments too
NEW_WORDS = 2  # this many words after the last echoed one are the user's own
GARBLED_WORDS = 3  # Whisper tiny hears "evening is just as calm" as "E-Beaming is just this comp"
SIMILAR = 0.8  # "letters" for "letter", "wonderfull" for "wonderful": one voice, misheard

Verdict = Literal["echo", "speech"]


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation; "I'm" and "Im" are one word."""
    return [w for w in (re.sub(r"[^\w]", "", t.lower()) for t in text.split()) if w]


def _same(a: str, b: str) -> bool:
    if a == b or (min(len(a), len(b)) >= 3 and a.rstrip("s") == b.rstrip("s")):
        return True  # "take"/"takes", "letter"/"letters": Whisper's ear for an ending
    if min(len(a), len(b)) < 5:
        return False  # "day"/"date", "here"/"there": short words must match exactly
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILAR


@dataclass(frozen=True)
class EchoMatch:
    """The heard words, each marked when it is one of the reference's words in order (a
    longest common subsequence, with near-identical words counted as the same)."""

    words: tuple[str, ...]
    matched: tuple[bool, ...]

    @property
    def echoed(self) -> int:
        return sum(self.matched)

    @property
    def trailing_new(self) -> int:
        """Words after the last echoed one: what the user says once the echo is heard."""
        count = 0
        for hit in reversed(self.matched):
            if hit:
                break
            count += 1
        return count

    def verdict(self, final: bool = False, *, after_echo: bool = False) -> Verdict | None:
        """The verdict: "echo" when the words mostly follow the reply and nothing new ends
        them, "speech" when new words end them or outnumber the echoed ones (Whisper garbles
        echo too, but then the reply's words come back after the garbled ones), None while
        the words don't say.
        `final`: the turn has ended and must be one or the other; `after_echo`: part of it
        was already heard to be echo, so a few odd words are Whisper garbling the rest."""
        n = len(self.words)
        if n == 0:
            return None
        share = FINAL_ECHO_SHARE if final else ECHO_SHARE
        # Half of "hello there" is not echo: at least two words must be, where two were heard.
        enough = self.echoed >= min(2, n)
        if enough and self.echoed >= share * n and (final or self.trailing_new < NEW_WORDS):
            return "echo"
        new = n - self.echoed
        if final and after_echo and new <= GARBLED_WORDS:
            return "echo"
        if final or self.trailing_new >= NEW_WORDS or (new > NEW_WORDS and new > self.echoed):
            # New words at the end, or more new words than echoed ones: the user talking
            # over the voice, whose own words Whisper weaves into theirs.
            return "speech"
        return None


def match(heard: str, reference: str) -> EchoMatch:
    """Mark which heard words follow the reference's words in order."""
    said, ref = words_of(heard), words_of(reference)
    n, m = len(said), len(ref)
    # Longest common subsequence over words; lengths[i][j] covers said[i:] and ref[j:].
    lengths = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if _same(said[i], ref[j]):
                lengths[i][j] = lengths[i + 1][j + 1] + 1
            else:
                lengths[i][j] = max(lengths[i + 1][j], lengths[i][j + 1])
    hits = [False] * n
    i = j = 0
    while i < n and j < m:
        if _same(said[i], ref[j]) and lengths[i][j] == lengths[i + 1][j + 1] + 1:
            hits[i] = True
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    if n >= 5:
        # A lone shared word among new ones ("I", "you", "about") is the user's language, not
        # the echo: echo comes back as runs of the reply's words.
        hits = [
            hit and ((k > 0 and hits[k - 1]) or (k + 1 < n and hits[k + 1]))
            for k, hit in enumerate(hits)
        ]
    return EchoMatch(tuple(said), tuple(hits))


def is_echo(heard: str, reference: str, *, final: bool = True) -> bool:
    """Whether `heard` is OS1's own `reference` coming back through the microphone."""
    return match(heard, reference).verdict(final) == "echo"


def strip_echo(heard: str, reference: str) -> str:
    """The user's words of a turn that began over OS1's voice: the echoed words it starts with
    are dropped ("heavy day. Sorry to interrupt" → "Sorry to interrupt")."""
    tokens = [t for t in heard.split() if words_of(t)]
    hits = match(" ".join(tokens), reference).matched
    lead = next((i for i, hit in enumerate(hits) if not hit), len(hits))
    return " ".join(tokens[lead:]) if 0 < lead < len(tokens) else heard.strip()
