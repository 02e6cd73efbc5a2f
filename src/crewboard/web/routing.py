"""The dashboard's route class: failures become HTML pages, not problem+json.

A page asked for without a session redirects to the login page; every other domain error
(403 CSRF, 404 another project, 409 conflict, 422 bad input) is an HTML error page with the
service's own message. The transaction has already been rolled back when this runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from crewboard.edge.credentials import SAFE_METHODS
from crewboard.services.core import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from crewboard.web.render import page, redirect

logger = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (Invalid, 422),
)


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error (400 for an unlisted kind)."""
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """An HTML error page."""
    return page(
        request,
        "error.html",
        {"status": status, "title": title, "message": message, "back": _back(request)},
        status=status,
    )


def _back(request: Request) -> str:
    """Where 'back' leads: the page the form was on, when it is one of ours."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    return referer[len(base) - 1 :] if referer.startswith(base) else "/"


class WebRoute(APIRoute):
    """An APIRoute whose errors are answered as the dashboard answers them."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def web_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthenticated as exc:
                if request.method in SAFE_METHODS and exc.detail_code == "unauthenticated":
                    target = request.url.path
                    return redirect(f"/login?next={quote(target, safe='/')}")
                if request.method in SAFE_METHODS:
                    return redirect("/login")  # an expired or revoked session
                return error_page(
                    request, 401, "Logged out", "Your session has ended; log in again."
                )
            except DomainError as exc:
                status = status_of(exc)
                if status >= 403:
                    logger.info(
                        "dashboard %s %s: %s", request.method, request.url.path, exc.detail_code
                    )
                return error_page(request, status, exc.title, exc.message)
            except RequestValidationError as exc:
                fields = sorted({str(err["loc"][-1]) for err in exc.errors() if err.get("loc")})
                return error_page(
                    request, 422, "Invalid request", "Check these fields: " + ", ".join(fields)
                )

        return web_handler
