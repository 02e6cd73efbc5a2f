"""One claim rule on both faces: naming oneself owner of an unowned task (REST ``PATCH
owner=me``, MCP ``TaskUpdate owner=me``) is refused the same way as a claim of a task that is
not ready, and leaves the task as it was."""

from __future__ import annotations

import httpx

from crewboard.services.tasks import Status
from tests.api.routes.task_http import TASKS, ok, refused
from tests.support.mcp import http_agent
from tests.support.world import World


async def _patch(client: httpx.AsyncClient, world: World, number: int) -> httpx.Response:
    return await client.patch(
        f"{TASKS}/{number}",
        json={"owner": "backend", "version": 1},
        headers=world.headers("backend"),
    )


async def test_naming_oneself_owner_respects_blockers_on_both_faces(
    client: httpx.AsyncClient, mcp_url: str, world: World
) -> None:
    await world.task("schema", tracker="architect")
    await world.task("endpoint", tracker="backend", blocked_by=[1])
    await world.task("endpoint tests", tracker="backend", blocked_by=[1])
    rest = await _patch(client, world, 2)
    assert refused(rest, 409) == "blocked"
    assert rest.json()["blocked_by"] == [1]
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        text = await agent.error("TaskUpdate", "blocked", taskId=3, owner="backend")
        assert "#1" in text
        assert "#1" in await agent.error("TaskClaim", "blocked", taskId=3)
    for number in (2, 3):
        task = await world.get(number)
        assert (task.owner, task.status, task.version) == (None, Status.PENDING, 1)
    # Once the blocker is done, both faces take the task.
    architect = world.headers("architect")
    done = {"status": "completed", "outcome": "ok", "version": 1}
    ok(await client.patch(f"{TASKS}/1", json=done, headers=architect))
    assert ok(await _patch(client, world, 2))["task"]["owner"] == "backend"
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        taken = await agent.ok("TaskUpdate", taskId=3, owner="backend")
    assert taken["updatedFields"][:2] == ["owner", "status"]


async def test_a_task_that_is_not_pending_is_not_claimable_on_both_faces(
    client: httpx.AsyncClient, mcp_url: str, world: World
) -> None:
    await world.task("waiting on a person", tracker="backend")
    await world.task("also waiting", tracker="backend")
    for number in (1, 2):
        block = {"status": "blocked", "blocked_reason": "needs a decision", "version": 1}
        ok(await client.patch(f"{TASKS}/{number}", json=block, headers=world.headers()))
    rest = await client.patch(
        f"{TASKS}/1", json={"owner": "backend", "version": 2}, headers=world.headers("backend")
    )
    assert refused(rest, 409) == "not-claimable"
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        await agent.error("TaskUpdate", "not-claimable", taskId=2, owner="backend")
    for number in (1, 2):
        task = await world.get(number)
        assert (task.owner, task.status, task.version) == (None, Status.BLOCKED, 2)
