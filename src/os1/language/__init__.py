"""The language layer: a message is parsed once into a typed `Analysis` (tokens with lemma,
part of speech, dependency and entity; entities; noun chunks) that every part of OS1 can read
instead of re-reading the raw text with its own regular expressions.

`analyzer()` gives the process-wide default (spaCy, loaded lazily on first use); tests and
plug-ins swap it with `use_analyzer()`. The registry is module-level because analyzers are not
yet declared as entry points in pyproject.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from os1.language.analysis import Analysis, Analyzer, Entity, Span, Token

__all__ = [
    "Analysis",
    "Analyzer",
    "Entity",
    "Span",
    "Token",
    "analyze",
    "analyzer",
    "register",
    "use_analyzer",
]

_FACTORIES: dict[str, Callable[[], Analyzer]] = {}
_current: Analyzer | None = None
_lock = threading.Lock()
DEFAULT = "spacy"


def register(name: str, factory: Callable[[], Analyzer]) -> None:
    """Make an analyzer available by name (the default one is registered the same way)."""
    _FACTORIES[name] = factory


def _spacy() -> Analyzer:
    from os1.language.spacy_analyzer import SpacyAnalyzer

    return SpacyAnalyzer()


def _fake() -> Analyzer:
    from os1.language.fake import FakeAnalyzer

    return FakeAnalyzer()


register("spacy", _spacy)
register("fake", _fake)


def analyzer(name: str | None = None) -> Analyzer:
    """The analyzer in use (created once per process); by `name`, a new one of that kind."""
    global _current
    if name is not None:
        return _FACTORIES[name]()
    if _current is None:
        with _lock:
            if _current is None:
                _current = _FACTORIES[DEFAULT]()
    return _current


# A turn asks about the same message from several places (forget requests, open threads,
# memory questions), and consolidation reads it again seconds later: recent analyses are kept,
# so each message is parsed once. The cache is process-wide, so it must outlast what a server
# hears between a turn and its consolidation (5 s; 32 entries were evicted first with 300 users,
# and each new message was parsed 2.4 times). An analysis holds ~0.3 KB per token (4 KB for a
# short message, 14 KB for 40 words): the token budget bounds the cache at ~30 MB.
_RECENT: OrderedDict[tuple[int, str], Analysis] = OrderedDict()
_RECENT_MAX = 4096
_RECENT_MAX_TOKENS = 100_000
_recent_tokens = 0
# A message is parsed up to here (cut at a space): ~4,000 words, a long letter. spaCy reads
# ~3,500 words a second on a 2-core machine, one text at a time, so a 1 MB paste held every
# other user's parse for about a minute, and was parsed again by each reader (an analysis of
# more than the cache's token budget is not kept). What is said further on is still stored,
# searched and embedded; only the parse of it is left out.
MAX_ANALYZED_CHARS = 20_000


def _parsed_part(text: str) -> str:
    if len(text) <= MAX_ANALYZED_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_ANALYZED_CHARS)
    return text[: cut if cut > MAX_ANALYZED_CHARS // 2 else MAX_ANALYZED_CHARS]


def analyze(text: str) -> Analysis:
    """The analysis of `text` by the analyzer in use, parsed once however often it is asked."""
    current = analyzer()
    key = (id(current), text)
    with _lock:
        found = _RECENT.get(key)
        if found is not None:
            _RECENT.move_to_end(key)
            return found
    analysis = current.analyze(_parsed_part(text))  # outside the lock: parsing takes ms
    global _recent_tokens
    with _lock:
        if key not in _RECENT:  # another thread may have parsed it meanwhile
            _recent_tokens += len(analysis.tokens)
        _RECENT[key] = analysis
        while len(_RECENT) > _RECENT_MAX or (_recent_tokens > _RECENT_MAX_TOKENS and _RECENT):
            _recent_tokens -= len(_RECENT.popitem(last=False)[1].tokens)
    return analysis


@contextmanager
def use_analyzer(chosen: Analyzer) -> Iterator[Analyzer]:
    """Swap the process-wide analyzer for the duration (tests, plug-ins)."""
    global _current
    with _lock:
        previous, _current = _current, chosen
        _forget_recent()  # ids of analyzers can be reused: no analysis outlives its analyzer
    try:
        yield chosen
    finally:
        with _lock:
            _current = previous
            _forget_recent()


def _forget_recent() -> None:
    """Empty the cache of analyses (the caller holds `_lock`)."""
    global _recent_tokens
    _RECENT.clear()
    _recent_tokens = 0
