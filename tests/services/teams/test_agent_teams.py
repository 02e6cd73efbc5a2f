"""Claude Code's agent-teams semantics: owner=self is a claim, "*" finds the sender's team,
a local agent acts for a roster agent without a token."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, Conflict, DomainError, Invalid, NotFound, unit_of_work
from crewboard.services.tasks import Applied, Status, TaskChange, Tasks
from crewboard.services.teams import local_agent, sender_team, update_task
from tests.support.factory import Factory
from tests.support.services import claimed, teams
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def _update(world: World, agent: str, number: int, change: TaskChange) -> Applied:
    async with unit_of_work(world.database, write=True) as session:
        tasks = Tasks(session, world.settings)
        return await update_task(tasks, world.actors[agent], SLUG, number, change)


async def test_naming_oneself_owner_of_an_unowned_task_is_a_claim(world: World) -> None:
    task = await world.task("Add the orders table", tracker="backend")
    result = await _update(
        world, "backend", task.number, TaskChange(owner="backend", description="with indexes")
    )
    assert result.status_change == (Status.PENDING, Status.IN_PROGRESS)
    assert result.updated_fields[:2] == ["owner", "status"]
    assert "description" in result.updated_fields
    now = await world.get(task.number)
    assert (now.owner, now.status, now.description) == ("backend", "in_progress", "with indexes")
    assert now.lease_expires_at is not None


async def test_a_task_someone_else_holds_is_not_taken(world: World) -> None:
    task = await claimed(world, "Held", "frontend")
    with pytest.raises(DomainError):
        await _update(world, "backend", task.number, TaskChange(owner="backend"))
    now = await world.get(task.number)
    assert (now.owner, now.version) == ("frontend", task.version)


async def test_a_blocked_task_cannot_be_claimed_by_naming_oneself(world: World) -> None:
    first = await world.task("First")
    second = await world.task("Second", blocked_by=[first.number])
    with pytest.raises(Conflict) as refused:
        await _update(world, "backend", second.number, TaskChange(owner="backend"))
    assert refused.value.detail_code == "blocked"
    assert (await world.get(second.number)).owner is None


async def test_other_updates_go_through_the_ordinary_flow(world: World) -> None:
    task = await claimed(world, "Mine", "backend")
    result = await _update(world, "backend", task.number, TaskChange(title="Mine, renamed"))
    assert result.updated_fields == ["title"]
    assert result.status_change is None
    assert (await world.get(task.number)).title == "Mine, renamed"


async def _sender_team(world: World, agent: str, team: str | None = None) -> str:
    async with unit_of_work(world.database, write=False) as session:
        return await sender_team(session, world.actors[agent], SLUG, team)


async def test_a_broadcast_goes_to_the_senders_only_team(world: World) -> None:
    with pytest.raises(Invalid, match="on no team"):
        await _sender_team(world, "qa")
    await teams(world, "create", name="web", members=["qa", "frontend"])
    assert await _sender_team(world, "qa") == "web"
    await teams(world, "create", name="api", members=["qa"])
    with pytest.raises(Invalid, match="several teams"):
        await _sender_team(world, "qa")
    assert await _sender_team(world, "qa", "api") == "api"


async def _local(world: World, slug: str, agent: str) -> Actor:
    async with unit_of_work(world.database, write=False) as session:
        return await local_agent(session, slug, agent)


async def test_a_local_agent_acts_for_the_roster_agent_on_the_owners_behalf(
    world: World,
) -> None:
    actor = await _local(world, SLUG, "backend")
    token_actor = world.actors["backend"]
    assert (actor.user_id, actor.label, actor.agent_name) == (
        world.lead.user_id,
        "backend (local)",
        "backend",
    )
    assert (actor.project_id, actor.project_slug) == (token_actor.project_id, SLUG)
    # It can do what the agent's token can: claim a task of its tracker.
    task = await world.task("Local work", tracker="backend")
    async with unit_of_work(world.database, write=True) as session:
        taken = await Tasks(session, world.settings).claim(actor, SLUG, task.number)
    assert taken.task.owner == "backend"
    with pytest.raises(NotFound):
        await _local(world, SLUG, "ghost")
    with pytest.raises(NotFound):
        await _local(world, "nowhere", "backend")
