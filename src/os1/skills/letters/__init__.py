"""The letters skill: heartfelt letters from a few notes, revised in conversation, proofread,
kept with every version, and bound into a PDF book."""

from os1.skills.base import Toolkit
from os1.skills.letters.intents import INTENTS
from os1.skills.letters.library import MIGRATIONS
from os1.skills.letters.tools import TOOLS

toolkit = Toolkit(name="letters", tools=TOOLS, intents=INTENTS, migrations=MIGRATIONS)

__all__ = ["toolkit"]
