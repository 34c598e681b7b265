"""Password guessing is slowed per address and per account, with waits a stranger cannot
stretch into locking the owner out; the counts survive a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from os1.server.throttle import RULES, LoginThrottle, address_key
from tests.server.conftest import Account, add_account, make_app

STRANGER = "203.0.113.9"
OWNER = "198.51.100.7"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app(home: Path) -> FastAPI:
    return make_app(home, single_user=False)


@pytest.fixture
def alice(app: FastAPI) -> Account:
    return add_account(app, "alice")


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    clock = Clock()
    app.state.os1.logins.clock = clock
    return clock


@pytest.fixture
def clients(app: FastAPI) -> Iterator[dict[str, TestClient]]:
    """One client per address, all on one running app."""
    made: dict[str, TestClient] = {}
    with TestClient(app, base_url="http://127.0.0.1") as first:
        made["first"] = first
        yield made
        for client in made.values():
            if client is not first:
                client.close()


def client_at(clients: dict[str, TestClient], app: FastAPI, address: str) -> TestClient:
    if address not in clients:
        clients[address] = TestClient(app, base_url="http://127.0.0.1", client=(address, 50000))
    return clients[address]


def login(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/api/login", json={"username": username, "password": password})


def test_a_stranger_guessing_is_held_back_but_the_owner_elsewhere_is_not(
    app: FastAPI, alice: Account, clients: dict[str, TestClient], clock: Clock
) -> None:
    stranger = client_at(clients, app, STRANGER)
    for _ in range(5):
        assert login(stranger, "alice", "guess-guess").status_code == 401
    held = login(stranger, "alice", alice.password)  # even the right one, from there
    assert held.status_code == 429
    assert held.headers["Retry-After"] == "30"
    assert held.json()["error"]["code"] == "too_many_attempts"
    owner = client_at(clients, app, OWNER)
    assert login(owner, "alice", alice.password).status_code == 200


def test_each_further_failure_doubles_the_wait(
    app: FastAPI, alice: Account, clients: dict[str, TestClient], clock: Clock
) -> None:
    stranger = client_at(clients, app, STRANGER)
    for _ in range(5):
        login(stranger, "alice", "guess-guess")
    waits = []
    for _ in range(8):
        refused = login(stranger, "alice", "guess-guess")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.now += waits[-1]
        assert login(stranger, "alice", "guess-guess").status_code == 401
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]  # capped at 15 minutes


def test_an_address_guessing_many_names_is_held_back_for_all_of_them(
    app: FastAPI, alice: Account, clients: dict[str, TestClient], clock: Clock
) -> None:
    stranger = client_at(clients, app, STRANGER)
    for n in range(RULES["address"].free):
        assert login(stranger, f"name{n}", "guess-guess").status_code == 401
    assert login(stranger, "alice", alice.password).status_code == 429
    assert login(client_at(clients, app, OWNER), "alice", alice.password).status_code == 200


def test_many_addresses_together_make_the_account_wait_only_briefly(
    app: FastAPI, alice: Account, clients: dict[str, TestClient], clock: Clock
) -> None:
    # A botnet spreads its guesses so that no address is held back…
    for n in range(RULES["account"].free):
        bot = client_at(clients, app, f"192.0.2.{n + 1}")
        assert login(bot, "alice", "guess-guess").status_code == 401
    # …then the account itself waits, from everywhere, but only seconds.
    owner = client_at(clients, app, OWNER)
    waiting = login(owner, "alice", alice.password)
    assert waiting.status_code == 429
    assert int(waiting.headers["Retry-After"]) <= RULES["account"].cap
    clock.now += int(waiting.headers["Retry-After"])
    assert login(owner, "alice", alice.password).status_code == 200


def test_the_longest_wait_a_stranger_can_impose_on_an_account_is_a_minute() -> None:
    assert max(RULES["account"].wait(n) for n in range(1000)) == 60.0


def test_a_right_password_starts_the_account_counters_again(
    app: FastAPI, alice: Account, clients: dict[str, TestClient], clock: Clock
) -> None:
    owner = client_at(clients, app, OWNER)
    for _ in range(4):
        assert login(owner, "alice", "typo-typo").status_code == 401
    assert login(owner, "alice", alice.password).status_code == 200
    for _ in range(4):
        assert login(owner, "alice", "typo-typo").status_code == 401
    assert login(owner, "alice", alice.password).status_code == 200


def test_logging_in_to_ones_own_account_does_not_forgive_guesses_at_others(
    app: FastAPI, alice: Account, clients: dict[str, TestClient], clock: Clock
) -> None:
    mallory = add_account(app, "mallory")
    tenant = client_at(clients, app, STRANGER)
    for n in range(RULES["address"].free - 1):
        assert login(tenant, f"name{n}", "guess-guess").status_code == 401
    assert login(tenant, "mallory", mallory.password).status_code == 200
    assert login(tenant, "alice", "guess-guess").status_code == 401
    assert login(tenant, "alice", alice.password).status_code == 429


def test_a_quiet_hour_forgets_the_failures(
    app: FastAPI, alice: Account, clients: dict[str, TestClient], clock: Clock
) -> None:
    stranger = client_at(clients, app, STRANGER)
    for _ in range(5):
        login(stranger, "alice", "guess-guess")
    clock.now += 3601
    assert login(stranger, "alice", alice.password).status_code == 200


def test_the_counts_survive_a_restart(home: Path) -> None:
    first = make_app(home, single_user=False)
    alice = add_account(first, "alice")
    with TestClient(first, base_url="http://127.0.0.1") as c:
        for _ in range(5):
            login(c, "alice", "guess-guess")
    again = make_app(home, single_user=False)
    with TestClient(again, base_url="http://127.0.0.1") as c:
        assert login(c, "alice", alice.password).status_code == 429


def test_parallel_guesses_count_before_their_passwords_are_checked(
    app: FastAPI, clients: dict[str, TestClient]
) -> None:
    throttle = LoginThrottle(app.state.os1.users.store, clock=Clock())
    # Six guesses arrive together: each is counted as it starts, so the sixth waits.
    started = [throttle.attempt("alice", STRANGER) for _ in range(6)]
    assert started[:5] == [0.0] * 5 and started[5] == 30.0


def test_ipv6_clients_are_counted_by_their_network() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key(None) == "unknown"
