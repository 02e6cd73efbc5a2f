"""Bad requests to the markdown routes: the right problem, nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.api.harness import API, Bad, assert_refused, quiet_settings, send_bad
from tests.support.database import empty_database, snapshot
from tests.support.factory import Factory
from tests.support.http import bearer, client_for

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

TRACKERS = "/projects/alpha/trackers"
CASES = [
    Bad("agent-upper", "GET", f"{TRACKERS}/Backend-Secret.md", loc=("path", "agent")),
    Bad("agent-long", "GET", f"{TRACKERS}/{'a' * 65}.md", loc=("path", "agent")),
    Bad("agent-blank", "GET", f"{TRACKERS}/%20.md", loc=("path", "agent")),
    Bad(
        "agent-unknown", "GET", f"{TRACKERS}/ghost.md", status=404, code="not-found", field="agent"
    ),
    Bad("slug-bad", "GET", "/projects/Not_A_Slug/changelog.md", loc=("path", "slug")),
    Bad(
        "slug-unknown", "GET", "/projects/nosuch/trackers/backend.md", status=404, code="not-found"
    ),
]


@pytest.fixture(scope="module")
async def client_and_token(
    migrated_database: Database, base_settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    settings = quiet_settings(base_settings)
    await empty_database(migrated_database)
    factory = Factory(migrated_database, settings)
    owner = await factory.user("owner@example.com")
    await factory.project("alpha", owner)
    await factory.agent("alpha", "backend")
    token = await factory.token(owner)
    async with client_for(settings=settings, database=migrated_database) as client:
        assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
        yield client, token


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_requests_are_refused(
    client_and_token: tuple[httpx.AsyncClient, str], migrated_database: Database, case: Bad
) -> None:
    client, token = client_and_token
    before = await snapshot(migrated_database)
    assert_refused(await send_bad(client, token, case), case)
    assert await snapshot(migrated_database) == before


async def test_a_garbled_if_none_match_gets_the_file(
    client_and_token: tuple[httpx.AsyncClient, str],
) -> None:
    client, token = client_and_token
    for sent in ('W/"x", ,,', "*garbage*", '"' + "f" * 32 + '"'):
        response = await client.get(
            f"{API}/projects/alpha/changelog.md", headers={**bearer(token), "If-None-Match": sent}
        )
        assert response.status_code == 200
        assert response.text.startswith("# Changelog\n")
