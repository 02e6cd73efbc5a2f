"""Two ``crewboard serve`` processes on one PostgreSQL database: access taken away through one
server holds on the other from its very next request (issue 18).

The credential and the caller's access to the project are read in one statement per request
(services/accounts/auth.py), and nothing of either is kept between requests, so there is
nothing to invalidate; this test is what keeps it so. Each caller is first served by both
servers (warm connections, warm statement caches), then:

- a revoked agent token fails with 401 ``revoked-token`` on REST and on MCP;
- an agent taken off the roster has its tokens revoked with it (401);
- a person removed from the project no longer sees it (404).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import AuthSession
from crewboard.services.accounts.credentials import hash_token
from crewboard.services.core import unit_of_work
from crewboard.services.projects import Role
from tests.reliability.load import bad_lines, problem_code, require_backend, serve
from tests.support.backends import postgres_or_skip
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.xdist_group("heavy")]

API = f"/api/v1/projects/{SLUG}"
MCP_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "TaskList", "arguments": {}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream"}


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (migrated by the servers)."""
    require_backend("postgresql")
    async with postgres_or_skip() as url:
        yield url


async def _token_id(database: Database, token: str) -> int:
    async with unit_of_work(database, write=False) as session:
        found = await session.scalar(
            select(AuthSession.id).where(AuthSession.token_hash == hash_token(token))
        )
    assert found is not None
    return found


async def _get(base: str, token: str, path: str = f"{API}/tasks") -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await client.get(path, headers={"authorization": f"Bearer {token}"})


async def _mcp(base: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = {"authorization": f"Bearer {token}", **MCP_HEADERS}
        return await client.post("/mcp", json=MCP_CALL, headers=headers)


async def _world(url: str) -> tuple[Database, World, str]:
    settings = Settings(database_url=url, jobs_enabled=False)
    database = Database(settings)
    factory = Factory(database, settings)
    world = await build_world(factory, database, settings, agents=("backend", "frontend", "qa"))
    person = await factory.user("dev@example.com")
    await factory.member(SLUG, "dev@example.com", Role.MEMBER)
    return database, world, await factory.token(person)


async def test_access_taken_away_on_one_server_holds_on_the_other(
    postgres_url: str, tmp_path: Path
) -> None:
    logs = [tmp_path / "serve-1.log", tmp_path / "serve-2.log"]
    async with serve(postgres_url, logs[0]) as one, serve(postgres_url, logs[1]) as two:
        await asyncio.gather(one.wait_healthy(), two.wait_healthy())
        database, world, person = await _world(postgres_url)
        try:
            callers = [world.tokens["backend"], world.tokens["frontend"], world.tokens["qa"]]
            for base in (one.base_url, two.base_url):
                for token in [*callers, person]:
                    assert (await _get(base, token)).status_code == 200
                assert (await _mcp(base, world.tokens["backend"])).status_code == 200
            lead = {"authorization": f"Bearer {world.lead_token}"}
            async with httpx.AsyncClient(base_url=one.base_url, timeout=30) as admin:
                backend_id = await _token_id(database, world.tokens["backend"])
                assert (
                    await admin.delete(f"/api/v1/tokens/{backend_id}", headers=lead)
                ).status_code == 204
                assert (
                    await admin.delete(f"{API}/agents/frontend", headers=lead)
                ).status_code == 204
                members = (await admin.get(f"{API}/members", headers=lead)).json()
                dev = next(m for m in members["items"] if m["email"] == "dev@example.com")
                removed = await admin.delete(f"{API}/members/{dev['user_id']}", headers=lead)
                assert removed.status_code == 204
            # At once, on the other server.
            revoked = await _get(two.base_url, world.tokens["backend"])
            assert (revoked.status_code, problem_code(revoked)) == (401, "revoked-token")
            assert (await _mcp(two.base_url, world.tokens["backend"])).status_code == 401
            # Taking an agent off the roster also revokes its tokens.
            gone = await _get(two.base_url, world.tokens["frontend"])
            assert (gone.status_code, problem_code(gone)) == (401, "revoked-token")
            assert (await _get(two.base_url, person)).status_code == 404
            # And nobody else lost anything.
            assert (await _get(two.base_url, world.tokens["qa"])).status_code == 200
            assert (await _mcp(two.base_url, world.tokens["qa"])).status_code == 200
        finally:
            await database.dispose()
    for log in logs:
        assert bad_lines(log.read_text(errors="replace")) == []
