"""The calendar skill (being built)."""

from os1.skills.base import Toolkit

toolkit = Toolkit(name="calendar")
