"""A NUL or other control character in a project slug or a name filter is refused, not a
500 (regressions: PostgreSQL text cannot hold a NUL, and these reached a query)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from crewboard.database import Database
from crewboard.services.core import Actor, NotFound, unit_of_work
from crewboard.services.projects import ProjectService
from tests.support.factory import Factory
from tests.support.http import form_login
from tests.support.world import two_projects

BAD = ["x\x00y", "shop\x00", "sh\x1fop"]


@pytest.mark.parametrize("slug", BAD)
async def test_the_service_finds_no_project_for_a_non_slug(
    database: Database, factory: Factory, slug: str
) -> None:
    ids = await two_projects(factory)
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=False) as session:
            await ProjectService(session).access(Actor(user_id=ids.alice, label="alice"), slug)


@pytest.mark.parametrize("value", BAD)
async def test_pages_refuse_control_characters(
    client: httpx.AsyncClient, factory: Factory, value: str
) -> None:
    await two_projects(factory)
    await form_login(client, "alice@example.com")
    for path, params in (
        (f"/p/{quote(value)}", {}),
        ("/go", {"project": value}),
        ("/p/shop", {"agent": value}),
        ("/p/shop/graph", {"tracker": value}),
        ("/p/shop/changelog", {"agent": value}),
        ("/p/shop/inbox", {"agent": value}),
    ):
        response = await client.get(path, params=params)
        assert response.status_code in (404, 422), (path, response.status_code)
