"""Authentication at the edge: where the credential comes from, CSRF, recording last use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.auth import SESSION_COOKIE
from crewboard.models import AuthSession
from crewboard.services.accounts.credentials import hash_token
from crewboard.services.core import unit_of_work
from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, bearer, client_for, login, problem_code


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Basic YW5uOnB3", "bad-auth-header"),
        ("Bearer", "bad-auth-header"),
        ("Bearer    ", "bad-auth-header"),
        ("Token cb_abc", "bad-auth-header"),
        ("Bearer cb_" + "x" * 300, "invalid-token"),
        ("Bearer cb_unknown", "invalid-token"),
    ],
)
async def test_a_bad_authorization_header_is_401(
    client: httpx.AsyncClient, header: str, code: str
) -> None:
    response = await client.get(f"{API}/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert problem_code(response) == code
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_bearer_scheme_is_case_insensitive(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    response = await client.get(f"{API}/auth/me", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


async def test_an_oversized_cookie_is_refused(client: httpx.AsyncClient) -> None:
    client.cookies.set(SESSION_COOKIE, "cb_" + "x" * 300)
    response = await client.get(f"{API}/auth/me")
    assert response.status_code == 401
    assert problem_code(response) == "invalid-token"


async def test_cookie_changes_need_the_csrf_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    csrf = await login(client, "ann@example.com")
    body = {"slug": "web"}

    missing = await client.post(f"{API}/projects", json=body)
    assert missing.status_code == 403
    assert problem_code(missing) == "csrf"
    wrong = await client.post(f"{API}/projects", json=body, headers={"X-CSRF-Token": csrf[::-1]})
    assert wrong.status_code == 403
    assert problem_code(wrong) == "csrf"
    # Nothing was created by the refused requests.
    assert (await client.get(f"{API}/projects")).json()["items"] == []

    ok = await client.post(f"{API}/projects", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    for refused in (
        await client.patch(f"{API}/projects/web", json={"name": "Renamed"}),
        await client.put(
            f"{API}/projects/web/members", json={"email": "ann@example.com", "role": "owner"}
        ),
        await client.delete(f"{API}/projects/web/members/1"),
    ):
        assert refused.status_code == 403
        assert problem_code(refused) == "csrf"
    assert (await client.get(f"{API}/projects/web")).json()["name"] == "web"


async def test_reads_by_cookie_need_no_csrf_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    await login(client, "ann@example.com")
    assert (await client.get(f"{API}/projects")).status_code == 200
    assert (await client.get(f"{API}/auth/me")).status_code == 200
    assert (await client.get(f"{API}/tokens")).status_code == 200


async def test_bearer_changes_need_no_csrf_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    response = await client.post(f"{API}/projects", json={"slug": "web"}, headers=bearer(token))
    assert response.status_code == 201


async def test_the_bearer_token_wins_over_the_cookie(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    await login(client, "ann@example.com")
    bob = await factory.user("bob@example.com")
    me = await client.get(f"{API}/auth/me", headers=bearer(await factory.token(bob)))
    assert me.json()["user"]["email"] == "bob@example.com"
    assert me.json()["csrf_token"] is None
    # A bearer change with a session cookie present needs no CSRF token either.
    created = await client.post(
        f"{API}/projects", json={"slug": "bobs"}, headers=bearer(await factory.token(bob))
    )
    assert created.status_code == 201


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


async def test_an_agent_token_is_confined_to_its_project(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    await factory.project("web", ann)
    await factory.project("api", ann)
    await factory.agent("web", "qa")
    await factory.agent("api", "qa")
    agent = bearer(await factory.token(ann, project="web", agent="qa"))
    assert (await client.get(f"{API}/projects/web/agents", headers=agent)).status_code == 200
    other = await client.get(f"{API}/projects/api/agents", headers=agent)
    assert other.status_code == 404


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
