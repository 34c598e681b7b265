"""Logging in, API tokens, and when the server asks nobody to log in."""

from __future__ import annotations

from pathlib import Path

import sqlean as sqlite3  # the same SQLite library as the app: two in one process corrupt WAL locks
from fastapi.testclient import TestClient

from tests.server.conftest import Multi, local_client, make_app


def test_single_user_mode_on_loopback_serves_the_local_user_without_login(
    client: TestClient,
) -> None:
    me = client.get("/api/me").json()
    assert me["max_message_chars"] > 0  # the web app's composer counts against it
    assert {k: v for k, v in me.items() if k != "max_message_chars"} == {
        "id": "local",
        "username": "local",
        "single_user": True,
    }


def test_single_user_mode_shares_the_data_of_the_cli(home: Path, client: TestClient) -> None:
    client.post("/api/chat", json={"text": "from the browser"})
    with sqlite3.connect(home / "os1.db") as db:
        rows = db.execute("SELECT user_id, content FROM messages ORDER BY id").fetchall()
    assert rows[0] == ("local", "from the browser")


def test_listening_beyond_loopback_requires_login(home: Path) -> None:
    with local_client(make_app(home, host="0.0.0.0")) as c:
        response = c.get("/api/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "auth_required"
        assert c.get("/api/conversations").status_code == 401
        assert c.get("/healthz").json()["single_user"] is False


def test_single_user_false_in_the_config_requires_login_even_on_loopback(home: Path) -> None:
    with local_client(make_app(home, single_user=False)) as c:
        assert c.get("/api/me").status_code == 401
        assert c.post("/api/chat", json={"text": "hi"}).status_code == 401


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_it(multi: Multi) -> None:
    c = multi.client
    response = c.post("/api/login", json={"username": "alice", "password": multi.alice.password})
    assert response.status_code == 200
    assert response.json() == {"user": {"id": multi.alice.user_id, "username": "alice"}}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("os1_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    me = c.get("/api/me").json()
    assert me.pop("max_message_chars") > 0
    assert me == {"id": multi.alice.user_id, "username": "alice", "single_user": False}
    c.post("/api/logout")
    assert c.get("/api/me").status_code == 401


def test_a_stolen_cookie_stops_working_after_logout(multi: Multi) -> None:
    c = multi.client
    c.post("/api/login", json={"username": "alice", "password": multi.alice.password})
    stolen = c.cookies.get("os1_session")
    c.post("/api/logout")
    c.cookies.set("os1_session", stolen)
    assert c.get("/api/me").status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_401(multi: Multi) -> None:
    c = multi.client
    wrong = c.post("/api/login", json={"username": "alice", "password": "not-her-password"})
    nobody = c.post("/api/login", json={"username": "mallory", "password": "whatever12"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json()
    assert "set-cookie" not in wrong.headers


def test_api_token_authenticates_as_its_owner(multi: Multi) -> None:
    me = multi.client.get("/api/me", headers=multi.bob.auth).json()
    assert me["id"] == multi.bob.user_id and me["username"] == "bob"
    bad = multi.client.get("/api/me", headers={"Authorization": "Bearer os1_forged"})
    assert bad.status_code == 401


def test_passwords_and_tokens_are_never_stored_in_clear(home: Path, multi: Multi) -> None:
    with sqlite3.connect(home / "os1.db") as db:
        hashes = [r[0] for r in db.execute("SELECT password_hash FROM server_users")]
        tokens = [r[0] for r in db.execute("SELECT token_hash FROM server_tokens")]
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        dump = "\n".join(
            repr(row) for table in tables for row in db.execute(f'SELECT * FROM "{table}"')
        )
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert all(len(t) == 64 for t in tokens)  # sha256 hex
    for secret in (multi.alice.password, multi.alice.token, multi.bob.token):
        assert secret not in dump


def test_revoked_token_no_longer_works(multi: Multi) -> None:
    users = multi.app.state.os1.users
    token_id = users.tokens("bob")[0].id
    users.revoke_token("bob", token_id)
    assert multi.client.get("/api/me", headers=multi.bob.auth).status_code == 401


def test_single_user_mode_refuses_a_page_from_another_site(client: TestClient) -> None:
    response = client.post(
        "/api/chat", json={"text": "hi"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert client.get("/api/conversations").json() == []  # nothing was stored


def test_single_user_mode_refuses_a_non_loopback_host_name(client: TestClient) -> None:
    # DNS rebinding: a name that resolves to 127.0.0.1 must not reach the companion.
    response = client.get("/api/me", headers={"Host": "rebound.example:8765"})
    assert response.status_code == 403


def test_websocket_without_login_gets_an_error_and_is_closed(multi: Multi) -> None:
    with multi.client.websocket_connect("ws://127.0.0.1/api/ws") as ws:
        assert ws.receive_json()["code"] == "auth_required"


def test_repeated_wrong_passwords_are_slowed_down(multi: Multi) -> None:
    c = multi.client
    for _ in range(5):
        wrong = c.post("/api/login", json={"username": "alice", "password": "guess-guess"})
        assert wrong.status_code == 401
    blocked = c.post("/api/login", json={"username": "alice", "password": multi.alice.password})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    bob = c.post("/api/login", json={"username": "bob", "password": multi.bob.password})
    assert bob.status_code == 200  # only the guessed name is held back
