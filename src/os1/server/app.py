"""The web server: the app's static files, the REST and WebSocket API, and /v1 for OpenAI
clients, over one multi-user hub."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

import os1
from os1.config import Settings, load_settings
from os1.errors import NotFound
from os1.mcp.http import McpEndpoint
from os1.models.base import ChatModel
from os1.server import errors
from os1.server.auth import bearer
from os1.server.bus import open_bus
from os1.server.errors import error_response
from os1.server.hub import Hub
from os1.server.options import ServerOptions
from os1.server.routes import api, inner, memory, openai, voice, ws
from os1.server.security import SECURITY_HEADERS, UNSAFE_METHODS, foreign_site, is_loopback
from os1.server.state import Server
from os1.server.throttle import LoginThrottle
from os1.server.users import Users
from os1.skills import Skills
from os1.skills.reminders.scheduler import ReminderScheduler
from os1.storage import database_url_of, is_postgres_url, open_store

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
# Request bodies beyond this are refused before they are read (uploads have their own limit).
JSON_BODY_LIMIT = 4 * 2**20
# The advisory lock whose holder, among the workers on one PostgreSQL, fires reminders.
SCHEDULER_LOCK = int.from_bytes(b"os1:remi", "big")


def single_user_allowed(options: ServerOptions, host: str) -> bool:
    """No login only while nobody but this machine can reach the server (and, decided per
    request, while there are no accounts: `Server.single_user`)."""
    return options.single_user and is_loopback(host)


def reminder_scheduler(home: Path, settings: Settings, **options: Any) -> ReminderScheduler:
    """The reminder scheduler every worker runs: on PostgreSQL only the worker holding the
    advisory lock ticks, and another takes the lock over at its next tick when that one dies
    (with SQLite there is one process, which always leads)."""
    url = database_url_of(settings)
    leadership = None
    if is_postgres_url(url):
        from os1.storage.postgres import AdvisoryLock

        assert url is not None
        leadership = AdvisoryLock(url, SCHEDULER_LOCK, name="os1-scheduler")
    return ReminderScheduler(
        lambda user_id: open_store(home, user_id, url),
        settings=settings,
        home=home,
        close_stores=True,
        leadership=leadership,
        **options,
    )


def _settle_heap() -> None:
    """Load the language pipeline every turn reads, and the date reader behind it, then take
    what is alive now out of the cyclic collector's sight.

    A full collection walks every object the collector tracks while holding the GIL: with the
    pipeline loaded (~180k objects) one took ~80 ms, and a server whose cache of users grows
    runs one each time its objects grow by a quarter. Every open turn waits for it. Frozen
    objects are never collected, so this runs once, after a collection. dateparser builds its
    tables on its first phrase (~85 ms of CPU and ~6k objects, measured here): read one now,
    not in the first turn that names a day."""
    from os1.inner.threads import find_threads

    try:
        find_threads("My interview is on Friday.", datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - a warm-up: the turns that need it say what failed
        log.warning("the language pipeline did not load at start-up: %s", exc)
    gc.collect()
    gc.freeze()


def create_app(
    home: Path,
    settings: Settings | None = None,
    *,
    host: str = "127.0.0.1",
    model: ChatModel | None = None,
    skills: Skills | None = None,
) -> FastAPI:
    """The ASGI app for one OS1 home folder; `host` is the address the server listens on."""
    settings = settings or load_settings(home)
    options = ServerOptions.of(settings)
    hub = Hub(home, settings, options=options, model=model, skills=skills)
    mcp_endpoint = McpEndpoint(hub)
    users = Users(open_store(home, "server", hub.database_url))
    server = Server(
        hub=hub,
        users=users,
        logins=LoginThrottle(users.store),
        single_user_allowed=single_user_allowed(options, host),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        await asyncio.to_thread(_settle_heap)
        # What the companion says first reaches this user's sockets in every worker.
        bus = await asyncio.to_thread(open_bus, hub.database_url)
        # Reminders and check-ins for every user of this database, delivered to open sockets.
        scheduler = reminder_scheduler(home, settings) if options.scheduler else None
        try:
            if scheduler is not None:
                await asyncio.to_thread(scheduler.start)
            async with mcp_endpoint.running():  # MCP: the /mcp sessions' task group
                yield
        finally:
            if scheduler is not None:
                await asyncio.to_thread(scheduler.stop)
            await asyncio.to_thread(bus.close)
            await hub.aclose()
            users.store.close()

    app = FastAPI(
        title="OS1",
        version=os1.__version__,
        description="A private AI companion: conversations, memory, persona, voice, and an "
        'OpenAI-compatible /v1. Errors are {"error": {"code", "message", "hint"}}.',
        lifespan=lifespan,
        # FastAPI's /docs and /redoc pages load their scripts from a CDN: useless on a
        # machine without internet. The schema itself is served at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.os1 = server
    errors.install(app)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        limit = JSON_BODY_LIMIT
        if request.url.path.startswith("/api/voice/"):
            limit = options.max_upload_bytes + 64 * 1024
        if length is not None and (not length.isdigit() or int(length) > limit):
            response: Response = error_response(
                413, "too_large", "the request body is too large", "Send less at once."
            )
        elif request.method in UNSAFE_METHODS and bearer(request) is None and foreign_site(request):
            # A login cookie (or, in single-user mode, no credential at all) goes with any
            # request the browser makes, so another site's page could act as the user;
            # SameSite cookies alone leave out older browsers and sibling subdomains.
            response = error_response(
                403,
                "forbidden",
                "requests from another web site are refused",
                "Use the OS1 web app itself, or an API token.",
            )
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/healthz", tags=["server"])
    async def healthz() -> JSONResponse:
        # Nothing about who uses the server: this answers anyone.
        return JSONResponse({"ok": True, "single_user": server.single_user})

    for router in (api.router, memory.router, inner.router, ws.router, openai.router, voice.router):
        app.include_router(router)
    # MCP hosts, with the API's token authentication (before the web files' catch-all).
    app.router.routes.append(Route("/mcp", mcp_endpoint, methods=["GET", "POST", "DELETE"]))
    _static(app)
    return app


def _static(app: FastAPI) -> None:
    """index.html at /, the other files under /static/ and at /<file>."""
    app.mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        page = WEB_DIR / "index.html"
        if not page.is_file():
            raise NotFound(
                "the web app is not installed", hint="The API schema is at /openapi.json."
            )
        return FileResponse(page, headers={"Cache-Control": "no-cache"})

    @app.get("/{name:path}", include_in_schema=False)
    async def web_file(name: str) -> FileResponse:
        root = WEB_DIR.resolve()
        path = (root / name).resolve()
        # Only files inside the web folder; no /api or /v1 path ever falls through to here.
        if name.startswith(("api/", "v1/")) or not path.is_relative_to(root) or not path.is_file():
            raise NotFound(f"nothing at /{name}")
        return FileResponse(path)
