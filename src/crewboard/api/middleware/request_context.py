"""Pure ASGI middleware (no buffering, safe for streaming): request id, access log, body limit,
security headers."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crewboard.log import request_id_var

access_log = logging.getLogger("crewboard.access")

# What the access log says of a request whose client hung up before any answer (nginx's 499).
CLIENT_CLOSED = 499
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class RequestContextMiddleware:
    """Tag each request with an id, log it once when done, and bound its body."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        on_error: Callable[[Request, Exception], Awaitable[Response]] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Builds the 500 response here, inside the request's context: Starlette's own
        # last-resort handler runs outside every middleware, without the request id or headers.
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        client_left = False
        limit = self.max_body_bytes

        declared = dict(scope["headers"]).get(b"content-length")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received, client_left
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            client_left = client_left or message["type"] == "http.disconnect"
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(_SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        try:
            try:
                await self.app(scope, limited_receive, tagged_send)
            except Exception as exc:
                if response_started or self.on_error is None:
                    raise
                response = await self.on_error(Request(scope, limited_receive), exc)
                await response(scope, limited_receive, tagged_send)
        finally:
            if client_left and not response_started:
                status = CLIENT_CLOSED  # nobody to answer: not a server error
            # The path only: query strings are not logged, so nothing secret can leak there.
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )
            request_id_var.reset(token)
