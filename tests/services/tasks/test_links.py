"""TaskLinksService: dependencies added and removed, follow-ups, and a task's history."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Event
from crewboard.models.tasks import Task
from crewboard.services.core import (
    Actor,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    unit_of_work,
)
from crewboard.services.projects import Role
from crewboard.services.tasks import Status, TaskChange, Tasks, TaskView
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.world import SLUG, World, actor_for, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def _add(world: World, actor: Actor, number: int, blocked_by: list[int]) -> Task:
    async with unit_of_work(world.database, write=True) as session:
        view = await Tasks(session, world.settings).add_blockers(actor, SLUG, number, blocked_by)
        return view.task


async def _remove(world: World, actor: Actor, number: int, blocker: int) -> Task:
    async with unit_of_work(world.database, write=True) as session:
        view = await Tasks(session, world.settings).remove_blocker(actor, SLUG, number, blocker)
        return view.task


async def _links(world: World, number: int) -> TaskView:
    async with unit_of_work(world.database, write=False) as session:
        return await Tasks(session, world.settings).get(world.lead, SLUG, number)


async def _history(
    world: World, number: int, *, slug: str = SLUG, cursor: str | None = None, limit: int = 50
) -> Page[Event]:
    async with unit_of_work(world.database, write=False) as session:
        return await Tasks(session, world.settings).history(
            world.lead, slug, number, cursor=cursor, limit=limit
        )


async def test_blockers_are_added_once_with_one_event(world: World) -> None:
    for title in ("a", "b", "c"):
        await world.task(title)
    task = await _add(world, world.lead, 3, [2, 1, 2])
    assert task.version == 2
    assert (await _links(world, 3)).blocked_by == [1, 2]
    [event] = await events(world.database, "task.dependencies_added")
    assert (event.subject, event.data, event.actor) == (
        "task:3",
        {"blocked_by": [2, 1]},
        "lead@example.com",
    )
    # Adding what is already there changes nothing: no new version, no event.
    again = await _add(world, world.lead, 3, [1])
    assert again.version == 2
    assert len(await events(world.database, "task.dependencies_added")) == 1


async def test_a_cycle_anywhere_in_the_call_adds_nothing(world: World) -> None:
    for title in ("a", "b", "c", "d"):
        await world.task(title)
    await _add(world, world.lead, 2, [1])
    await _add(world, world.lead, 3, [2])
    with pytest.raises(Conflict) as caught:
        await _add(world, world.lead, 1, [4, 3])  # #4 is fine, #3 closes 1 -> 3 -> 2 -> 1
    assert caught.value.detail_code == "dependency-cycle"
    assert (await _links(world, 1)).blocked_by == []
    assert (await world.get(1)).version == 1
    with pytest.raises(Invalid) as itself:
        await _add(world, world.lead, 4, [4])
    assert itself.value.detail_code == "dependency-cycle"
    with pytest.raises(Invalid):
        await _add(world, world.lead, 4, list(range(1, 52)))
    with pytest.raises(NotFound):
        await _add(world, world.lead, 4, [1, 77])
    assert (await _links(world, 4)).blocked_by == []


async def test_only_those_who_may_change_the_task_link_it(world: World) -> None:
    await world.task("on backend", tracker="backend")
    await world.task("on qa", tracker="qa")
    with pytest.raises(Forbidden):
        await _add(world, world.actors["qa"], 1, [2])
    await _add(world, world.actors["backend"], 1, [2])
    with pytest.raises(Forbidden):
        await _remove(world, world.actors["qa"], 1, 2)
    assert (await _links(world, 1)).blocked_by == [2]


async def test_remove_a_blocker(world: World) -> None:
    for title in ("a", "b", "c"):
        await world.task(title)
    await _add(world, world.lead, 3, [1, 2])
    task = await _remove(world, world.lead, 3, 1)
    assert task.version == 3
    assert (await _links(world, 3)).blocked_by == [2]
    assert (await _links(world, 1)).blocks == []
    [event] = await events(world.database, "task.dependency_removed")
    assert (event.subject, event.data) == ("task:3", {"blocked_by": 1})
    for number, blocker in ((3, 1), (2, 1), (3, 99), (99, 1)):
        with pytest.raises(NotFound):
            await _remove(world, world.lead, number, blocker)
    assert (await world.get(3)).version == 3


async def test_follow_ups(world: World, factory: Factory, database: Database) -> None:
    await world.task("API", tracker="backend")
    async with unit_of_work(database, write=True) as session:
        service = Tasks(session, world.settings)
        made_first = await service.follow_up(
            world.actors["backend"],
            SLUG,
            1,
            tracker="frontend",
            title="Use it",
            priority=0,
            description="the new endpoint",
        )
        made_second = await service.follow_up(
            world.lead, SLUG, 1, tracker="qa", title="Test it", as_agent="reviewer"
        )
        made_nested = await service.follow_up(world.lead, SLUG, 2, tracker="qa", title="And the UI")
    first, second, nested = made_first.task, made_second.task, made_nested.task
    assert (first.number, first.tracker, first.priority, first.description) == (
        2,
        "frontend",
        0,
        "the new endpoint",
    )
    assert (first.created_by, second.created_by, nested.created_by) == (
        "backend",
        "reviewer",
        "lead@example.com",
    )
    async with unit_of_work(database, write=False) as session:
        service = Tasks(session, world.settings)
        assert [v.task.number for v in await service.follow_ups(world.lead, SLUG, 1)] == [2, 3]
        assert [v.task.number for v in await service.follow_ups(world.lead, SLUG, 2)] == [4]
        assert await service.follow_ups(world.lead, SLUG, 4) == []
    assert ((await _links(world, 2)).source, (await _links(world, 4)).source) == (1, 2)
    [created] = [e for e in await events(database, "task.created") if e.subject == "task:2"]
    assert created.data["source"] == 1
    viewer_id = await factory.user("viewer@example.com")
    await factory.member(SLUG, "viewer@example.com", Role.VIEWER)
    viewer = await actor_for(database, world.settings, await factory.token(viewer_id))
    for actor, number, tracker, error in (
        (world.lead, 9, "qa", NotFound),
        (world.lead, 1, "ghost", NotFound),
        (viewer, 1, "qa", Forbidden),
    ):
        with pytest.raises(error):
            async with unit_of_work(database, write=True) as session:
                await Tasks(session, world.settings).follow_up(
                    actor, SLUG, number, tracker=tracker, title="no"
                )
    assert (await world.task("next")).number == 5


async def test_history_pages_and_stays_in_its_project(world: World, factory: Factory) -> None:
    await world.task("h", tracker="backend")
    backend = world.actors["backend"]
    for change in (
        TaskChange(status=Status.IN_PROGRESS),
        TaskChange(active_form="Working"),
        TaskChange(status=Status.COMPLETED, outcome="done"),
    ):
        async with unit_of_work(world.database, write=True) as session:
            await Tasks(session, world.settings).update(backend, SLUG, 1, change)
    assert world.lead.user_id is not None
    await factory.project("other", world.lead.user_id)
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).create(world.lead, "other", title="also #1")
    seen: list[Event] = []
    cursor: str | None = None
    while True:
        page = await _history(world, 1, cursor=cursor, limit=3)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [e.kind for e in seen] == ["task.created"] + ["task.updated"] * 3
    assert [e.data["changes"] for e in seen[2:]] == [
        {"activeForm": [None, "Working"]},
        {"status": ["in_progress", "completed"], "outcome": [None, "done"]},
    ]
    assert [e.kind for e in (await _history(world, 1, slug="other")).items] == ["task.created"]
    with pytest.raises(NotFound):
        await _history(world, 2)
    with pytest.raises(Invalid):
        await _history(world, 1, cursor="garbage")
    with pytest.raises(Invalid):
        await _history(world, 1, limit=0)
