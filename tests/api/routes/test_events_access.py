"""Open streams obey revocation: a revoked token, a removed member, a disabled user stop
receiving at once, in a busy project, whichever process made the change; and whatever
ends a right without an event (a token expiring) is seen within one keep-alive."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import utcnow
from crewboard.models.users import AuthSession
from crewboard.services.core import unit_of_work
from crewboard.services.projects import Role
from tests.api.routes.test_events import EVENTS, INBOX_STREAM, Crew, create_task, make_crew, served
from tests.api.sse import WAIT_SECONDS, Message, Stream, open_stream
from tests.support.cli import cli_env, run_subprocess
from tests.support.factory import Factory

# Far longer than any test waits: a stream that ends did so because of the revocation.
SLOW_KEEPALIVE = 300.0


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _token_id(http: httpx.AsyncClient, crew: Crew, agent: str) -> int:
    listed = await http.get("/api/v1/tokens", headers=_bearer(crew.owner))
    assert listed.status_code == 200, listed.text
    [found] = [t["id"] for t in listed.json()["items"] if t["agent_name"] == agent]
    return int(found)


@contextlib.asynccontextmanager
async def _busy(http: httpx.AsyncClient, token: str) -> AsyncIterator[None]:
    """A project that never falls silent: a task every 50 ms."""

    async def churn() -> None:
        n = 0
        while True:
            n += 1
            await create_task(http, token, f"busy {n}")
            await asyncio.sleep(0.05)

    task = asyncio.create_task(churn())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.parametrize("path", [EVENTS, INBOX_STREAM])
async def test_a_revoked_token_ends_its_streams_at_once(
    factory: Factory, settings: Settings, path: str
) -> None:
    crew = await make_crew(factory)
    slow = settings.model_copy(update={"live_keepalive_seconds": SLOW_KEEPALIVE})
    async with served(slow) as http:
        token_id = await _token_id(http, crew, "backend")
        async with open_stream(http, path, token=crew.agent) as stream, _busy(http, crew.owner):
            revoked = await http.delete(f"/api/v1/tokens/{token_id}", headers=_bearer(crew.owner))
            assert revoked.status_code == 204, revoked.text
            await create_task(http, crew.owner, "after the revocation")
            seen = await _rest(stream)
    titles = [m.data.get("data", {}).get("title") for m in seen]
    assert "after the revocation" not in titles


@pytest.mark.e2e
async def test_a_removed_member_and_a_disabled_user_stop_receiving(
    factory: Factory, settings: Settings, database: Database
) -> None:
    """Both made by another process (the admin CLI on the same database): the events table
    carries the change to this server's streams."""
    crew = await make_crew(factory)
    second = await factory.token(await factory.user("second@example.com"))
    await factory.member("alpha", "second@example.com", Role.MEMBER)
    slow = settings.model_copy(update={"live_keepalive_seconds": SLOW_KEEPALIVE})
    env = cli_env(settings.database_url)
    async with (
        served(slow) as http,
        open_stream(http, EVENTS, token=crew.viewer) as viewer_stream,
        open_stream(http, EVENTS, token=second) as second_stream,
        _busy(http, crew.owner),
    ):
        removed = await run_subprocess(env, "member", "remove", "alpha", "viewer@example.com")
        assert removed.code == 0, removed.stderr
        assert await _ended(viewer_stream)
        disabled = await run_subprocess(env, "user", "disable", "second@example.com")
        assert disabled.code == 0, disabled.stderr
        assert await _ended(second_stream)


async def test_an_expired_token_is_seen_within_a_keepalive_in_a_busy_project(
    factory: Factory, settings: Settings, database: Database
) -> None:
    """No event announces an expiry: the wall-clock re-check does, though the stream is never
    silent long enough for a keep-alive."""
    crew = await make_crew(factory)
    quick = settings.model_copy(update={"live_keepalive_seconds": 1.0})
    async with (
        served(quick) as http,
        open_stream(http, EVENTS, token=crew.agent) as stream,
        _busy(http, crew.owner),
    ):
        async with unit_of_work(database, write=True) as session:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.agent_name == "backend")
                .values(expires_at=utcnow())
            )
        assert await _ended(stream)


async def _rest(stream: Stream) -> list[Message]:
    """What the stream still sends until the server ends it; a stream that goes on (the busy
    project feeds it forever) fails the test after ``WAIT_SECONDS``."""
    return await asyncio.wait_for(stream.rest(), WAIT_SECONDS)


async def _ended(stream: Stream) -> bool:
    await _rest(stream)
    return True
