"""``/mcp``: the tools over streamable HTTP, inside the FastAPI app.

Stateless (every POST stands alone, so any server process can answer any call) with JSON
responses. Only agent tokens are accepted (``edge.credentials.MCP``), and the token fixes the
project and the agent name.

The credential is read here, at the HTTP door, without the database. A ``tools/call``
resolves it inside the tool call's own unit of work, as a REST request does; a refusal there
still answers HTTP 401 (the JSON response is sent only once the tool call is done). Every
other request (``initialize``, ``tools/list``, notifications) runs no unit of work of its own,
so it is authenticated in a short read here first; so is a tool call the SDK answers without
running it (a malformed one). No answer leaves unauthenticated. See docs/decisions.md.
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
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.credentials import MCP, Credential, require_credential
from crewboard.edge.last_use import record_last_use
from crewboard.edge.rate import Budgets
from crewboard.edge.resolve import resolve_actor
from crewboard.mcp.fast import answer, plain_tool_call
from crewboard.mcp.server import Bound, build_server, run_tool
from crewboard.services.core import Actor, DomainError, RateLimited, Unauthenticated, unit_of_work

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
CREDENTIAL_KEY = "crewboard.mcp.credential"
REFUSAL_KEY = "crewboard.mcp.refusal"
ADMITTED_KEY = "crewboard.mcp.admitted"


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="crewboard"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _buffered(receive: Receive) -> tuple[bytes, Receive] | None:
    """The whole request body, and a ``receive`` that hands it to the SDK again; None when
    the client left before sending it all (nothing to answer)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return replay.pop() if replay else await receive()

    return body, replayed


def _is_tool_call(body: bytes) -> bool:
    try:
        message = json.loads(body)
    except ValueError:  # the SDK answers a malformed body itself
        return False
    return isinstance(message, dict) and message.get("method") == "tools/call"


async def admit(database: Database, settings: Settings, credential: Credential) -> Actor:
    """Authenticate a request that is not a tool call, in a short read of its own."""
    async with unit_of_work(database, write=False) as session:
        actor = await resolve_actor(session, settings, credential, MCP, write=False, budgets=None)
    await record_last_use(database, settings, session)
    return actor


def _guarded(scope: Scope, send: Send) -> Send:
    """``send``, except that no answer leaves before the credential was accepted: a tool
    call whose credential was refused answers HTTP 401, and one the SDK answered without
    running it (a malformed call) is authenticated first."""
    refused = False

    async def wrapped(message: Message) -> None:
        nonlocal refused
        if refused:
            return  # the SDK's body of the refused call
        if message["type"] == "http.response.start" and not scope.get(ADMITTED_KEY):
            if REFUSAL_KEY not in scope:
                app = scope["app"]
                try:
                    await admit(app.state.database, app.state.settings, scope[CREDENTIAL_KEY])
                except DomainError as exc:
                    scope[REFUSAL_KEY] = exc
            refusal = scope.get(REFUSAL_KEY)
            if isinstance(refusal, DomainError):
                refused = True
                await _refuse(send, 401, refusal.detail_code, refusal.message)
                return
        await send(message)

    return wrapped


def _bound(scope: Scope) -> Bound:
    """What a tool call of this request runs against; its credential is resolved inside the
    call's own unit of work, and a refusal is noted on the request (it then answers 401)."""
    credential: Credential = scope[CREDENTIAL_KEY]
    app = scope["app"]
    settings: Settings = app.state.settings
    budgets: Budgets = app.state.budgets

    async def authenticate(session: AsyncSession, write: bool) -> Actor:
        try:
            actor = await resolve_actor(
                session, settings, credential, MCP, write=write, budgets=budgets
            )
        except RateLimited:
            raise  # an admitted credential over its budget: a tool error, not a 401
        except DomainError as exc:
            scope[REFUSAL_KEY] = exc
            raise
        scope[ADMITTED_KEY] = True
        return actor

    return Bound(app.state.database, settings, authenticate)


async def _answer_plainly(scope: Scope, receive: Receive, send: Send, body: bytes) -> bool:
    """Answer a plain ``tools/call`` here (mcp/fast.py); False: the SDK must answer it."""
    call = await plain_tool_call(Request(scope, receive), body)
    if call is None:
        return False
    result = await run_tool(_bound(scope), call.name, call.arguments)
    refusal = scope.get(REFUSAL_KEY)
    if isinstance(refusal, DomainError) and not scope.get(ADMITTED_KEY):
        await _refuse(send, 401, refusal.detail_code, refusal.message)
        return True
    response = Response(answer(call, result), headers={"Content-Type": "application/json"})
    await response(scope, receive, send)
    return True


class McpEndpoint:
    """The ASGI app at ``/mcp``: read the credential, then hand the request to the SDK."""

    def __init__(self) -> None:
        # Plain tool calls are answered without the SDK's per-request set-up (mcp/fast.py);
        # the tests turn this off to get the SDK's own answer to compare with.
        self.plain_calls = True
        self.manager = StreamableHTTPSessionManager(
            app=build_server(self.bind), json_response=True, stateless=True
        )

    @staticmethod
    async def bind(ctx: ServerRequestContext[Any, Any]) -> Bound:
        """A tool call's caller: resolved from the request's credential in the call's own
        unit of work; a refusal is noted on the request, which then answers 401."""
        request: Request | None = ctx.request
        if request is None or CREDENTIAL_KEY not in request.scope:
            raise Unauthenticated("no credential on this call", code="unauthenticated")
        return _bound(request.scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["app"]
        try:
            scope[CREDENTIAL_KEY] = require_credential(HTTPConnection(scope), MCP)
            body = b""
            if scope["method"] == "POST":
                buffered = await _buffered(receive)
                if buffered is None:
                    # A client that hangs up mid-request is normal (an agent stopped, a
                    # network blip): no error, no traceback, and no answer to send.
                    logger.info("MCP client went away before its request was read")
                    return
                body, receive = buffered
            if not _is_tool_call(body):
                await admit(app.state.database, app.state.settings, scope[CREDENTIAL_KEY])
                scope[ADMITTED_KEY] = True
            elif self.plain_calls and await _answer_plainly(scope, receive, send, body):
                return
        except DomainError as exc:
            await _refuse(send, 401, exc.detail_code, exc.message)
            return
        await self.manager.handle_request(scope, receive, _guarded(scope, send))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The SDK's session manager, for as long as the app runs (the app's lifespan)."""
        async with self.manager.run():
            yield


def mount_mcp(app: FastAPI) -> McpEndpoint:
    """Serve the MCP tools at ``/mcp`` of ``app``; run ``endpoint.running()`` in its lifespan."""
    endpoint = McpEndpoint()
    # Matched first: behind the REST API a tool call walked every API route (~15 % of a
    # TaskCreate's CPU); no other route can take ``/mcp``.
    app.router.routes.insert(0, Route(MCP_PATH, endpoint=endpoint, include_in_schema=False))
    return endpoint
