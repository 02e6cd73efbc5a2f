"""The three HTTP faces, driven the same way: one credential in, the refusal code (or "ok")
out. The dashboard shows refusals as pages, so a probe route on the same app answers through
the dashboard's own dependency (``ViewerDep``) with the app's problem handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.credentials import SESSION_COOKIE
from crewboard.models import AuthSession, utcnow
from crewboard.server.app import create_app
from crewboard.services.accounts import AuthService
from crewboard.services.accounts.credentials import hash_token
from crewboard.services.core import unit_of_work
from crewboard.web.auth import ViewerDep
from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, client_for, problem_code

VIEWER_PROBE = "/edge-probe/viewer"
EMAIL = "ann@example.com"
SLUG = "shop"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
MCP_HEADERS = {"accept": "application/json, text/event-stream"}


def app_with_probe(settings: Settings, database: Database) -> FastAPI:
    """The real app, plus a route that only authenticates as the dashboard does."""
    app = create_app(settings, database)

    @app.get(VIEWER_PROBE)
    @app.post(VIEWER_PROBE)
    async def probe(viewer: ViewerDep) -> dict[str, Any]:
        return {"user": viewer.actor.user_id}

    return app


@asynccontextmanager
async def faces_client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client over the app with the dashboard probe."""
    async with client_for(app_with_probe(settings, database)) as http:
        yield http


def _sent(http: httpx.AsyncClient, header: str | None, cookie: str | None) -> dict[str, str]:
    """The headers to send; the client's cookies hold only ``cookie``."""
    http.cookies.clear()
    if cookie is not None:
        http.cookies.set(SESSION_COOKIE, cookie)
    return {"authorization": header} if header is not None else {}


def _problem(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "ok"
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    return problem_code(response)


async def rest(
    http: httpx.AsyncClient, header: str | None = None, cookie: str | None = None
) -> str:
    """``GET /auth/me`` with this credential."""
    return _problem(await http.get(f"{API}/auth/me", headers=_sent(http, header, cookie)))


async def dashboard(http: httpx.AsyncClient, cookie: str | None = None) -> str:
    """The dashboard's authentication (it reads the session cookie only)."""
    return _problem(await http.get(VIEWER_PROBE, headers=_sent(http, None, cookie)))


def rpc(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON-RPC request."""
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        body["params"] = params
    return body


MCP_REQUESTS = {
    "initialize": rpc(
        "initialize",
        {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "edge-test", "version": "1"},
        },
    ),
    "tools/list": rpc("tools/list"),
    "tools/call": rpc("tools/call", {"name": "TaskList", "arguments": {}}),
}


async def mcp(http: httpx.AsyncClient, body: dict[str, Any], header: str | None = None) -> str:
    """A raw JSON-RPC POST to ``/mcp`` with this Authorization header."""
    headers = {**MCP_HEADERS, **_sent(http, header, None)}
    response = await http.post("/mcp", json=body, headers=headers)
    if response.status_code == 200:
        result = response.json()
        assert "error" not in result, result
        assert not result["result"].get("isError"), result
        return "ok"
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    code: str = response.json()["error"]
    return code


@dataclass(frozen=True)
class Crew:
    """Ann (a person with a password) owns project ``shop`` with agent ``qa``."""

    database: Database
    settings: Settings
    factory: Factory
    ann: int

    async def agent_token(self) -> str:
        return await self.factory.token(self.ann, project=SLUG, agent="qa")

    async def person_token(self) -> str:
        return await self.factory.token(self.ann)

    async def web_session(self) -> str:
        """A web login's session secret (what the dashboard's cookie holds)."""
        async with unit_of_work(self.database, write=True) as session:
            issued, _ = await AuthService(session, self.settings).login(EMAIL, PASSWORD, "test")
        return issued.token

    async def revoke(self, token: str) -> str:
        await self._set(token, revoked_at=utcnow())
        return token

    async def expire(self, token: str) -> str:
        await self._set(token, expires_at=utcnow() - timedelta(seconds=1))
        return token

    async def last_used(self, token: str) -> datetime | None:
        async with unit_of_work(self.database, write=False) as session:
            return await session.scalar(
                select(AuthSession.last_used_at).where(AuthSession.token_hash == hash_token(token))
            )

    async def backdate(self, token: str) -> None:
        """Last use long ago: the next use is recorded again."""
        await self._set(token, last_used_at=LONG_AGO)

    async def _set(self, token: str, **values: Any) -> None:
        async with unit_of_work(self.database, write=True) as session:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.token_hash == hash_token(token))
                .values(**values)
            )


async def crew(database: Database, settings: Settings, factory: Factory) -> Crew:
    """Ann, her project ``shop`` and its agent ``qa``."""
    ann = await factory.user(EMAIL, password=PASSWORD)
    await factory.project(SLUG, ann)
    await factory.agent(SLUG, "qa")
    return Crew(database, settings, factory, ann)
