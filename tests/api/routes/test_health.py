"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from crewboard.config import Settings
from crewboard.database import Database, head_revision
from tests.support.backends import fresh_postgres, sqlite_url
from tests.support.http import API, client_for


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "revision": head_revision()}


@asynccontextmanager
async def _unmigrated(database: Database, directory: Path) -> AsyncIterator[str]:
    if database.is_sqlite:
        yield sqlite_url(directory)
    else:
        async with fresh_postgres() as url:
            yield url


async def test_readyz_on_an_unmigrated_database_is_503(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    async with _unmigrated(database, tmp_path) as url:
        empty = settings.model_copy(update={"database_url": url})
        async with client_for(settings=empty) as http:
            response = await http.get("/readyz")
            # Liveness does not depend on the database.
            assert (await http.get("/healthz")).status_code == 200
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "schema not migrated",
        "revision": None,
        "expected": head_revision(),
    }


async def test_readyz_when_the_database_is_unreachable() -> None:
    # Port 9 (discard) has no PostgreSQL behind it.
    gone = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:9/nothing")
    async with client_for(settings=gone) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unreachable"}


async def test_openapi_lists_the_routes_and_no_docs_pages(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "crewboard"
    paths = document["paths"]
    expected = {
        f"{API}/auth/setup": {"post"},
        f"{API}/auth/login": {"post"},
        f"{API}/auth/logout": {"post"},
        f"{API}/auth/me": {"get"},
        f"{API}/users": {"get", "post"},
        f"{API}/users/me": {"get", "patch"},
        f"{API}/users/{{user_id}}": {"get", "patch"},
        f"{API}/tokens": {"get", "post"},
        f"{API}/tokens/{{token_id}}": {"delete"},
        f"{API}/projects": {"get", "post"},
        f"{API}/projects/{{slug}}": {"get", "patch"},
        f"{API}/projects/{{slug}}/members": {"get", "put"},
        f"{API}/projects/{{slug}}/members/{{user_id}}": {"delete"},
        f"{API}/projects/{{slug}}/agents": {"get", "post"},
        f"{API}/projects/{{slug}}/agents/{{name}}": {"get", "patch", "delete"},
        "/healthz": {"get"},
        "/readyz": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) == methods, path
    for page in ("/docs", "/redoc", f"{API}/docs", "/openapi.json"):
        assert (await client.get(page)).status_code == 404, page
