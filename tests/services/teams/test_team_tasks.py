"""A team's shared task list: the team of a task, the list and ready queue per team, claiming
the next task of a team; and the roster taking an agent off its teams."""

from __future__ import annotations

import asyncio

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.tasks import Task
from crewboard.services.core import Forbidden, Invalid, NotFound, unit_of_work
from crewboard.services.projects import RosterService
from crewboard.services.tasks import ClaimScope, Status, TaskChange, TaskFilter, Tasks, TaskView
from tests.support.database import events
from tests.support.factory import SYSTEM, Factory
from tests.support.services import claimed, tasks, teams
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    world = await build_world(factory, database, settings)
    await teams(world, "create", name="web", members=["frontend", "qa"])
    await teams(world, "create", name="api", members=["backend"])
    return world


async def _numbers(world: World, **filters: object) -> list[int]:
    page = await tasks(world, "list", TaskFilter(**filters))  # type: ignore[arg-type]
    return [t.number for t in page.items]


async def _team_of(world: World, number: int) -> str | None:
    async with unit_of_work(world.database, write=False) as session:
        return (await Tasks(session, world.settings).get(world.lead, SLUG, number)).team


async def test_a_task_is_created_in_a_team(world: World, database: Database) -> None:
    task = await world.task("Checkout page", team="web", tracker="frontend")
    assert task.team_id is not None
    assert await _team_of(world, task.number) == "web"
    assert await _team_of(world, (await world.task("no team")).number) is None
    (created, _) = await events(database, "task.created")
    assert created.data["team"] == "web"


@pytest.mark.parametrize("team", ["ghost", "deleted", "Web"])
async def test_only_a_live_team_of_the_project_is_accepted(world: World, team: str) -> None:
    await teams(world, "create", name="deleted")
    await teams(world, "delete", "deleted")
    with pytest.raises(Invalid) as caught:
        await world.task("x", team=team)
    assert caught.value.details["field"] == "team"
    assert await _numbers(world) == []


async def test_a_task_moves_between_teams(world: World, database: Database) -> None:
    await world.task("Login", team="web")
    result = await tasks(world, "update", 1, TaskChange(team="api"), version=1)
    assert (result.updated_fields, await _team_of(world, 1)) == (["team"], "api")
    await tasks(world, "update", 1, TaskChange(clear_team=True))
    assert await _team_of(world, 1) is None
    with pytest.raises(Invalid):
        await tasks(world, "update", 1, TaskChange(team="ghost"))
    changes = [e.data["changes"] for e in await events(database, "task.updated")]
    assert changes == [{"team": ["web", "api"]}, {"team": ["api", None]}]


async def test_an_agent_moves_only_tasks_it_may_change(world: World) -> None:
    await world.task("on qa's tracker", tracker="qa")
    with pytest.raises(Forbidden):
        await tasks(world, "update", 1, TaskChange(team="web"), actor=world.actors["backend"])
    await tasks(world, "update", 1, TaskChange(team="web"), actor=world.actors["qa"])
    assert await _team_of(world, 1) == "web"


async def test_the_team_filter_and_the_ready_queue_per_team(world: World) -> None:
    await world.task("web, P2", team="web")
    await world.task("api, P0", team="api", priority=0)
    await world.task("web, P1, on qa", team="web", tracker="qa", priority=1)
    await world.task("web, waits on #1", team="web", blocked_by=[1])
    await world.task("no team, P0", priority=0)
    assert await _numbers(world, team="web") == [1, 3, 4]
    assert await _numbers(world, team="web", tracker="qa") == [3]
    assert await _numbers(world, team="web", ready=True) == [3, 1]
    assert await _numbers(world, team="api", ready=True) == [2]
    await teams(world, "create", name="empty")
    assert await _numbers(world, team="empty") == []
    with pytest.raises(Invalid) as caught:
        await _numbers(world, team="ghost")
    assert caught.value.details["field"] == "team"


async def test_claim_next_per_team(world: World) -> None:
    await world.task("api, P0", team="api", priority=0)
    await world.task("web, P2, on qa", team="web", tracker="qa")
    await world.task("web, P1, on frontend", team="web", tracker="frontend", priority=1)
    await world.task("no team, P0", priority=0)
    scope = ClaimScope(team="web")
    # Any tracker of the team's list, by priority then age (not only the claimer's own).
    first = (await tasks(world, "claim_next", scope, actor=world.actors["qa"])).task
    second = (await tasks(world, "claim_next", scope, actor=world.actors["qa"])).task
    assert [(first.number, first.owner), (second.number, second.owner)] == [(3, "qa"), (2, "qa")]
    with pytest.raises(NotFound) as caught:
        await tasks(world, "claim_next", scope, actor=world.actors["qa"])
    assert caught.value.detail_code == "nothing-ready"
    with pytest.raises(Invalid) as invalid:
        await tasks(world, "claim_next", ClaimScope(team="ghost"), actor=world.actors["qa"])
    assert invalid.value.details["field"] == "team"
    assert (await world.get(1)).owner is None


@pytest.mark.parametrize("scope", [{"tracker": "qa"}, {"shared_only": True}, {"anywhere": True}])
def test_a_team_scope_goes_alone(scope: dict[str, object]) -> None:
    with pytest.raises(Invalid) as caught:
        ClaimScope(team="web", **scope)  # type: ignore[arg-type]
    assert caught.value.details["field"] == "team"


async def test_concurrent_claims_of_one_team_take_different_tasks(world: World) -> None:
    for i in range(6):
        await world.task(f"web {i}", team="web")
    await world.task("api", team="api")

    async def claim(agent: str) -> Task:
        result: TaskView = await tasks(
            world, "claim_next", ClaimScope(team="web"), actor=world.actors[agent]
        )
        return result.task

    agents = ("frontend", "qa", "backend", "reviewer", "architect", "domain-expert")
    won = await asyncio.gather(*(claim(a) for a in agents))
    assert sorted(t.number for t in won) == [1, 2, 3, 4, 5, 6]
    assert (await world.get(7)).owner is None


async def test_leaving_the_roster_leaves_every_team(world: World, database: Database) -> None:
    await teams(world, "update", "web", lead="qa")
    await teams(world, "add_members", "api", ["qa"])
    held = await claimed(world, "qa's team task", "qa", team="web")
    async with unit_of_work(database, write=True) as session:
        await RosterService(session).remove(SYSTEM, SLUG, "qa")
    web, api = [await teams(world, "get", name) for name in ("web", "api")]
    assert ([m.agent_name for m in web.members], web.team.lead) == (["frontend"], None)
    assert [m.agent_name for m in api.members] == ["backend"]
    removed = await events(database, "team.member_removed")
    assert sorted((e.subject, e.data["was_lead"]) for e in removed) == [
        ("team:api", False),
        ("team:web", True),
    ]
    assert {e.data["reason"] for e in removed} == {"left the roster"}
    # Its task is still on the team's list (the lease hands it back in time).
    assert (await world.get(held.number)).status == Status.IN_PROGRESS
    # Back on the roster later, it starts on no team.
    await Factory(database, world.settings).agent(SLUG, "qa")
    assert [m.agent_name for m in (await teams(world, "get", "web")).members] == ["frontend"]
