"""CalDAV calendars against a real Radicale server: read with the local calendar, changed
only after confirmation, passwords never shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from os1.config import Settings
from os1.events import ConfirmationRequired
from os1.skills import SkillContext
from os1.skills.base import ToolError
from os1.skills.calendar import upcoming_events
from os1.skills.calendar.service import open_calendars
from os1.skills.calendar.tools import calendar_add, calendar_events
from tests.conftest import collect
from tests.skills.calendar.conftest import NOW, make_companion

PASSWORD = "sesame-4242"
STANDUP = (
    "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:standup@t\n"
    "SUMMARY:Team standup\nDTSTAMP:20261101T000000Z\n"
    "DTSTART:20261201T080000Z\nDTEND:20261201T081500Z\n"
    "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nEND:VCALENDAR\n"
)


def settings_for(url: str, calendar: str, password: str = PASSWORD, **extra: Any) -> Settings:
    account = {"url": url, "username": "amy", "password": password, "calendar": calendar}
    return Settings(
        model="scripted:echo",
        timezone="Europe/Berlin",
        calendar={"accounts": {"work": account}, **extra},
    )


def on_server(made: Any) -> list[str]:
    return sorted(str(obj.icalendar_component["SUMMARY"]) for obj in made.events())


def test_server_events_are_read_with_local_ones(
    radicale: str, remote_calendar: tuple[str, Any], make_ctx: Callable[..., SkillContext]
) -> None:
    name, made = remote_calendar
    made.save_event(STANDUP)
    ctx = make_ctx(settings=settings_for(radicale, name))
    calendar_add.func(ctx, summary="Lunch with Amy", start="2026-12-01 13:00")
    events = upcoming_events(ctx, NOW, NOW + timedelta(days=7))
    assert [(e.summary, e.calendar, f"{e.start:%d %H:%M}") for e in events] == [
        ("Team standup", "work", "01 09:00"),  # 08:00 UTC is 09:00 in Berlin
        ("Lunch with Amy", "local", "01 13:00"),
        ("Team standup", "work", "02 09:00"),
        ("Team standup", "work", "03 09:00"),
    ]
    text = calendar_events.func(ctx, when="tomorrow").text
    assert "- 09:00–09:15 Team standup [work]\n- 13:00–14:00 Lunch with Amy" in text


async def test_adding_to_the_server_waits_for_confirmation(
    radicale: str, remote_calendar: tuple[str, Any], make_ctx: Callable[..., SkillContext]
) -> None:
    name, made = remote_calendar
    ctx = make_ctx(settings=settings_for(radicale, name, default="work"))
    companion = make_companion(ctx)
    events = await collect(companion.turn("add review with Kim on Thursday at 3pm"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    assert on_server(made) == []
    await collect(companion.decide(ask.call_id, True))
    assert on_server(made) == ["Review with Kim"]
    (event,) = upcoming_events(ctx, NOW, NOW + timedelta(days=7))
    assert (event.calendar, f"{event.start:%a %H:%M}") == ("work", "Thu 15:00")


async def test_moving_and_cancelling_on_the_server(
    radicale: str, remote_calendar: tuple[str, Any], make_ctx: Callable[..., SkillContext]
) -> None:
    name, made = remote_calendar
    made.save_event(STANDUP.replace("RRULE:FREQ=DAILY;COUNT=3\n", ""))
    ctx = make_ctx(settings=settings_for(radicale, name))
    companion = make_companion(ctx)
    events = await collect(companion.turn("move the team standup to Friday at 10am"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    await collect(companion.decide(ask.call_id, True))
    (moved,) = upcoming_events(ctx, NOW, NOW + timedelta(days=7))
    assert f"{moved.start:%a %H:%M}-{moved.end:%H:%M}" == "Fri 10:00-10:15"
    assert on_server(made) == ["Team standup"]  # the same entry, changed

    events = await collect(companion.turn("cancel the team standup"))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequired)]
    await collect(companion.decide(ask.call_id, True))
    assert on_server(made) == []


def test_a_wrong_password_is_a_clear_error_that_never_shows_it(
    radicale: str, remote_calendar: tuple[str, Any], make_ctx: Callable[..., SkillContext]
) -> None:
    name, _ = remote_calendar
    wrong = "not-the-password-9"
    ctx = make_ctx(settings=settings_for(radicale, name, password=wrong))
    calendar_add.func(ctx, summary="Lunch with Amy", start="2026-12-01 13:00")
    text = calendar_events.func(ctx, when="tomorrow").text
    # The local calendar still answers; the account that failed is named, the secret is not.
    assert "13:00–14:00 Lunch with Amy" in text
    assert "calendar 'work' refused the login" in text
    assert wrong not in text
    with pytest.raises(ToolError) as err:
        open_calendars(ctx).source("work").get("anything")
    assert wrong not in f"{err.value.message} {err.value.hint}"


def test_a_server_that_is_down_is_named_without_credentials(
    make_ctx: Callable[..., SkillContext],
) -> None:
    from tests.helpers import free_port

    url = f"http://amy:{PASSWORD}@127.0.0.1:{free_port()}/dav/"
    ctx = make_ctx(settings=settings_for(url, "x", default="work"))
    with pytest.raises(ToolError) as err:
        calendar_add.func(ctx, summary="Lunch", start="2026-12-01 13:00")
    message = f"{err.value.message} {err.value.hint}"
    assert "can't reach calendar 'work' at http://127.0.0.1:" in message
    assert PASSWORD not in message


def test_bad_calendar_settings_are_a_clear_error(make_ctx: Callable[..., SkillContext]) -> None:
    settings = Settings(model="scripted:echo", calendar={"accounts": {"work": {"username": "amy"}}})
    with pytest.raises(ToolError) as err:
        open_calendars(make_ctx(settings=settings))
    assert "accounts.work.url" in err.value.message


class MemoryKeyring:
    """A keyring backend held in memory, installed like any other backend."""

    def __init__(self) -> None:
        import keyring.backend

        class Backend(keyring.backend.KeyringBackend):
            priority = 1  # type: ignore[assignment]
            secrets: dict[tuple[str, str], str] = {}

            def get_password(self, service: str, username: str) -> str | None:
                return self.secrets.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.secrets[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                self.secrets.pop((service, username), None)

        self.backend = Backend()


def test_the_password_may_come_from_the_keyring(
    radicale: str, remote_calendar: tuple[str, Any], make_ctx: Callable[..., SkillContext]
) -> None:
    import keyring

    name, made = remote_calendar
    made.save_event(STANDUP)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring().backend)
    try:
        keyring.set_password("os1-calendar-work", "amy", PASSWORD)
        account = {"url": radicale, "username": "amy", "keyring": "os1-calendar-work",
                   "calendar": name}  # fmt: skip
        settings = Settings(
            model="scripted:echo",
            timezone="Europe/Berlin",
            calendar={"accounts": {"work": account}},
        )
        events = upcoming_events(make_ctx(settings=settings), NOW, NOW + timedelta(days=2))
        assert [f"{e.summary} {e.start:%d}" for e in events] == [
            "Team standup 01",
            "Team standup 02",
        ]
    finally:
        keyring.set_keyring(previous)
