"""Who is calling: a login cookie, an API token (`Authorization: Bearer`, or `?token=` on the
WebSocket), or nobody — allowed only in single-user mode, where the caller is the local user."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends
from starlette.requests import HTTPConnection

from os1.server.errors import AuthRequired, Forbidden
from os1.server.security import foreign_site, loopback_host_header
from os1.server.state import server_of
from os1.server.users import LOCAL_USER, TOKEN_PREFIX

COOKIE = "os1_session"


@dataclass(frozen=True)
class Caller:
    user_id: str
    username: str
    single_user: bool = False
    # How the caller proved who they are: a token is sent on purpose; a cookie (or nothing,
    # in single-user mode) rides along with any request a browser makes, whoever asked.
    via: Literal["token", "cookie", "local"] = "token"

    def public(self) -> dict[str, object]:
        return {"id": self.user_id, "username": self.username, "single_user": self.single_user}


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def identify(conn: HTTPConnection, *, query_token: bool = False) -> Caller:
    """The caller of a request or WebSocket; AuthRequired when a login is needed."""
    server = server_of(conn)
    users = server.users
    token = bearer(conn) or (conn.query_params.get("token") if query_token else None)
    if token:
        # In single-user mode an OpenAI client must still send *some* key: only ours count.
        if not server.single_user or token.startswith(TOKEN_PREFIX):
            found = users.user_for_token(token)
            if found is None:
                raise AuthRequired(
                    "that API token is not valid", hint="Make a new one: `os1 users token NAME`."
                )
            owner, stale = found
            if stale is not None:
                # A write may wait for the database lock: never on the server's loop.
                asyncio.get_running_loop().run_in_executor(None, users.touch_token, stale)
            return Caller(owner.id, owner.username)
    session = conn.cookies.get(COOKIE)
    if session:
        user = users.user_for_session(session)
        if user is not None:
            return Caller(user.id, user.username, via="cookie")
    if server.single_user:
        _check_local(conn)
        return Caller(LOCAL_USER, LOCAL_USER, single_user=True, via="local")
    raise AuthRequired("please log in")


def identify_socket(ws: HTTPConnection) -> Caller:
    """The caller of a WebSocket (`?token=` allowed). WebSockets are exempt from the
    same-origin policy and a browser sends the login cookie with a socket any page opens:
    without a token, only our own page may open one."""
    caller = identify(ws, query_token=True)
    if caller.via != "token" and foreign_site(ws):
        raise Forbidden(
            "connections from another web site are refused",
            hint="Use the OS1 web app itself, or an API token (`?token=`).",
        )
    return caller


def _check_local(conn: HTTPConnection) -> None:
    """Without a login, only a page served from this very loopback address may act: a web
    page elsewhere (or a DNS name rebound to 127.0.0.1) must not drive the companion."""
    if not loopback_host_header(conn):
        shown = conn.headers.get("host")
        raise Forbidden(
            "single-user mode only answers on a loopback address"
            + (f", not {shown[:100]!r}" if shown else ""),
            hint="Open http://127.0.0.1:<port>/ or set up accounts (`os1 users add`).",
        )
    if "x-forwarded-for" in conn.headers or "forwarded" in conn.headers:
        # A proxy on this machine makes the world look local (and may rewrite Host).
        raise Forbidden(
            "single-user mode does not answer through a proxy",
            hint="Set up accounts (`os1 users add`) to serve through a proxy.",
        )
    if foreign_site(conn):
        raise Forbidden(
            "requests from another web site are refused",
            hint="Use the OS1 web app itself, or an API token.",
        )


async def current(conn: HTTPConnection) -> Caller:
    return identify(conn)


CallerDep = Annotated[Caller, Depends(current)]
