"""The multi-user hub: shared model and embedder, per-user parts in a bounded cache."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from os1.config import read_config_file
from os1.errors import NotFound, StorageError
from os1.events import TurnDone
from os1.server.hub import Hub, ServerOptions
from os1.skills import Skills
from os1.storage.sqlite import SQLiteStore
from tests.server.conftest import GARDEN, server_settings


def make_hub(home: Path, **server: object) -> Hub:
    hub = Hub(home, server_settings(**server), skills=Skills([GARDEN]))
    hub.bind(asyncio.get_running_loop())
    return hub


async def reply(hub: Hub, user: str, text: str) -> str:
    events = [e async for e in hub.turn(user, text)]
    return next(e.text for e in events if isinstance(e, TurnDone))


async def test_users_share_one_model_and_one_embedder(home: Path) -> None:
    hub = make_hub(home)
    async with hub.use("ann") as ann, hub.use("ben") as ben:
        assert ann.companion.model is ben.companion.model
        assert ann.memory is not None and ben.memory is not None
        assert ann.memory.embedder is ben.memory.embedder
        assert ann.store is not ben.store and ann.store.user_id == "ann"
    await hub.aclose()


async def test_least_recently_used_users_are_closed_but_never_while_in_use(home: Path) -> None:
    hub = make_hub(home, cache_users=2, consolidate_after=60)  # no upkeep pins a user
    async with hub.use("ann") as ann:
        await reply(hub, "ben", "hi")
        await reply(hub, "cat", "hi")  # ann is pinned, so ben makes way
        assert ann.store.list_conversations() == []  # still open
        assert hub.cached_users == 2
    await reply(hub, "dan", "hi")  # now ann is free and the oldest
    with pytest.raises(StorageError):
        ann.store.list_conversations()
    assert await reply(hub, "ann", "back again") == "You said: back again"  # reopened
    await hub.aclose()


def open_database_files(home: Path) -> int:
    """Descriptors of this process open on the home's database and its journal files."""
    fds = Path("/proc/self/fd")
    return sum(
        1
        for fd in fds.iterdir()
        if (target := _target(fd)) is not None and target.startswith(str(home / "os1.db"))
    )


def _target(fd: Path) -> str | None:
    try:
        return str(fd.readlink())
    except OSError:  # closed while listed
        return None


async def test_users_stores_share_the_hubs_one_sqlite_connection_whatever_their_number(
    home: Path,
) -> None:
    hub = make_hub(home, cache_users=50, consolidate_after=60)
    await reply(hub, "ann", "hi")
    one_user = open_database_files(home)
    for i in range(30):
        await reply(hub, f"user{i}", f"I am user{i}")
    assert open_database_files(home) == one_user
    async with hub.use("user7") as user7, hub.use("ann") as ann:
        (conversation,) = ann.store.list_conversations()
        with pytest.raises(NotFound):  # one connection, each store still scoped to its user
            user7.store.messages(conversation.id)
    await hub.aclose()
    assert open_database_files(home) == 0


async def test_a_request_still_using_its_store_when_the_hub_closes_keeps_it_until_it_ends(
    home: Path,
) -> None:
    hub = make_hub(home, consolidate_after=60)
    await reply(hub, "ann", "hi")
    async with hub.use("ann") as ann:
        await hub.aclose()
        assert len(ann.store.list_conversations()) == 1  # still open
    with pytest.raises(StorageError):
        ann.store.list_conversations()
    assert open_database_files(home) == 0


@pytest.mark.parametrize("loops", [0, 3])
async def test_concurrent_turns_of_many_users_all_complete(home: Path, loops: int) -> None:
    hub = make_hub(home, cache_users=8, turn_threads=loops)
    users = [f"user{i}" for i in range(20)]
    replies = await asyncio.gather(*(reply(hub, u, f"I am {u}") for u in users))
    assert replies == [f"You said: I am {u}" for u in users]
    await hub.aclose()


async def test_other_users_get_their_own_skill_sections_not_the_admins(home: Path) -> None:
    hub = make_hub(home)
    hub.settings = hub.settings.model_copy(update={"mail": {"admin": {"password": "x"}}})
    own = hub.user_home("ann")
    own.mkdir(parents=True)
    (own / "config.toml").write_text('[mail.ann]\nhost = "imap.ann.example"\n')
    assert read_config_file(own)["mail"]["ann"]["host"] == "imap.ann.example"
    assert hub.settings_for("ann").mail == {"ann": {"host": "imap.ann.example"}}
    assert hub.settings_for("ben").mail == {}
    assert hub.settings_for("local").mail == {"admin": {"password": "x"}}
    await hub.aclose()


def test_bad_server_options_are_a_clear_config_error() -> None:
    from os1.errors import ConfigError

    with pytest.raises(ConfigError, match="server.cache_users"):
        ServerOptions.of(server_settings(cache_users=0))
    with pytest.raises(ConfigError, match="server.colour"):
        ServerOptions.of(server_settings(colour="blue"))


async def test_a_shared_http_model_streams_many_users_turns_at_once(home: Path) -> None:
    """One OpenAI-compatible client on the server's loop streams every user's reply."""
    from tests.models import fake_openai_server

    with fake_openai_server.serve() as url:
        settings = server_settings(turn_threads=3).model_copy(
            update={
                "model": "openai:tiny",
                "openai_base_url": f"{url}/ok/v1",
                "memory_model": "off",
                "model_tools": "off",  # the streamed reply, not the tool-calling round trip
            }
        )
        hub = Hub(home, settings, skills=Skills([GARDEN]))
        hub.bind(asyncio.get_running_loop())
        users = [f"user{i}" for i in range(6)]
        replies = await asyncio.gather(*(reply(hub, u, f"hi from {u}") for u in users))
        await hub.aclose()
    assert all(r.startswith("Echo: ") for r in replies)
    assert [r.split()[-1] for r in replies] == users


async def test_a_tool_calling_model_is_offered_the_users_skills_as_in_the_cli(
    home: Path,
) -> None:
    """The server builds each user's companion where the CLI does: a model that calls tools
    gets the tool-calling round trip here too."""
    from tests.models import fake_openai_server

    with fake_openai_server.serve() as url:
        settings = server_settings().model_copy(
            update={
                "model": "openai:tiny",
                "openai_base_url": f"{url}/ok/v1",
                "memory_model": "off",
                "model_tools": "auto",
            }
        )
        hub = Hub(home, settings, skills=Skills([GARDEN]))
        hub.bind(asyncio.get_running_loop())
        answer = await reply(hub, "ann", "hello")
        await hub.aclose()
    assert answer == "Final: hello"  # the fake server's answer to a request offering tools


async def test_a_user_whose_database_is_slow_does_not_hold_up_another(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub(home)
    slow_write = SQLiteStore.add_message

    def add_message(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        if self.user_id == "slow":
            time.sleep(1.0)  # a disk or a lock that keeps this one user waiting
        return slow_write(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteStore, "add_message", add_message)
    finished: list[str] = []

    async def turn(user: str) -> None:
        await reply(hub, user, "hi")
        finished.append(user)

    slow = asyncio.create_task(turn("slow"))
    await asyncio.sleep(0.1)  # the slow user's turn is waiting on its first write
    await asyncio.wait_for(turn("quick"), timeout=0.9)
    await slow
    await hub.aclose()
    assert finished == ["quick", "slow"]


def count_consolidations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """(user, loop time) of each consolidation the hub starts."""
    from os1.memory import LongTermMemory

    runs: list[tuple[str, float]] = []
    consolidate = LongTermMemory.aconsolidate

    async def counted(self: LongTermMemory) -> int:
        runs.append((self.store.user_id, asyncio.get_running_loop().time()))
        return await consolidate(self)

    monkeypatch.setattr(LongTermMemory, "aconsolidate", counted)
    return runs


async def settled(hub: Hub, user: str, timeout: float = 20.0) -> list[Any]:
    """The user's memories still waiting to be consolidated, once none are (or time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        async with hub.use(user) as runtime:
            assert runtime.memory is not None
            waiting = runtime.memory.store.pending()
        if not waiting or time.monotonic() > deadline:
            return waiting
        await asyncio.sleep(0.05)


async def test_a_users_quick_turns_are_consolidated_together_in_the_pause_after_them(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub(home, consolidate_after=1.0, consolidate_within=60)
    await reply(hub, "warm", "hello")  # loads what every first turn loads
    runs = count_consolidations(monkeypatch)
    # 1.2 s of talk, never 1 s of quiet.
    for i, text in enumerate(("my sister Ann lives in Leeds", "she is a nurse", "we talk often")):
        if i:
            await asyncio.sleep(0.6)
        await reply(hub, "ann", text)
    assert [user for user, _ in runs if user == "ann"] == []  # nothing between the turns
    assert await settled(hub, "ann") == []
    assert [user for user, _ in runs if user == "ann"] == ["ann"]  # all three turns in one run
    await hub.aclose()


async def test_a_user_who_never_pauses_is_still_consolidated_within_the_limit(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub(home, consolidate_after=30, consolidate_within=0.5)
    await reply(hub, "warm", "hello")
    runs = count_consolidations(monkeypatch)
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < 2.0:  # a turn every 0.1 s: never 30 s of quiet
        await reply(hub, "ann", "and another thing")
        await asyncio.sleep(0.1)
    ended = loop.time()
    # Quiet never came, so only the limit started these, while the talk went on.
    assert [when for user, when in runs if user == "ann" and when < ended]
    await hub.aclose()


async def test_closing_the_hub_stops_consolidations_still_waiting_for_a_pause(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub(home, consolidate_after=30, consolidate_within=60)
    runs = count_consolidations(monkeypatch)
    await reply(hub, "ann", "my sister Ann lives in Leeds")
    await asyncio.wait_for(hub.aclose(), 10)  # does not wait out the quiet
    assert runs == []
