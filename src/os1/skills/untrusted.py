"""Text from outside (a mail, a file, a calendar) made safe to show and to quote.

`clean_untrusted` is the one door such text goes through before it reaches the model or the
screen. It removes what a reader can't see but a model reads: Unicode tag characters (a
whole hidden ASCII message fits in them), bidi controls that reorder what is shown, zero-width
and other format characters, runs of variation selectors. It keeps the few format characters
a script needs (a zero-width joiner inside an emoji or between Arabic or Indic letters, a
flag's tag sequence). And it turns remote images and links into inert text: a client that
renders Markdown or HTML must never fetch a URL an outsider chose, and a link shows where it
really goes.
"""

from __future__ import annotations

import re

# Category Cf (Unicode 15), the bidi marks among them, and tag characters U+E0000–E007F.
# Kept, not listed: U+0600–0605, U+06DD, U+070F, U+0890–0891, U+08E2, U+110BD, U+110CD
# (visible signs that span the digits after them), and U+200C/U+200D (handled in context).
_FORMAT = (
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f"
)
# C0 and C1 controls but tab and newline; Hangul fillers, which render as nothing.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u115f\u1160\u3164\uffa0"
_INVISIBLE = re.compile(f"[{_FORMAT}{_CONTROLS}]")
# A subdivision flag (England, Scotland, Wales) is a black flag plus a few tag letters.
_FLAG = re.compile("(\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,6}\U000e007f)")
_JOINERS = re.compile("[\u200c\u200d]")
# One variation selector after a visible character is normal; a run of them encodes bytes.
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_SELECTOR_RUN = re.compile(f"(?:^|(?<=[\\s{_SELECTORS}]))[{_SELECTORS}]+")
# Scripts whose letters join, where ZWJ/ZWNJ change a word's shape (Persian, Hindi, …).
_JOINING = re.compile(
    "[\u0600-\u06ff\u0700-\u074f\u0750-\u077f\u07c0-\u07ff\u0800-\u08ff\u0900-\u0dff"
    "\u1000-\u109f\u1780-\u18af\ua8e0-\ua8ff\ufb50-\ufdff\ufe70-\ufefc]"
)
_EMOJI = re.compile("[\u2600-\u27bf\u2b00-\u2bff\ufe0f\U0001f000-\U0001faff]")

# Each pattern stops at the next bracket or tag start, so text full of them stays linear.
_MD_IMAGE = re.compile(
    r"!\[([^\[\]\n]{0,200})\]\s?(?:\([^()\[\]\n]{0,2000}\)|\[[^\[\]\n]{0,200}\])"
)
_MD_LINK = re.compile(
    r"\[((?:[^\[\]\n]|\[[^\[\]\n]{0,200}\]){1,200})\]"
    r"\(\s?<?((?:[^()\[\]\s<>]|\([^()\[\]\s<>]{0,200}\)){1,2000})>?"
    r"(?:\s+[\"'][^\"'\n]{0,200}[\"'])?\s?\)"
)
_TAG = re.compile(r"<(\s{0,20}/?[a-zA-Z][^<>]*)>")
_TAG_NAME = re.compile(r"\s*/?([a-zA-Z][\w-]*)")
_HREF = re.compile(r"\bhref\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
# Attributes that make a renderer fetch something (src, style="background:url(…)", …).
_FETCHES = re.compile(
    r"\b(?:src|srcset|href|background|poster|data|style|action|formaction|lowsrc|dynsrc|"
    r"xlink:href)\s*=",
    re.IGNORECASE,
)
_EMBEDS = frozenset(
    "iframe frame video audio source object embed link svg picture track input meta base "
    "form script style".split()
)


def strip_invisible(text: str) -> str:
    """Remove what can't be seen: format and control characters, hidden selector runs."""
    if "\U0001f3f4" in text:  # keep subdivision flags whole, clean what is around them
        parts = _FLAG.split(text)
        return "".join(p if n % 2 else _strip(p) for n, p in enumerate(parts))
    return _strip(text)


def _strip(text: str) -> str:
    text = _JOINERS.sub(lambda m: m.group(0) if _joined(m) else "", text)
    text = _INVISIBLE.sub("", text)
    return _SELECTOR_RUN.sub("", text)


def _joined(match: re.Match[str]) -> bool:
    """A joiner is kept only between two letters of a joining script, or inside an emoji."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if not before or not after:
        return False
    if _JOINING.match(before) and _JOINING.match(after):
        return True
    return match.group(0) == "\u200d" and bool(_EMOJI.match(before) and _EMOJI.match(after))


def defuse(text: str) -> str:
    """Remote images become "[image]", links plain text with their real target."""
    if "<" not in text and "[" not in text:
        return text
    text = _MD_IMAGE.sub(lambda m: _image(m.group(1)), text)
    # An image that escaped the pattern above is still broken: "! [" is no image syntax.
    text = text.replace("![", "! [")
    text = _MD_LINK.sub(lambda m: _link(m.group(1), m.group(2)), text)
    return _TAG.sub(_tag, text) if "<" in text else text


def _image(alt: str) -> str:
    return f"[image: {alt.strip()}]" if alt.strip() else "[image]"


def _tag(match: re.Match[str]) -> str:
    inner = match.group(1)
    name_match = _TAG_NAME.match(inner)
    name = name_match.group(1).lower() if name_match else ""
    if name in ("img", "image"):
        return "[image]"
    if name in _EMBEDS:
        return "[embedded content]"
    if name == "a" and (href := _HREF.search(inner)):
        return f"[link: {href.group(1)}] "
    return "" if _FETCHES.search(inner) else match.group(0)


def _link(label: str, target: str) -> str:
    label = label.strip()
    return target if label == target or not label else f"{label} [link: {target}]"


def clean_untrusted(text: str) -> str:
    """Outside text as it may be shown or quoted: visible characters only, nothing active."""
    if "\r" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return defuse(strip_invisible(text))


__all__ = ["clean_untrusted", "defuse", "strip_invisible"]
