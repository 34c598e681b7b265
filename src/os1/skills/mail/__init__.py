"""The mail skill: IMAP and Maildir accounts, SMTP to send; deterministic triage that learns
from what the user does; drafts in the user's voice; nothing sent, moved or deleted without
the user's confirmation, and nothing a mail says is ever taken as an instruction."""

from os1.skills.base import Toolkit
from os1.skills.mail.intents import INTENTS
from os1.skills.mail.state import MIGRATIONS
from os1.skills.mail.tools import TOOLS

toolkit = Toolkit(name="mail", tools=TOOLS, intents=INTENTS, migrations=MIGRATIONS)

__all__ = ["toolkit"]
