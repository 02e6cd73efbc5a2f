"""Helpers for HTTP tests: credentials, and clients over apps built with other settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.app import create_app

API = "/api/v1"
PASSWORD = "a long enough password"
PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log in (the client keeps the session cookie) and return the CSRF token."""
    response = await client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    csrf: str = response.json()["csrf_token"]
    return csrf


def problem_code(response: httpx.Response) -> str:
    """The stable code of a problem+json response."""
    assert response.headers["content-type"] == PROBLEM, response.text
    kind: str = response.json()["type"]
    return kind.removeprefix("urn:crewboard:problem:")


@asynccontextmanager
async def client_for(
    app: FastAPI | None = None,
    *,
    settings: Settings | None = None,
    database: Database | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client over ``app``, or over a new app for these settings (and database)."""
    if app is None:
        app = create_app(settings, database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
