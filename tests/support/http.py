"""The HTTP face in tests: clients over the real ASGI app, credentials, logins (API and dashboard
form), CSRF tokens and problem codes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.app import create_app

API = "/api/v1"
PASSWORD = "correct horse battery staple"  # every test user's, where one is needed
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROBLEM = "application/problem+json"


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header for a token (none for None)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}


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
    peer: str = "127.0.0.1",
) -> AsyncIterator[httpx.AsyncClient]:
    """A client over ``app``, or over a new app for these settings (and database), lifespan
    run; ``peer`` is the client's address."""
    if app is None:
        app = create_app(settings, database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def csrf_of(html: str) -> str:
    """The CSRF token carried by a page's forms."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


async def form_login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the CSRF token of the session's pages."""
    form = await http.get("/login")
    assert form.status_code == 200
    answer = await http.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text), "next": "/"},
    )
    assert answer.status_code == 303, answer.text[:300]
    home = await http.get("/")
    assert home.status_code == 200
    return csrf_of(home.text)
