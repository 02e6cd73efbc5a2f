"""TaskStore: a task's view (its links both ways, source and team) in a bounded number of
queries, looked up only where the tasks have them; and the open blockers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Status, TaskChange, Tasks, TaskStore
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    """The statements the engine of read units of work is sent while the block runs."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = database.reader.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_views_cost_one_query_unless_a_task_has_a_source_or_team(world: World) -> None:
    await world.task("root")
    await world.task("leaf", blocked_by=[1])
    async with unit_of_work(world.database, write=True) as session:
        tasks = Tasks(session, world.settings)
        await tasks.follow_up(world.lead, SLUG, 1, tracker="qa", title="check it")
    async with unit_of_work(world.database, write=False) as session:
        store = TaskStore(session, world.settings)
        access = await store.projects.access(world.lead, SLUG)
        root, leaf, follow = [await store.load(access, n) for n in (1, 2, 3)]
        with counted(world.database) as plain:
            views = await store.views([root, leaf])
        with counted(world.database) as sourced:
            (followed,) = await store.views([follow])
        with counted(world.database) as nothing:
            assert await store.views([]) == []
    assert [(v.blocked_by, v.open_blockers, v.blocks) for v in views] == [
        ([], [], [2]),
        ([1], [1], []),
    ]
    assert (followed.source, followed.team) == (1, None)
    assert (len(plain), len(sourced), len(nothing)) == (1, 2, 0)


async def test_a_new_task_s_view_is_known_without_a_query(world: World) -> None:
    await world.task("first")
    await world.task("second")
    await world.task("done")
    async with unit_of_work(world.database, write=True) as session:
        tasks = Tasks(session, world.settings)
        await tasks.update(world.lead, SLUG, 3, TaskChange(status=Status.COMPLETED, outcome="ok"))
        made = await tasks.create(world.lead, SLUG, title="waits", blocked_by=[3, 1, 1])
        stored = await tasks.store.view(made.task)
    assert made == stored
    assert (made.blocked_by, made.open_blockers, made.blocks, made.source) == (
        [1, 3],
        [1],
        [],
        None,
    )


async def test_open_blockers(world: World) -> None:
    await world.task("a")
    await world.task("b")
    await world.task("c", blocked_by=[2, 1])
    async with unit_of_work(world.database, write=True) as session:
        tasks = Tasks(session, world.settings)
        await tasks.update(world.lead, SLUG, 2, TaskChange(status=Status.CANCELLED))
        access = await tasks.projects.access(world.lead, SLUG)
        waiting = await tasks.store.load(access, 3)
        assert await tasks.store.open_blockers(waiting) == [1]
