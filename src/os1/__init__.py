"""OS1: a private AI companion that listens, understands and knows you.

The public API: open an `App` on a home folder, get its `Companion`, and iterate a turn's
typed events.
"""

from os1.config import Settings, load_settings, resolve_home
from os1.errors import OS1Error
from os1.events import Event, TextDelta, TurnDone, TurnError, TurnStarted

__all__ = [
    "Event",
    "OS1Error",
    "Settings",
    "TextDelta",
    "TurnDone",
    "TurnError",
    "TurnStarted",
    "load_settings",
    "resolve_home",
]
__version__ = "0.1.0"
