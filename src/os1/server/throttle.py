"""Slows password guessing without handing a stranger the power to lock the owner out.

Every login attempt counts against three counters before its password is checked (so a burst
of parallel guesses counts in full); a right password takes its attempt back. Past a few free
failures a counter makes its key wait, the wait doubling with each further failure:

- the client address, over all names: free 20, then 30 s doubling to 15 min. Strict, since it
  only slows the guesser's own address (an IPv6 client is counted by its /64 network, the
  block one machine usually has).
- the account at one address: free 5, then 30 s doubling to 15 min. The guesser's own again:
  the owner, elsewhere, logs in as usual.
- the account, over all addresses: free 20, then 5 s doubling to 60 s. Only many addresses
  together reach it, and it stays short, so the most a stranger can impose on the owner is a
  minute's wait; meanwhile those addresses get a few guesses an hour each.

The counters live in the database, so a restart does not forgive and several worker processes
share them; one quiet hour forgets a counter.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

from os1.storage.base import Store


@dataclass(frozen=True, slots=True)
class Backoff:
    free: int  # failures before any wait
    first: float  # seconds of the first wait
    cap: float  # the longest wait

    def wait(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.cap, self.first * 2 ** min(failures - self.free, 32))


RULES = {
    "address": Backoff(free=20, first=30.0, cap=900.0),
    "account_address": Backoff(free=5, first=30.0, cap=900.0),
    "account": Backoff(free=20, first=5.0, cap=60.0),
}
FORGET_AFTER = 3600.0  # seconds without a failure after which a counter starts again


def address_key(host: str | None) -> str:
    """The address a client is counted by: its IPv4 address, or its IPv6 /64 network."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class LoginThrottle:
    """Login attempts per address and per account, in the server's tables."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock  # wall time: the counters outlive the process

    @staticmethod
    def _keys(username: str, address: str) -> list[tuple[str, str]]:
        name = username.lower()  # usernames are unique regardless of case
        return [
            ("address", address),
            ("account_address", f"{name}\n{address}"),
            ("account", name),
        ]

    def attempt(self, username: str, address: str) -> float:
        """Count an attempt to log in; or, when one of its counters must wait still, count
        nothing and return the seconds left."""
        keys = self._keys(username, address)
        stamp = self.clock()
        stale = stamp - FORGET_AFTER
        with self.store.transaction() as db:
            rows = db.execute(
                "SELECT scope, subject, failures, last_failure FROM server_login_failures "
                "WHERE (scope, subject) IN (VALUES (?, ?), (?, ?), (?, ?))",
                tuple(part for key in keys for part in key),
            ).fetchall()
            wait = max(
                (r[3] + RULES[r[0]].wait(r[2]) - stamp for r in rows if r[3] >= stale),
                default=0.0,
            )
            if wait > 0:
                return wait
            db.execute("DELETE FROM server_login_failures WHERE last_failure < ?", (stale,))
            db.executemany(
                "INSERT INTO server_login_failures (scope, subject, failures, last_failure) "
                "VALUES (?, ?, 1, ?) ON CONFLICT (scope, subject) DO UPDATE SET "
                "failures = server_login_failures.failures + 1, "
                "last_failure = excluded.last_failure",
                [(scope, subject, stamp) for scope, subject in keys],
            )
        return 0.0

    def succeeded(self, username: str, address: str) -> None:
        """The password was right: the account's counters start again. The address keeps
        its count, less this attempt: logging in to one's own account must not wipe out
        the guesses one made at others'."""
        (_, address_subject), *account_keys = self._keys(username, address)
        with self.store.transaction() as db:
            db.executemany(
                "DELETE FROM server_login_failures WHERE scope = ? AND subject = ?", account_keys
            )
            db.execute(
                "UPDATE server_login_failures SET failures = failures - 1 "
                "WHERE scope = 'address' AND subject = ? AND failures > 0",
                (address_subject,),
            )
