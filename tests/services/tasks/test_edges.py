"""Edges: every dependency edge passes the waiting task's permission rule, from either
side, and records an event on both tasks."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, Forbidden, unit_of_work
from crewboard.services.tasks import TaskChange, Tasks
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def _update(world: World, actor: Actor, number: int, change: TaskChange) -> None:
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).update(actor, SLUG, number, change)


async def _kinds(world: World, subject: str) -> list[str]:
    return [e.kind for e in await events(world.database) if e.subject == subject]


async def test_blocks_on_a_task_not_mine_is_refused_like_blocked_by(world: World) -> None:
    """The side door: qa makes its own task block backend's; the same edge added from
    backend's side (``blocked_by``) is refused, so this must be too, and change nothing."""
    await world.task("backend's", tracker="backend")
    await world.task("qa's", tracker="qa")
    qa = world.actors["qa"]
    with pytest.raises(Forbidden, match="#1 is on backend's tracker"):
        await _update(world, qa, 2, TaskChange(add_blocks=[1]))
    with pytest.raises(Forbidden):
        await _update(world, qa, 1, TaskChange(add_blocked_by=[2]))
    async with unit_of_work(world.database, write=False) as session:
        tasks = Tasks(session, world.settings)
        assert (await tasks.get(world.lead, SLUG, 1)).blocked_by == []
        assert (await tasks.get(world.lead, SLUG, 2)).blocks == []
    assert ((await world.get(1)).version, (await world.get(2)).version) == (1, 1)
    assert await _kinds(world, "task:1") == ["task.created"]


async def test_each_end_of_an_edge_records_it(world: World) -> None:
    for title in ("a", "b", "c"):
        await world.task(title, tracker="backend")
    backend = world.actors["backend"]
    await _update(world, backend, 2, TaskChange(add_blocked_by=[1], add_blocks=[3]))
    # #3 now waits on #2: its state changed, so its version moved and it says why.
    assert [(await world.get(n)).version for n in (1, 2, 3)] == [1, 2, 2]
    assert await _kinds(world, "task:1") == ["task.created", "task.dependents_added"]
    assert await _kinds(world, "task:3") == ["task.created", "task.dependencies_added"]
    kinds = {"task.dependents_added", "task.dependencies_added", "task.updated"}
    by_subject = {e.subject: e.data for e in await events(world.database) if e.kind in kinds}
    assert by_subject["task:1"] == {"blocks": [2]}
    assert by_subject["task:3"] == {"blocked_by": [2]}
    assert by_subject["task:2"]["added_blocks"] == [3]
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).remove_blocker(backend, SLUG, 2, 1)
    [removed] = await events(world.database, "task.dependent_removed")
    assert (removed.subject, removed.data) == ("task:1", {"blocks": 2})
    # A new task waiting on others tells each of them.
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).create(backend, SLUG, title="d", blocked_by=[1, 3])
    added = await events(world.database, "task.dependents_added")
    assert [(e.subject, e.data) for e in added[1:]] == [
        ("task:1", {"blocks": [4]}),
        ("task:3", {"blocks": [4]}),
    ]


async def test_a_member_links_any_task(world: World) -> None:
    await world.task("backend's", tracker="backend")
    await world.task("qa's", tracker="qa")
    await _update(world, world.lead, 2, TaskChange(add_blocks=[1]))
    assert (await world.get(1)).version == 2
