"""Property-based requests from the OpenAPI schema: whatever a client sends, the server answers
without a server error (5xx), in the documented error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.server.conftest import make_app, run_live


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    home: Path = tmp_path_factory.mktemp("schema") / "home"
    for live in run_live(make_app(home)):
        # A little data, so ids that exist are among those tried.
        httpx.post(live.url + "/api/chat", json={"text": "I like tea"})
        httpx.post(live.url + "/api/chat", json={"text": "water the fern"})
        yield schemathesis.openapi.from_url(live.url + "/openapi.json")


def send(client: httpx.Client, case: schemathesis.Case) -> httpx.Response:
    """The generated request, sent with httpx (schemathesis' own transport needs `requests`)."""
    sent = case.as_transport_kwargs(base_url=str(client.base_url))
    parts = sent.get("files") or []
    form = {name: str(value[1]) for name, value in parts if value[0] is None}
    files = [
        (name, (value[0], value[1].encode() if isinstance(value[1], str) else value[1]))
        for name, value in parts
        if value[0] is not None
    ]
    headers = dict(sent.get("headers") or {})
    if parts:
        headers.pop("Content-Type", None)  # httpx writes the multipart boundary itself
    body = sent.get("data")
    return client.request(
        sent["method"],
        sent["url"],
        params=sent.get("params"),
        headers=headers,
        cookies=sent.get("cookies") or None,
        json=sent.get("json"),
        content=body if isinstance(body, bytes | str) and not parts else None,
        data=form or None,
        files=files or None,
    )


def check(client: httpx.Client, case: schemathesis.Case) -> None:
    response = send(client, case)
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{where}: {response.text[:300]}"
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"], where


def test_no_request_makes_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    # (schemathesis' pytest plugin does not run under pytest 9: its Python API instead)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    with httpx.Client(base_url=api_schema.get_base_url(), timeout=30) as client:
        for operation in operations:
            run = given(case=operation.as_strategy())(lambda case: check(client, case))
            settings(
                max_examples=12,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(run)()


def test_the_schema_documents_every_area() -> None:
    app = make_app(Path("/nonexistent-home-for-schema"))
    paths = set(app.openapi()["paths"])
    for expected in [
        "/api/login",
        "/api/me",
        "/api/conversations",
        "/api/chat",
        "/api/actions/{call_id}/confirm",
        "/api/memories/search",
        "/api/persona",
        "/api/settings",
        "/api/voice/turn",
        "/v1/chat/completions",
        "/healthz",
    ]:
        assert expected in paths
