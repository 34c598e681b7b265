"""Every failure as one JSON shape, `{"error": {"code", "message", "hint"}}`, with the status
code a client can act on; OS1Error subclasses map by class, never by message text."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from os1.errors import (
    ConfigError,
    EmptyMessage,
    InputTooLong,
    ModelError,
    ModelNotFound,
    ModelTimeout,
    NotFound,
    OS1Error,
    StorageError,
    StorageFull,
)

log = logging.getLogger("os1.server")


class AuthRequired(OS1Error):
    code = "auth_required"
    default_hint = "Log in, or send `Authorization: Bearer <token>` (`os1 users token NAME`)."


class Forbidden(OS1Error):
    code = "forbidden"


class BadRequest(OS1Error):
    code = "bad_request"


class TooLarge(OS1Error):
    code = "too_large"


class TooManyAttempts(OS1Error):
    code = "too_many_attempts"
    default_hint = "Wait a few minutes before trying again."

    def __init__(self, message: str, hint: str | None = None, *, retry_after: int = 0) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after  # seconds, sent as Retry-After


class Busy(OS1Error):
    code = "busy"
    default_hint = 'Wait for the reply, or send {"type": "cancel"} first.'


# Most specific first: the first class an error is an instance of decides its status.
_STATUS: list[tuple[type[OS1Error], int]] = [
    (AuthRequired, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Busy, 409),
    (TooManyAttempts, 429),
    (TooLarge, 413),
    (InputTooLong, 413),
    (EmptyMessage, 400),
    (BadRequest, 400),
    (ModelNotFound, 503),
    (ModelTimeout, 504),
    (ModelError, 502),
    (StorageFull, 507),
    (StorageError, 503),
    (ConfigError, 503),
]


def status_for(exc: OS1Error) -> int:
    if exc.code != type(exc).code:  # an error carried by its code (a turn's error event)
        return status_for_code(exc.code)
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    # Anything else the user can act on (a bad audio file, a tool refusing) is their request.
    return 409 if exc.code == "tool_error" else 400


def status_for_code(code: str) -> int:
    """The status of an error known only by its code (a TurnError event)."""
    pending: list[type[OS1Error]] = [OS1Error]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return status_for(cls("")) if cls is not OS1Error else 400
        pending.extend(cls.__subclasses__())
    return 400


def error_body(code: str, message: str, hint: str = "") -> dict[str, object]:
    # `type` too, so OpenAI SDKs show the message of a /v1 error like one of their own.
    return {"error": {"code": code, "message": message, "hint": hint, "type": code}}


def error_response(status: int, code: str, message: str, hint: str = "") -> JSONResponse:
    return JSONResponse(error_body(code, message, hint), status_code=status)


_HTTP_CODES = {
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one JSON shape."""

    @app.exception_handler(OS1Error)
    async def os1_error(request: Request, exc: OS1Error) -> JSONResponse:
        response = error_response(status_for(exc), exc.code, exc.message, exc.hint)
        if isinstance(exc, TooManyAttempts) and exc.retry_after > 0:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_response(
            422,
            "invalid_request",
            "; ".join(problems) or "the request is not valid",
            "See the API schema at /openapi.json.",
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        return JSONResponse(
            error_body(code, detail),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not the user's fault: logged with its traceback, shown as one line.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            500, "internal_error", "something went wrong on the server", "It is logged; try again."
        )
