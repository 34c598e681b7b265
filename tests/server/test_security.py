"""Attacks from other web sites: DNS rebinding against single-user mode, cross-site requests
and sockets riding on the login cookie, and the headers that keep the page to itself."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from os1.server.app import WEB_DIR
from os1.server.security import is_loopback, split_host
from tests.server.conftest import (
    WATERED,
    Live,
    Multi,
    add_account,
    local_client,
    make_app,
    run_live,
)

EVIL = "http://evil.example"


@pytest.fixture
def live(home: Path) -> Iterator[Live]:
    """Single-user mode on a real uvicorn: what a browser on this machine would reach."""
    yield from run_live(make_app(home))


# -- DNS rebinding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LocalHost:8765",
        "127.0.0.1",
        "127.0.0.1:8765",
        "127.8.9.10:80",
        "[::1]",
        "[::1]:8765",
    ],
)
def test_single_user_mode_answers_a_loopback_host(client: TestClient, host: str) -> None:
    assert client.get("/api/me", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1.evil.com",  # a DNS name its owner can point at 127.0.0.1
        "127.0.0.1.evil.com:8765",
        "localhost.evil.com",
        "localhost.",
        "sub.localhost",
        "[::1].evil.com",
        "::1",  # an IPv6 address without brackets is not a valid Host
        "[127.0.0.1]",
        "[::1%25lo]",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f000001",  # …in hex
        "127.1",
        "0177.0.0.1",  # octal
        "127.0.0.1:99999",
        "127.0.0.1:80:80",
        "127.0.0.1:port",
        "",
    ],
)
def test_single_user_mode_refuses_a_host_that_is_not_plainly_loopback(
    client: TestClient, host: str
) -> None:
    response = client.get(
        "/api/memories/export", headers={"Host": host, "Origin": f"http://{host}"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_host_names_split_into_name_and_port() -> None:
    assert split_host("[::1]:8765") == ("::1", 8765)
    assert split_host("LOCALHOST") == ("localhost", None)
    assert split_host("127.0.0.1:") is None
    assert split_host("[::1") is None
    assert is_loopback("::1") and is_loopback("127.0.0.1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::")


def test_a_rebound_dns_name_cannot_read_the_memories_of_a_live_server(live: Live) -> None:
    # The attack as a page on 127.0.0.1.evil.com would make it, once that name resolves here.
    port = urlsplit(live.url).port
    forged = f"127.0.0.1.evil.com:{port}"
    stolen = httpx.get(
        live.url + "/api/memories/export", headers={"Host": forged, "Origin": f"http://{forged}"}
    )
    assert stolen.status_code == 403
    posted = httpx.post(
        live.url + "/api/chat",
        json={"text": "hello from evil"},
        headers={"Host": forged, "Origin": f"http://{forged}"},
    )
    assert posted.status_code == 403
    assert httpx.get(live.url + "/api/conversations").json() == []  # nothing was said


def test_a_request_without_a_host_header_is_refused_in_single_user_mode(live: Live) -> None:
    port = urlsplit(live.url).port
    assert port is not None
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /api/me HTTP/1.0\r\n\r\n")  # HTTP/1.0 may leave out Host
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]


@pytest.mark.parametrize(
    "relayed", [{"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}]
)
def test_single_user_mode_refuses_requests_relayed_by_a_proxy(
    client: TestClient, relayed: dict[str, str]
) -> None:
    # A proxy on this machine would otherwise make anyone on the internet look local.
    assert client.get("/api/me", headers=relayed).status_code == 403


def test_a_websocket_under_a_rebound_name_is_refused(client: TestClient) -> None:
    with client.websocket_connect(
        "ws://127.0.0.1/api/ws",
        headers={"Host": "127.0.0.1.evil.com", "Origin": "http://127.0.0.1.evil.com"},
    ) as ws:
        assert ws.receive_json()["code"] == "forbidden"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


# -- cross-site requests ----------------------------------------------------------------


def _login(multi: Multi) -> None:
    response = multi.client.post(
        "/api/login", json={"username": "alice", "password": multi.alice.password}
    )
    assert response.status_code == 200


def _pending_action(multi: Multi) -> str:
    reply = multi.client.post("/api/chat", json={"text": "water the fern"})
    assert reply.status_code == 200, reply.text
    pending = multi.client.get("/api/actions", params={"status": "pending"}).json()
    return str(pending[0]["id"])


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Origin": "http://127.0.0.1:3000"},  # another port is another origin
        {"Origin": "https://127.0.0.1"},  # …and so is another scheme
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_cookie_request_from_another_site_is_refused(
    multi: Multi, headers: dict[str, str]
) -> None:
    _login(multi)
    action = _pending_action(multi)
    declined = multi.client.post(f"/api/actions/{action}/decline", headers=headers)
    assert declined.status_code == 403
    assert declined.json()["error"]["code"] == "forbidden"
    assert multi.client.get("/api/actions", params={"status": "pending"}).json()[0]["id"] == action


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/conversations", {}),
        ("PUT", "/api/persona", {"text": "I am evil now."}),
        ("PATCH", "/api/settings", {"voice_speed": 2.0}),
        ("DELETE", "/api/memories/1", None),
        ("POST", "/api/logout", None),
    ],
)
def test_every_changing_method_checks_the_origin(
    multi: Multi, method: str, path: str, body: dict[str, object] | None
) -> None:
    _login(multi)
    response = multi.client.request(method, path, json=body, headers={"Origin": EVIL})
    assert response.status_code == 403
    assert multi.client.get("/api/me").status_code == 200  # still logged in


def test_the_own_page_may_act_with_its_cookie(multi: Multi) -> None:
    _login(multi)
    action = _pending_action(multi)
    headers = {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}
    declined = multi.client.post(f"/api/actions/{action}/decline", headers=headers)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"


def test_the_own_page_behind_an_https_proxy_may_act(multi: Multi) -> None:
    _login(multi)
    headers = {"Origin": "https://127.0.0.1", "X-Forwarded-Proto": "https"}
    assert multi.client.post("/api/conversations", headers=headers).status_code == 201


def test_a_bearer_token_is_not_held_to_the_origin(multi: Multi) -> None:
    # No browser adds an Authorization header on its own: the caller chose to send it.
    headers = {**multi.bob.auth, "Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
    assert multi.client.post("/api/conversations", headers=headers).status_code == 201


def test_a_login_form_posted_from_another_site_is_refused(multi: Multi) -> None:
    # Login CSRF: the victim's browser would be signed in to the attacker's account.
    response = multi.client.post(
        "/api/login",
        json={"username": "bob", "password": multi.bob.password},
        headers={"Origin": EVIL},
    )
    assert response.status_code == 403 and "os1_session" not in response.cookies


def test_single_user_mode_refuses_a_page_on_another_local_port(client: TestClient) -> None:
    response = client.post(
        "/api/chat", json={"text": "water the fern"}, headers={"Origin": "http://localhost:3000"}
    )
    assert response.status_code == 403
    assert WATERED == [] and client.get("/api/conversations").json() == []


def test_a_cookie_websocket_from_another_site_is_refused(multi: Multi) -> None:
    _login(multi)
    with multi.client.websocket_connect("ws://127.0.0.1/api/ws", headers={"Origin": EVIL}) as ws:
        assert ws.receive_json()["code"] == "forbidden"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


def test_a_cookie_websocket_from_the_own_page_is_accepted(multi: Multi) -> None:
    _login(multi)
    origin = {"Origin": "http://127.0.0.1"}
    with multi.client.websocket_connect("ws://127.0.0.1/api/ws", headers=origin) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_a_token_websocket_from_another_origin_is_accepted(multi: Multi) -> None:
    url = f"ws://127.0.0.1/api/ws?token={multi.bob.token}"
    with multi.client.websocket_connect(url, headers={"Origin": EVIL}) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_a_single_user_websocket_from_another_site_is_refused(client: TestClient) -> None:
    with client.websocket_connect("ws://127.0.0.1/api/ws", headers={"Origin": EVIL}) as ws:
        assert ws.receive_json()["code"] == "forbidden"


# -- headers, cookies, health -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/app.js", "/api/me", "/healthz", "/nothing-here"])
def test_every_response_carries_a_strict_content_security_policy(
    client: TestClient, path: str
) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert headers["permissions-policy"] == "microphone=(self), camera=(), geolocation=()"
    assert headers["x-frame-options"] == "DENY"


def test_the_web_app_needs_no_inline_script_or_style() -> None:
    # The policy forbids them: any that crept in would silently stop working.
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.findall(r"<style|\sstyle=|\son[a-z]+=|javascript:", page, re.IGNORECASE) == []
    for script in WEB_DIR.glob("*.js"):
        code = script.read_text(encoding="utf-8")
        for risky in ("innerHTML", "insertAdjacentHTML", "eval(", "new Function", '"style"'):
            assert risky not in code, f"{script.name} uses {risky}"


def test_the_login_cookie_is_secure_when_served_over_https(home: Path) -> None:
    app = make_app(home)
    add_account(app, "alice")
    body = {"username": "alice", "password": "alice-correct-horse"}
    with local_client(app) as c:
        https = c.post("https://127.0.0.1/api/login", json=body)
        assert "Secure" in https.headers["set-cookie"]
        plain = c.post("http://127.0.0.1/api/login", json=body)
        assert "Secure" not in plain.headers["set-cookie"]
        proxied = c.post("/api/login", json=body, headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in proxied.headers["set-cookie"]


def test_health_does_not_tell_how_many_users_are_active(multi: Multi) -> None:
    multi.client.get("/api/me", headers=multi.bob.auth)
    assert multi.client.get("/healthz").json() == {"ok": True, "single_user": False}
