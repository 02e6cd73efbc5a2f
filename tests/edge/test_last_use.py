"""Recording a credential's last use: at most once per touch interval, the same way from
every face, and never holding a second connection."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import AuthSession
from crewboard.services.accounts import csrf_token_for
from crewboard.services.accounts.credentials import hash_token
from crewboard.services.core import unit_of_work
from tests.edge.faces import (
    LONG_AGO,
    MCP_REQUESTS,
    VIEWER_PROBE,
    Crew,
    crew,
    faces_client,
    mcp,
    rpc,
)
from tests.support.factory import Factory
from tests.support.http import API, bearer, client_for


async def _last_used(database: Database, token: str) -> object:
    async with unit_of_work(database, write=False) as session:
        return await session.scalar(
            select(AuthSession.last_used_at).where(AuthSession.token_hash == hash_token(token))
        )


async def test_last_use_is_recorded_at_most_once_per_interval(
    client: httpx.AsyncClient, database: Database, factory: Factory
) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    assert await _last_used(database, token) is None
    assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
    first = await _last_used(database, token)
    assert first is not None
    assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
    assert await _last_used(database, token) == first  # within the interval: no write


async def test_last_use_is_recorded_every_time_with_a_zero_interval(
    database: Database, settings: Settings, factory: Factory
) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    eager = settings.model_copy(update={"touch_interval_seconds": 0})
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    async with client_for(settings=eager, database=database) as http:
        for _ in range(2):
            async with unit_of_work(database, write=True) as session:
                await session.execute(
                    update(AuthSession)
                    .where(AuthSession.token_hash == hash_token(token))
                    .values(last_used_at=long_ago)
                )
            assert (await http.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
            used = await _last_used(database, token)
            assert isinstance(used, datetime)
            assert used > long_ago


async def test_recording_last_use_never_waits_on_the_requests_own_connection(
    database: Database, settings: Settings, factory: Factory
) -> None:
    """More concurrent first reads than pooled connections: each read records its token's
    last use without holding its own connection (which would exhaust the pool and hang)."""
    tight = settings.model_copy(update={"db_pool_size": 2, "touch_interval_seconds": 0})
    small = Database(tight)
    user = await factory.user("poller@example.com")
    tokens = [await factory.token(user) for _ in range(12)]
    try:
        async with client_for(settings=tight, database=small) as client:
            answers = await asyncio.wait_for(
                asyncio.gather(*(client.get(f"{API}/auth/me", headers=bearer(t)) for t in tokens)),
                timeout=20,
            )
    finally:
        await small.dispose()
    assert [a.status_code for a in answers] == [200] * 12
    async with unit_of_work(database, write=False) as session:
        used = await session.scalars(
            select(AuthSession.last_used_at).where(
                AuthSession.token_hash.in_([hash_token(t) for t in tokens])
            )
        )
        assert all(at is not None for at in used)


_SERIAL = itertools.count()
Send = Callable[[httpx.AsyncClient, str], Awaitable[None]]


async def _rest_read(http: httpx.AsyncClient, token: str) -> None:
    assert (await http.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200


async def _rest_write(http: httpx.AsyncClient, token: str) -> None:
    slug = f"p{next(_SERIAL)}"
    response = await http.post(f"{API}/projects", json={"slug": slug}, headers=bearer(token))
    assert response.status_code == 201, response.text


async def _mcp_list(http: httpx.AsyncClient, token: str) -> None:
    assert await mcp(http, MCP_REQUESTS["tools/list"], f"Bearer {token}") == "ok"


async def _mcp_read(http: httpx.AsyncClient, token: str) -> None:
    assert await mcp(http, MCP_REQUESTS["tools/call"], f"Bearer {token}") == "ok"


async def _mcp_write(http: httpx.AsyncClient, token: str) -> None:
    body = rpc("tools/call", {"name": "TaskCreate", "arguments": {"subject": "x"}})
    assert await mcp(http, body, f"Bearer {token}") == "ok"


async def _dashboard_read(http: httpx.AsyncClient, token: str) -> None:
    http.cookies.set("crewboard_session", token)
    assert (await http.get("/")).status_code == 200


async def _dashboard_write(http: httpx.AsyncClient, token: str) -> None:
    http.cookies.set("crewboard_session", token)
    answer = await http.post(VIEWER_PROBE, data={"csrf_token": csrf_token_for(token)})
    assert answer.status_code == 200, answer.text


# Each face, one read and one write, with the credential it takes.
FACES: dict[str, tuple[str, Send]] = {
    "REST read": ("person", _rest_read),
    "REST write": ("person", _rest_write),
    "MCP tools/list": ("agent", _mcp_list),
    "MCP read tool": ("agent", _mcp_read),
    "MCP write tool": ("agent", _mcp_write),
    "dashboard read": ("web", _dashboard_read),
    "dashboard write": ("web", _dashboard_write),
}


async def _credential(w: Crew, kind: str) -> str:
    if kind == "agent":
        return await w.agent_token()
    if kind == "web":
        return await w.web_session()
    return await w.person_token()


@pytest.mark.parametrize("face", FACES)
async def test_every_face_records_last_use_once_per_interval(
    face: str, database: Database, settings: Settings, factory: Factory
) -> None:
    w = await crew(database, settings, factory)
    kind, send = FACES[face]
    token = await _credential(w, kind)
    await w.backdate(token)
    async with faces_client(settings, database) as http:
        await send(http, token)
        first = await w.last_used(token)
        assert first is not None
        assert first > LONG_AGO  # stale: recorded
        await send(http, token)
        assert await w.last_used(token) == first  # within the interval: no write
        await w.backdate(token)
        await send(http, token)
        again = await w.last_used(token)
        assert again is not None
        assert again > LONG_AGO  # stale again: recorded again
