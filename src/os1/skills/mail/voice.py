"""The user's own way of opening and closing a mail, learned from what they sent."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from os1.skills.mail.parse import ParsedMail

_GREETING = re.compile(
    r"^(hi|hello|hey|dear|morning|good morning|hiya|yo)\b[ \w.'-]{0,30},?$", re.I
)
_CLOSING = re.compile(
    r"^(best|best wishes|cheers|thanks|thank you|many thanks|love|lots of love|regards|"
    r"kind regards|warm regards|all the best|take care|speak soon|talk soon|xx|x)[,!.]?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Voice:
    greeting: str = "Hi"
    closing: str = "Best"


def learn_voice(sent: list[ParsedMail]) -> Voice:
    """The greeting word and closing line the user uses most in their sent mail."""
    greetings: Counter[str] = Counter()
    closings: Counter[str] = Counter()
    for mail in sent:
        lines = [line.strip() for line in mail.text.splitlines() if line.strip()]
        lines = [line for line in lines if not line.startswith(">")]
        if not lines:
            continue
        first = _GREETING.match(lines[0])
        if first:
            greetings[first.group(1).capitalize()] += 1
        for line in lines[-3:]:
            if _CLOSING.match(line):
                closings[line.rstrip(",!.").capitalize()] += 1
                break
    default = Voice()
    return Voice(
        greeting=greetings.most_common(1)[0][0] if greetings else default.greeting,
        closing=closings.most_common(1)[0][0] if closings else default.closing,
    )
