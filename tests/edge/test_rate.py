"""Per-credential budgets (edge/rate.py): writes past the bucket get 429 with Retry-After on
every face and change nothing; one credential's budget is not another's; a credential holds
at most so many live streams, and a closed stream gives its place back."""

from __future__ import annotations

import asyncio

from crewboard.config import Settings
from crewboard.database import Database
from tests.api.routes.test_events import EVENTS, make_crew, served
from tests.api.sse import open_stream
from tests.support.database import row_counts
from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, bearer, client_for, login, problem_code
from tests.support.live import live_server
from tests.support.mcp import http_agent
from tests.support.world import SLUG, build_world

TASKS = f"{API}/projects/{SLUG}/tasks"


def _tight(settings: Settings) -> Settings:
    return settings.model_copy(update={"writes_burst": 3, "writes_per_minute": 6})


async def test_writes_past_the_budget_are_429_and_change_nothing(
    factory: Factory, database: Database, settings: Settings
) -> None:
    tight = _tight(settings)
    world = await build_world(factory, database, tight, ("backend", "qa"))
    backend, qa = bearer(world.tokens["backend"]), bearer(world.tokens["qa"])
    async with client_for(settings=tight, database=database) as client:
        for n in range(3):
            made = await client.post(TASKS, json={"title": f"t{n}"}, headers=backend)
            assert made.status_code == 201, made.text
        before = await row_counts(database)
        over = await client.post(TASKS, json={"title": "one too many"}, headers=backend)
        assert (over.status_code, problem_code(over)) == (429, "rate-limited")
        assert 1 <= int(over.headers["retry-after"]) <= 10
        assert await row_counts(database) == before
        # Reading is not a write; another credential has its own budget.
        assert (await client.get(TASKS, headers=backend)).status_code == 200
        assert (await client.post(TASKS, json={"title": "qa's"}, headers=qa)).status_code == 201


async def test_an_mcp_write_past_the_budget_is_a_tool_error_not_a_401(
    factory: Factory, database: Database, settings: Settings
) -> None:
    tight = _tight(settings)
    world = await build_world(factory, database, tight, ("backend",))
    with live_server(tight) as url:
        async with http_agent(url, world.tokens["backend"]) as agent:
            for n in range(3):
                await agent.ok("TaskCreate", subject=f"t{n}", description="")
            await agent.error("TaskCreate", "rate-limited", subject="over", description="")
            listed = await agent.ok("TaskList")  # reads go on
    assert len(listed["tasks"]) == 3


async def test_a_credential_holds_a_bounded_number_of_streams(
    factory: Factory, settings: Settings
) -> None:
    crew = await make_crew(factory)
    capped = settings.model_copy(update={"streams_per_credential": 2})
    async with served(capped) as http:
        headers = {"Authorization": f"Bearer {crew.viewer}"}
        async with open_stream(http, EVENTS, token=crew.viewer):
            async with open_stream(http, EVENTS, token=crew.viewer):
                third = await http.get(EVENTS, headers=headers)
                assert (third.status_code, problem_code(third)) == (429, "rate-limited")
                assert third.headers["retry-after"]
                # Another credential is not held back.
                async with open_stream(http, EVENTS, token=crew.owner):
                    pass
            # A closed stream gives its place back.
            async with open_stream(http, EVENTS, token=crew.viewer):
                pass
        # The places come back as soon as the server sees the connections close: under load
        # that can be a moment after the client closed them.
        deadline = asyncio.get_running_loop().time() + 10
        once = await http.get(EVENTS, headers=headers, params={"once": "true"})
        while once.status_code == 429 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            once = await http.get(EVENTS, headers=headers, params={"once": "true"})
        assert once.status_code == 200


async def test_budgets_are_per_app(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """Two server processes keep their own budgets (documented: N processes, N budgets)."""
    tight = _tight(settings)
    world = await build_world(factory, database, tight, ("backend",))
    backend = bearer(world.tokens["backend"])
    for _ in range(2):
        async with client_for(settings=tight, database=database) as client:
            for n in range(3):
                made = await client.post(TASKS, json={"title": f"t{n}"}, headers=backend)
                assert made.status_code == 201
            again = await client.post(TASKS, json={"title": "over"}, headers=backend)
            assert again.status_code == 429


async def test_a_forged_post_does_not_spend_its_victims_budget(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """The budget is charged after the CSRF check: cookie posts without the token (a
    same-site page's forgery) are 403 and leave the victim's writes untouched."""
    tight = _tight(settings)
    alice = await factory.user("alice@example.com", password=PASSWORD)
    await factory.project(SLUG, alice)
    async with client_for(settings=tight, database=database) as client:
        csrf = {"X-CSRF-Token": await login(client, "alice@example.com")}
        for _ in range(5):
            forged = await client.post(TASKS, json={"title": "forged"})
            assert (forged.status_code, problem_code(forged)) == (403, "csrf")
        for n in range(3):
            made = await client.post(TASKS, json={"title": f"t{n}"}, headers=csrf)
            assert made.status_code == 201, made.text
