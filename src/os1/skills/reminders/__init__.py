"""Reminders and the companion that reaches out: "remind me to call mum on Sunday at 6",
repeating reminders, check-ins after a hard day, follow-ups on plans, nudges before events.

The scheduler (`ReminderScheduler`) fires them from a persistent due-time index, exactly once,
late ones marked late, under a visible policy (`os1 reminders policy`).
"""

from os1.skills.base import Toolkit
from os1.skills.reminders.book import MIGRATIONS
from os1.skills.reminders.scheduler import ReminderScheduler, TickReport
from os1.skills.reminders.tools import (
    cancel_intent,
    cancel_reminder,
    cancel_reminder_about,
    complete_reminder,
    done_intent,
    list_intent,
    list_reminders,
    remind_intent,
    set_reminder,
)

toolkit = Toolkit(
    name="reminders",
    tools=[set_reminder, list_reminders, cancel_reminder, cancel_reminder_about, complete_reminder],
    intents=[remind_intent, list_intent, cancel_intent, done_intent],
    migrations=MIGRATIONS,
)

__all__ = ["ReminderScheduler", "TickReport", "toolkit"]
