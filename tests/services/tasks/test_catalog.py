"""TaskCatalog (through Tasks): creating tasks, listing them (filters, ready queue, cursors)
and the change marker behind the list's ETag."""

from __future__ import annotations

import asyncio

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import (
    Actor,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    encode_key,
    unit_of_work,
)
from crewboard.services.projects import Role
from crewboard.services.tasks import Status, TaskChange, TaskFilter, Tasks
from tests.support.factory import Factory
from tests.support.world import SLUG, World, actor_for, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def _page(
    world: World,
    filters: TaskFilter,
    *,
    actor: Actor | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[int]:
    async with unit_of_work(world.database, write=False) as session:
        page = await Tasks(session, world.settings).list(
            actor or world.lead, SLUG, filters, cursor=cursor, limit=limit
        )
    return Page([t.number for t in page.items], page.next_cursor)


async def _numbers(world: World, **filters: object) -> list[int]:
    return (await _page(world, TaskFilter(**filters))).items  # type: ignore[arg-type]


async def _change(world: World, actor: Actor, number: int, **change: object) -> None:
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).update(
            actor,
            SLUG,
            number,
            TaskChange(**change),  # type: ignore[arg-type]
        )


async def _marker(world: World, actor: Actor | None = None, slug: str = SLUG) -> int:
    async with unit_of_work(world.database, write=False) as session:
        return await Tasks(session, world.settings).change_marker(actor or world.lead, slug)


async def test_create_numbers_tasks_per_project(world: World, factory: Factory) -> None:
    first = await world.task("one", tracker="backend", priority=0, metadata={"k": "v"})
    assert (first.number, first.status, first.owner, first.version) == (1, "pending", None, 1)
    assert (first.tracker, first.priority, first.meta, first.files) == (
        "backend",
        0,
        {"k": "v"},
        [],
    )
    assert first.created_by == "lead@example.com"
    assert (await world.task("two")).number == 2
    assert world.lead.user_id is not None
    await factory.project("other", world.lead.user_id)
    async with unit_of_work(world.database, write=True) as session:
        elsewhere = await Tasks(session, world.settings).create(world.lead, "other", title="x")
    assert elsewhere.task.number == 1
    async with unit_of_work(world.database, write=True) as session:
        by_agent = await Tasks(session, world.settings).create(
            world.lead, SLUG, title="for qa", as_agent="qa"
        )
    assert by_agent.task.created_by == "qa"


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"title": "   "}, Invalid, "title"),
        ({"title": "two\nlines"}, Invalid, "title"),
        ({"priority": 4}, Invalid, "priority"),
        ({"tracker": "ghost"}, NotFound, "tracker"),
        ({"blocked_by": [1, 9]}, NotFound, "blocked_by"),
        ({"metadata": {"": 1}}, Invalid, "metadata"),
        ({"metadata": {f"k{i}": i for i in range(51)}}, Invalid, "metadata"),
        ({"as_agent": "ghost"}, NotFound, "as_agent"),
    ],
)
async def test_a_bad_task_is_not_created(
    world: World, fields: dict[str, object], error: type[Exception], field: str
) -> None:
    await world.task("exists")
    rest = {k: v for k, v in fields.items() if k != "title"}
    with pytest.raises(error) as caught:
        await world.task(str(fields.get("title", "new")), **rest)
    assert getattr(caught.value, "details", {}).get("field") == field
    assert await _numbers(world) == [1]
    # The refused attempt did not use up a number.
    assert (await world.task("next")).number == 2


async def test_filters_combine(world: World) -> None:
    await world.task("a", tracker="backend", priority=1)
    await world.task("b", tracker="backend", priority=2)
    await world.task("c", tracker="qa", priority=1)
    await _change(world, world.lead, 2, owner="backend", status=Status.IN_PROGRESS)
    await _change(world, world.lead, 3, status=Status.CANCELLED)
    assert await _numbers(world, tracker="backend") == [1, 2]
    assert await _numbers(world, tracker="backend", priority=1) == [1]
    assert await _numbers(world, owner="backend", statuses=(Status.IN_PROGRESS,)) == [2]
    assert await _numbers(world, statuses=(Status.PENDING, Status.CANCELLED)) == [1, 3]
    assert await _numbers(world, statuses=(Status.COMPLETED,)) == []
    assert await _numbers(world, tracker="frontend") == []
    assert await _numbers(world, text="  A ") == [1]  # the needle is trimmed


async def test_the_ready_queue(world: World) -> None:
    await world.task("blocker that gets cancelled")
    await world.task("waits on #1", blocked_by=[1])
    await world.task("assigned but pending", priority=0)
    await world.task("waits on #5 and #1", blocked_by=[1])
    await world.task("blocker that gets completed", priority=3)
    await world.task("plain p1", priority=1)
    await _change(world, world.lead, 4, add_blocked_by=[5])
    await _change(world, world.lead, 3, owner="qa")
    assert (await world.get(3)).status == "pending"
    assert await _numbers(world, ready=True) == [6, 1, 5]
    await _change(world, world.lead, 1, status=Status.CANCELLED)
    # A cancelled blocker no longer holds anything back; #4 still waits on #5.
    assert await _numbers(world, ready=True) == [6, 2, 5]
    await _change(world, world.lead, 5, status=Status.COMPLETED, outcome="done")
    assert await _numbers(world, ready=True) == [6, 2, 4]
    assert await _numbers(world, ready=True, tracker="backend") == []
    assert await _numbers(world, ready=True, priority=2) == [2, 4]
    assert await _numbers(world, ready=True, statuses=(Status.COMPLETED,)) == []


async def test_cursor_and_limit_checks(world: World) -> None:
    for i in range(3):
        await world.task(f"t{i}")
    first = await _page(world, TaskFilter(), limit=2)
    assert first.items == [1, 2]
    assert first.next_cursor is not None
    rest = await _page(world, TaskFilter(), cursor=first.next_cursor, limit=2)
    assert (rest.items, rest.next_cursor) == ([3], None)
    # A cursor past the end is an empty last page, not an error.
    assert (await _page(world, TaskFilter(), cursor=encode_key(3))).items == []
    assert (await _page(world, TaskFilter(ready=True), cursor=encode_key(3, 99))).items == []
    for limit in (0, 201):
        with pytest.raises(Invalid):
            await _page(world, TaskFilter(), limit=limit)
    for cursor, ready in (("###", False), (encode_key(1), True), (encode_key(-1, 2), True)):
        with pytest.raises(Invalid) as caught:
            await _page(world, TaskFilter(ready=ready), cursor=cursor)
        assert caught.value.detail_code == "invalid-cursor"


async def test_bad_search_text_is_refused(world: World) -> None:
    for text in ("   ", "x" * 201, "tab\x00null"):
        with pytest.raises(Invalid) as caught:
            await _numbers(world, text=text)
        assert caught.value.details["field"] == "text"


async def test_who_may_list(world: World, factory: Factory, database: Database) -> None:
    await world.task("t")
    viewer_id = await factory.user("viewer@example.com")
    await factory.member(SLUG, "viewer@example.com", Role.VIEWER)
    viewer = await actor_for(database, world.settings, await factory.token(viewer_id))
    assert (await _page(world, TaskFilter(), actor=viewer)).items == [1]
    assert (await _page(world, TaskFilter(), actor=world.actors["qa"])).items == [1]
    outsider = await actor_for(
        database, world.settings, await factory.token(await factory.user("x@example.com"))
    )
    for actor in (outsider,):
        with pytest.raises(NotFound):
            await _page(world, TaskFilter(), actor=actor)
        with pytest.raises(NotFound):
            await _marker(world, actor)
    with pytest.raises(Forbidden):
        async with unit_of_work(database, write=True) as session:
            await Tasks(session, world.settings).create(viewer, SLUG, title="no")


async def test_the_change_marker_moves_with_the_project_only(
    world: World, factory: Factory
) -> None:
    empty = await _marker(world)
    await world.task("t")
    created = await _marker(world)
    assert created > empty
    assert await _marker(world, world.actors["qa"]) == created
    assert world.lead.user_id is not None
    await factory.project("other", world.lead.user_id)
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).create(world.lead, "other", title="far")
    assert await _marker(world) == created
    assert await _marker(world, slug="other") > created
    with pytest.raises(Invalid):
        await _change(world, world.lead, 1, priority=9)
    assert await _marker(world) == created
    await _change(world, world.lead, 1, priority=0)
    assert await _marker(world) > created


async def test_links_of_several_tasks_at_once(world: World) -> None:
    await world.task("root")
    await world.task("mid", blocked_by=[1])
    await world.task("leaf", blocked_by=[1, 2])
    await _change(world, world.lead, 1, status=Status.COMPLETED, outcome="ok")
    async with unit_of_work(world.database, write=False) as session:
        service = Tasks(session, world.settings)
        page = await service.list_views(world.lead, SLUG, TaskFilter())
        assert await service.store.views([]) == []
    by_number = {v.task.number: v for v in page.items}
    assert (by_number[1].blocked_by, by_number[1].blocks) == ([], [2, 3])
    assert (by_number[2].blocked_by, by_number[2].open_blockers, by_number[2].blocks) == (
        [1],
        [],
        [3],
    )
    assert (by_number[3].blocked_by, by_number[3].open_blockers) == ([1, 2], [2])
    assert {n: link.source for n, link in by_number.items()} == {1: None, 2: None, 3: None}


async def test_creators_at_once_never_share_a_number(world: World) -> None:
    """Numbers come from the project row's lock and the highest number, read in two
    statements on the driver; creators that race each get their own."""

    async def create(i: int) -> int:
        async with unit_of_work(world.database, write=True) as session:
            view = await Tasks(session, world.settings).create(
                world.actors["backend"], SLUG, title=f"racing {i}"
            )
            return view.task.number

    numbers = await asyncio.gather(*(create(i) for i in range(20)))
    assert sorted(numbers) == list(range(1, 21))
