"""TeamService: creating, reading, changing and deleting teams, and who may do which."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Conflict, Forbidden, Invalid, NotFound
from crewboard.services.teams import TeamView
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.services import claimed, people, teams
from tests.support.world import World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


def members(view: TeamView) -> list[str]:
    return [m.agent_name for m in view.members]


async def test_an_agent_creating_a_team_leads_it(world: World, database: Database) -> None:
    view = await teams(
        world,
        "create",
        name="checkout",
        description=" The checkout flow ",
        actor=world.actors["backend"],
    )
    assert (view.team.name, view.team.description, view.team.lead) == (
        "checkout",
        "The checkout flow",
        "backend",
    )
    assert members(view) == ["backend"]
    assert view.task_counts == {}
    (created,) = await events(database, "team.created")
    assert (created.subject, created.actor) == ("team:checkout", world.actors["backend"].label)
    assert created.data == {
        "description": "The checkout flow",
        "lead": "backend",
        "members": ["backend"],
    }


async def test_a_member_names_the_lead_and_the_members(world: World) -> None:
    view = await teams(
        world, "create", name="web", lead="frontend", members=["qa", "frontend", "qa", "reviewer"]
    )
    assert view.team.lead == "frontend"
    assert sorted(members(view)) == ["frontend", "qa", "reviewer"]
    bare = await teams(world, "create", name="bare")
    assert (bare.team.lead, members(bare)) == (None, [])


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"name": "Web"}, Invalid, "name"),
        ({"name": "-web"}, Invalid, "name"),
        ({"name": "w" * 65}, Invalid, "name"),
        ({"name": "web", "lead": "ghost"}, NotFound, "lead"),
        ({"name": "web", "members": ["qa", "ghost"]}, NotFound, "members"),
        ({"name": "web", "members": [f"a{i}" for i in range(51)]}, Invalid, "members"),
        ({"name": "web", "description": "x" * 2001}, Invalid, "description"),
        ({"name": "web", "description": "bell\x07"}, Invalid, "description"),
    ],
)
async def test_bad_teams_are_refused(
    world: World,
    database: Database,
    fields: dict[str, Any],
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as caught:
        await teams(world, "create", **fields)
    assert getattr(caught.value, "details", {}).get("field") == field
    assert (await teams(world, "list")).items == []
    assert await events(database, "team.created") == []


async def test_names_are_unique_among_live_teams(world: World) -> None:
    await teams(world, "create", name="web")
    with pytest.raises(Conflict) as caught:
        await teams(world, "create", name="web", actor=world.actors["qa"])
    assert caught.value.detail_code == "duplicate"
    await teams(world, "delete", "web")
    again = await teams(world, "create", name="web")  # a deleted team frees its name
    assert members(again) == []


async def test_two_creators_of_one_name_one_wins(world: World) -> None:
    async def create(agent: str) -> str:
        try:
            await teams(world, "create", name="race", actor=world.actors[agent])
        except Conflict as exc:
            return exc.detail_code
        return "created"

    results = await asyncio.gather(*(create(a) for a in ("backend", "qa", "frontend")))
    assert sorted(results) == ["created", "duplicate", "duplicate"]
    assert len((await teams(world, "list")).items) == 1


async def test_who_may_create(world: World, factory: Factory) -> None:
    crowd = await people(world, factory)
    for who in ("viewer", "read-only"):
        with pytest.raises(Forbidden):
            await teams(world, "create", name="nope", actor=crowd[who])
    with pytest.raises(Forbidden):  # an agent leads the teams it creates
        await teams(world, "create", name="nope", lead="qa", actor=world.actors["backend"])
    view = await teams(world, "create", name="yes", lead="qa", actor=crowd["member"])
    assert view.team.lead == "qa"
    assert (await teams(world, "list", actor=crowd["viewer"])).items[0].team.name == "yes"


async def test_list_pages_and_get(world: World) -> None:
    for name in ("a", "b", "c"):
        await teams(world, "create", name=name, actor=world.actors["qa"])
    await teams(world, "delete", "b")
    first = await teams(world, "list", limit=1)
    assert [v.team.name for v in first.items] == ["a"]
    rest = await teams(world, "list", cursor=first.next_cursor)
    assert ([v.team.name for v in rest.items], rest.next_cursor) == (["c"], None)
    await world.task("one", team="c")
    await world.task("two", team="c")
    shown = await teams(world, "get", "c")
    assert (shown.team.lead, members(shown), shown.task_counts) == ("qa", ["qa"], {"pending": 2})
    for name in ("b", "nosuch"):
        with pytest.raises(NotFound):
            await teams(world, "get", name)
    with pytest.raises(Invalid):
        await teams(world, "get", "Not A Name")


async def test_members_come_and_go(world: World, database: Database) -> None:
    await teams(world, "create", name="web", actor=world.actors["frontend"])
    lead = world.actors["frontend"]
    view = await teams(world, "add_members", "web", ["qa", "reviewer"], actor=lead)
    assert members(view) == ["frontend", "qa", "reviewer"]
    same = await teams(world, "add_members", "web", ["qa"], actor=lead)  # already on it
    assert members(same) == members(view)
    assert [e.data["agents"] for e in await events(database, "team.member_added")] == [
        ["qa", "reviewer"]
    ]
    view = await teams(world, "remove_member", "web", "qa", actor=lead)
    assert members(view) == ["frontend", "reviewer"]
    with pytest.raises(NotFound):
        await teams(world, "remove_member", "web", "qa", actor=lead)
    with pytest.raises(NotFound) as caught:
        await teams(world, "add_members", "web", ["ghost"], actor=lead)
    assert caught.value.details["field"] == "agents"
    with pytest.raises(Invalid):
        await teams(world, "add_members", "web", [], actor=lead)


async def test_agents_join_and_leave_by_themselves_only(world: World, factory: Factory) -> None:
    await teams(world, "create", name="web", actor=world.actors["frontend"])
    qa, backend = world.actors["qa"], world.actors["backend"]
    assert members(await teams(world, "add_members", "web", ["qa"], actor=qa))[-1] == "qa"
    for call in (("add_members", "web", ["backend", "qa"]), ("remove_member", "web", "qa")):
        with pytest.raises(Forbidden):
            await teams(world, *call, actor=backend)
    viewer = (await people(world, factory))["viewer"]
    with pytest.raises(Forbidden):
        await teams(world, "add_members", "web", ["qa"], actor=viewer)
    assert members(await teams(world, "remove_member", "web", "qa", actor=qa)) == ["frontend"]


async def test_a_lead_leaving_steps_down(world: World, database: Database) -> None:
    await teams(world, "create", name="web", actor=world.actors["frontend"])
    view = await teams(world, "remove_member", "web", "frontend", actor=world.actors["frontend"])
    assert (view.team.lead, members(view)) == (None, [])
    (left,) = await events(database, "team.member_removed")
    assert left.data == {"agent": "frontend", "was_lead": True}


async def test_update_description_and_lead(world: World, database: Database) -> None:
    await teams(world, "create", name="web", actor=world.actors["frontend"])
    lead = world.actors["frontend"]
    view = await teams(world, "update", "web", description="Pages", lead="qa", actor=lead)
    assert (view.team.description, view.team.lead, members(view)) == (
        "Pages",
        "qa",
        ["frontend", "qa"],
    )
    with pytest.raises(Forbidden):  # no longer the lead
        await teams(world, "update", "web", description="Mine", actor=lead)
    view = await teams(world, "update", "web", clear_lead=True)
    assert view.team.lead is None
    with pytest.raises(NotFound):
        await teams(world, "update", "web", lead="ghost")
    unchanged = await teams(world, "update", "web", description="Pages")
    assert unchanged.team.description == "Pages"
    changes = [e.data["changes"] for e in await events(database, "team.updated")]
    assert changes == [
        {"description": ["", "Pages"], "lead": ["frontend", "qa"]},
        {"lead": ["qa", None]},
    ]


async def test_a_team_is_deleted_and_its_tasks_leave_it(world: World, database: Database) -> None:
    await teams(world, "create", name="web", actor=world.actors["frontend"])
    await world.task("pending one", team="web")
    await world.task("elsewhere")
    before = await world.get(1)
    done = await teams(world, "delete", "web", actor=world.actors["frontend"])
    assert (done.released, done.detached) == ([], 1)
    after = await world.get(1)
    assert (after.team_id, after.version, after.status) == (None, before.version + 1, "pending")
    (left,) = [e for e in await events(database, "task.updated") if e.subject == "task:1"]
    assert left.data == {"changes": {"team": ["web", None]}, "reason": "team web deleted"}
    (deleted,) = await events(database, "team.deleted")
    assert deleted.data == {"force": False, "released": [], "detached": 1}
    assert (await teams(world, "list")).items == []
    with pytest.raises(NotFound):
        await teams(world, "delete", "web")


async def test_deleting_a_busy_team_needs_force(world: World, factory: Factory) -> None:
    await teams(world, "create", name="web", members=["qa", "backend"])
    await claimed(world, "qa works on it", "qa", team="web")
    await claimed(world, "an outsider works on it", "reviewer", team="web")
    await claimed(world, "qa's other work", "qa")
    await world.task("waiting", team="web")
    with pytest.raises(Conflict) as caught:
        await teams(world, "delete", "web")
    assert (caught.value.detail_code, caught.value.details["tasks"]) == ("team-busy", [1])
    assert "#1 (qa)" in caught.value.message
    await teams(world, "update", "web", lead="backend")
    with pytest.raises(Forbidden):  # the lead may delete an idle team, not force a busy one
        await teams(world, "delete", "web", force=True, actor=world.actors["backend"])
    member = (await people(world, factory))["member"]
    done = await teams(world, "delete", "web", force=True, actor=member)
    assert (done.released, done.detached) == ([1], 3)
    released = await world.get(1)
    assert (released.status, released.owner, released.team_id) == ("pending", None, None)
    assert released.lease_expires_at is None
    outsider = await world.get(2)  # not a member's: keeps going, off the team
    assert (outsider.status, outsider.owner, outsider.team_id) == ("in_progress", "reviewer", None)
    assert (await world.get(3)).owner == "qa"


async def test_a_forced_release_says_why(world: World, database: Database) -> None:
    await teams(world, "create", name="web", actor=world.actors["qa"])
    await claimed(world, "qa works on it", "qa", team="web")
    await teams(world, "delete", "web", force=True)
    (release,) = [e for e in await events(database, "task.updated") if e.subject == "task:1"]
    assert release.data["reason"] == "team web deleted"
    assert release.data["changes"]["status"] == ["in_progress", "pending"]
    assert release.data["changes"]["owner"] == ["qa", None]
    assert release.data["changes"]["team"] == ["web", None]
    (deleted,) = await events(database, "team.deleted")
    assert deleted.data == {"force": True, "released": [1], "detached": 1}
