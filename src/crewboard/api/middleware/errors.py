"""One place that turns every failure into RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crewboard.api.middleware.request_context import BodyTooLarge
from crewboard.database import is_busy
from crewboard.log import request_id_var
from crewboard.services.core import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionRequired,
    RateLimited,
    Unauthenticated,
)

logger = logging.getLogger(__name__)

PROBLEM_TYPE_PREFIX = "urn:crewboard:problem:"
# A domain error's details become members of its problem, except these: the standard members,
# and the names of problem()'s own parameters (a clash would fail the handler itself).
_NOT_DETAILS = frozenset(
    {"type", "title", "status", "detail", "instance", "request_id", "request", "code", "headers"}
)
_STATUS: dict[type[DomainError], int] = {
    PreconditionRequired: 428,
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    RateLimited: 429,
}
_HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "body-too-large",
    415: "unsupported-media-type",
}


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 problem response; ``type`` is stable per ``code``."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id_var.get(),
        **extra,
    }
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def _status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = _status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    extra = {k: v for k, v in exc.details.items() if k not in _NOT_DETAILS}
    field = extra.get("field")
    if isinstance(exc, Invalid) and isinstance(field, str) and "errors" not in extra:
        # The same shape as a schema violation, so clients read every 422 one way.
        extra["errors"] = [{"loc": [field], "msg": exc.message, "type": exc.detail_code}]
    return problem(
        request, status, exc.detail_code, exc.message, title=exc.title, headers=headers, **extra
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Never echo the offending input back: it may be a password or a huge string.
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    if any(err["type"] == "json_invalid" for err in errors):
        return problem(request, 400, "malformed-json", "the body is not valid JSON", errors=errors)
    return problem(
        request, 422, "validation", "the request does not match the schema", errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, BodyTooLarge):
        # FastAPI reports any failure while reading the body as 400; ours is a 413.
        return await _body_too_large(request, exc.__cause__)
    code = _HTTP_CODES.get(exc.status_code, f"http-{exc.status_code}")
    headers = dict(exc.headers) if exc.headers else None
    return problem(request, exc.status_code, code, str(exc.detail), headers=headers)


async def _body_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return problem(request, 413, "body-too-large", str(exc), limit=exc.limit)


async def _operational_error(request: Request, exc: Exception) -> JSONResponse:
    if is_busy(exc):
        logger.warning("database busy: %s", getattr(exc, "orig", exc))
        return problem(
            request,
            503,
            "busy",
            "the database is busy; retry shortly",
            headers={"Retry-After": "1"},
        )
    return await unexpected_error(request, exc)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A 500 that says nothing of the cause; the traceback goes to the log."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, "internal", "internal error; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(Exception, unexpected_error)
