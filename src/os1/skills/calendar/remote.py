"""Remote calendars over CalDAV (Nextcloud, Fastmail, iCloud, Radicale…), one per account.

Passwords come from the config or the system keyring; they are never shown, logged or put in
an error message (nor is a URL's user part).
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import icalendar
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from os1.errors import NotFound
from os1.skills.base import ToolError
from os1.skills.calendar.events import LOCAL, parse_ics

log = logging.getLogger(__name__)


class CalDAVAccount(BaseModel):
    """`[calendar.accounts.<name>]`."""

    model_config = ConfigDict(extra="forbid")

    url: str
    username: str | None = None
    password: SecretStr | None = None
    # Look the password up in the system keyring under this service name (user = username).
    keyring: str | None = None
    # Which of the account's calendars to use (display name or the last part of its URL);
    # default: the first one.
    calendar: str | None = None
    timeout: int = Field(20, ge=1, le=300)


class CalendarConfig(BaseModel):
    """`[calendar]`: where new events go, and the CalDAV accounts."""

    model_config = ConfigDict(extra="forbid")

    default: str = LOCAL
    accounts: dict[str, CalDAVAccount] = Field(default_factory=dict)


def load_config(raw: dict[str, Any]) -> CalendarConfig:
    try:
        config = CalendarConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        # The message names the field, never its value (it may be a password).
        raise ToolError(
            f"bad calendar setting {where!r}: {first['msg']}",
            hint="Check [calendar] in config.toml (accounts need at least a url).",
        ) from None
    if LOCAL in config.accounts:
        raise ToolError(
            f"a CalDAV account can't be called {LOCAL!r}",
            hint="That name is the local calendar; rename the account.",
        )
    return config


def safe_url(url: str) -> str:
    """The URL without any user or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def _password(name: str, account: CalDAVAccount) -> str | None:
    if account.password is not None:
        return account.password.get_secret_value()
    if account.keyring:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(account.keyring, account.username or "")
        except KeyringError:
            raise ToolError(
                f"the keyring has no password for calendar account {name!r}",
                hint=f"Store it with `keyring set {account.keyring} {account.username or ''}`.",
            ) from None
    return None


class CalDAVCalendar:
    """The calendar one account points at, opened on first use."""

    writable = True

    def __init__(self, name: str, account: CalDAVAccount, zone: tzinfo) -> None:
        self.name = name
        self.account = account
        self.zone = zone
        self._calendar: Any = None
        self._client: Any = None

    def _fail(self, exc: BaseException, doing: str) -> ToolError:
        from caldav.lib import error

        where = safe_url(self.account.url)
        if isinstance(exc, error.AuthorizationError):
            return ToolError(
                f"calendar {self.name!r} refused the login while {doing}",
                hint="Check the username and password (or keyring entry) of that account.",
            )
        if isinstance(exc, error.NotFoundError):
            return ToolError(f"calendar {self.name!r} has no such entry at {where}")
        # The exception's own text may quote the URL with credentials in it: not shown.
        return ToolError(
            f"can't reach calendar {self.name!r} at {where} while {doing} ({type(exc).__name__})",
            hint="Is the server up and the url in [calendar.accounts] right?",
        )

    def _open(self) -> Any:
        if self._calendar is not None:
            return self._calendar
        from caldav.davclient import DAVClient

        account = self.account
        try:
            client = DAVClient(
                url=account.url,
                username=account.username,
                password=_password(self.name, account),
                timeout=account.timeout,
                require_tls=False,  # a LAN Radicale without TLS is a normal self-hosted setup
            )
            calendars = client.principal().calendars()
            self._client = client
        except ToolError:
            raise
        except Exception as exc:
            raise self._fail(exc, "connecting") from None
        if not calendars:
            raise ToolError(
                f"calendar account {self.name!r} has no calendars",
                hint="Create one in your calendar app first.",
            )
        chosen = calendars[0]
        if account.calendar:
            wanted = account.calendar.strip("/").lower()
            matches = [c for c in calendars if _calendar_names(c) & {wanted}]
            if not matches:
                raise ToolError(
                    f"calendar account {self.name!r} has no calendar {account.calendar!r}",
                    hint="`os1 calendar accounts` lists the calendars it has.",
                )
            chosen = matches[0]
        self._calendar = chosen
        return chosen

    def calendar_names(self) -> list[str]:
        self._open()
        try:
            return [
                c.get_display_name() or str(c.url).rstrip("/").rsplit("/", 1)[-1]
                for c in self._client.principal().calendars()
            ]
        except Exception as exc:
            raise self._fail(exc, "listing calendars") from None

    def entries_between(self, start: datetime, end: datetime) -> list[icalendar.Calendar]:
        cal = self._open()
        try:
            found = cal.search(start=start, end=end, event=True)
            return _parsed([obj.data for obj in found], self.name)
        except ToolError:
            raise
        except Exception as exc:
            raise self._fail(exc, "reading events") from None

    def all_entries(self) -> list[icalendar.Calendar]:
        cal = self._open()
        try:
            return _parsed([obj.data for obj in cal.events()], self.name)
        except ToolError:
            raise
        except Exception as exc:
            raise self._fail(exc, "reading events") from None

    def _object(self, uid: str) -> Any:
        from caldav.lib import error

        cal = self._open()
        try:
            return cal.event_by_uid(uid)
        except error.NotFoundError:
            raise NotFound(f"no event {uid!r} in calendar {self.name!r}") from None
        except Exception as exc:
            raise self._fail(exc, "finding an event") from None

    def get(self, uid: str) -> icalendar.Calendar:
        return parse_ics(self._object(uid).data, f"an event on {self.name!r}")

    def put(self, uid: str, cal: icalendar.Calendar) -> None:
        from caldav.lib import error

        data = cal.to_ical().decode("utf-8")
        try:
            try:
                obj = self._open().event_by_uid(uid)
            except error.NotFoundError:
                self._open().save_event(data)
                return
            obj.data = data
            obj.save()
        except ToolError:
            raise
        except Exception as exc:
            raise self._fail(exc, "saving an event") from None

    def delete(self, uid: str) -> None:
        obj = self._object(uid)
        try:
            obj.delete()
        except Exception as exc:
            raise self._fail(exc, "deleting an event") from None


def _parsed(texts: list[str], name: str) -> list[icalendar.Calendar]:
    """The entries that parse; one broken entry on a server must not hide the others."""
    entries = []
    for text in texts:
        try:
            entries.append(parse_ics(text, f"an event on {name!r}"))
        except ToolError as exc:
            log.warning("calendar %s: entry skipped: %s", name, exc.message)
    return entries


def _calendar_names(calendar: Any) -> set[str]:
    names = {str(calendar.url).rstrip("/").rsplit("/", 1)[-1].lower()}
    try:
        shown = calendar.get_display_name()
    except Exception:  # a server without display names: the URL part is enough
        shown = None
    if shown:
        names.add(str(shown).lower())
    return names
