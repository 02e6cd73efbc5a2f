"""``/mcp``: the tools over streamable HTTP, inside the FastAPI app.

Stateless (every POST stands alone, so any server process can answer any call) with JSON
responses. Every request is authenticated with its Bearer token through ``AuthService``;
only agent tokens are accepted, and the token fixes the project and the agent name.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from mcp.server import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.mcp.server import Bound, build_server
from crewboard.services.accounts import AuthService
from crewboard.services.core import Actor, DomainError, Unauthenticated, unit_of_work

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
ACTOR_KEY = "crewboard.mcp.actor"
_MAX_TOKEN_LENGTH = 256


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="crewboard"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bearer(scope: Scope) -> str:
    header = Request(scope).headers.get("authorization")
    if header is None:
        raise Unauthenticated("send 'Authorization: Bearer <agent token>'", code="unauthenticated")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("use 'Authorization: Bearer <token>'", code="bad-auth-header")
    if len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthenticated("invalid credential", code="invalid-token")
    return token


async def authenticate(database: Database, settings: Settings, token: str) -> Actor:
    """The agent behind a token; its last use is recorded as the REST faces do."""
    async with unit_of_work(database, write=False) as session:
        result = await AuthService(session, settings).authenticate(token)
    if not result.actor.is_agent:
        raise Unauthenticated("the MCP endpoint takes an agent token (crewboard token create "
                              "--agent NAME)", code="agent-token-required")  # fmt: skip
    if result.needs_touch and result.actor.session_id is not None:
        async with unit_of_work(database, write=True) as session:
            await AuthService(session, settings).touch(result.actor.session_id)
    return result.actor


class McpEndpoint:
    """The ASGI app at ``/mcp``: authenticate, then hand the request to the SDK."""

    def __init__(self) -> None:
        self.manager = StreamableHTTPSessionManager(
            app=build_server(self.bind), json_response=True, stateless=True
        )

    @staticmethod
    async def bind(ctx: ServerRequestContext[Any, Any]) -> Bound:
        """The caller of a tool call: the actor this request authenticated as."""
        request: Request | None = ctx.request
        if request is None or ACTOR_KEY not in request.scope:
            raise Unauthenticated("no credential on this call", code="unauthenticated")
        app = request.scope["app"]
        return Bound(app.state.database, app.state.settings, request.scope[ACTOR_KEY])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["app"]
        try:
            token = _bearer(scope)
            scope[ACTOR_KEY] = await authenticate(app.state.database, app.state.settings, token)
        except DomainError as exc:
            await _refuse(send, 401, exc.detail_code, exc.message)
            return
        await self.manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The SDK's session manager, for as long as the app runs (the app's lifespan)."""
        async with self.manager.run():
            yield


def mount_mcp(app: FastAPI) -> McpEndpoint:
    """Serve the MCP tools at ``/mcp`` of ``app``; run ``endpoint.running()`` in its lifespan."""
    endpoint = McpEndpoint()
    app.router.routes.append(Route(MCP_PATH, endpoint=endpoint, include_in_schema=False))
    return endpoint
