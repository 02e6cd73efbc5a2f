"""The REST dependencies: the actor of a request, confined to what its token allows."""

from __future__ import annotations

import httpx

from tests.support.factory import Factory
from tests.support.http import API, bearer


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
