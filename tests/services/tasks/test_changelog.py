"""ChangelogService: append-only entries by agents, linked to tasks, read oldest first."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, Forbidden, Invalid, NotFound, Page, unit_of_work
from crewboard.services.tasks import BODY_MAX, ChangelogDraft, ChangelogService, EntryView, Tasks
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.world import SLUG, World, actor_for, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


def _draft(title: str = "Fix", tasks: Sequence[int] = (), **parts: object) -> ChangelogDraft:
    fields: dict[str, object] = {
        "title": title,
        "problem": "it broke",
        "fix": "mended",
        "verification": "pytest",
        "task_numbers": tasks,
        **parts,
    }
    return ChangelogDraft(**fields)  # type: ignore[arg-type]


async def _append(
    world: World,
    actor: Actor,
    draft: ChangelogDraft,
    *,
    as_agent: str | None = None,
    slug: str = SLUG,
) -> EntryView:
    async with unit_of_work(world.database, write=True) as session:
        return await ChangelogService(session, world.settings).append(
            actor, slug, draft, as_agent=as_agent
        )


async def _list(
    world: World,
    *,
    actor: Actor | None = None,
    agent: str | None = None,
    task: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
    slug: str = SLUG,
) -> Page[EntryView]:
    async with unit_of_work(world.database, write=False) as session:
        return await ChangelogService(session, world.settings).list(
            actor or world.lead, slug, agent=agent, task_number=task, cursor=cursor, limit=limit
        )


async def _titles(world: World, **filters: object) -> list[str]:
    page = await _list(world, **filters)  # type: ignore[arg-type]
    return [view.entry.title for view in page.items]


async def test_an_entry_records_its_agent_and_tasks(world: World) -> None:
    for title in ("a", "b", "c"):
        await world.task(title)
    view = await _append(
        world,
        world.actors["backend"],
        _draft("  Login  ", [3, 1, 3], files=["x.py", "y.py", "x.py"], problem="  no login "),
    )
    entry = view.entry
    assert (entry.agent, entry.created_by) == ("backend", "backend (lead@example.com)")
    assert (entry.title, entry.problem, entry.fix, entry.verification) == (
        "Login",
        "no login",
        "mended",
        "pytest",
    )
    assert (entry.files, view.task_numbers) == (["x.py", "y.py"], [1, 3])
    [event] = await events(world.database, "changelog.appended")
    assert (event.subject, event.actor) == (f"changelog:{entry.id}", "backend (lead@example.com)")
    assert event.data == {"agent": "backend", "title": "Login", "tasks": [3, 1]}
    [listed] = (await _list(world)).items
    assert (listed.entry.id, listed.task_numbers) == (entry.id, [1, 3])


async def test_who_writes_an_entry(world: World, factory: Factory, database: Database) -> None:
    assert (await _append(world, world.lead, _draft(), as_agent="qa")).entry.agent == "qa"
    with pytest.raises(Invalid) as nameless:
        await _append(world, world.lead, _draft())
    assert nameless.value.details["field"] == "as_agent"
    with pytest.raises(NotFound):
        await _append(world, world.lead, _draft(), as_agent="ghost")
    with pytest.raises(Forbidden) as forged:
        await _append(world, world.actors["backend"], _draft(), as_agent="qa")
    assert forged.value.detail_code == "impersonation"
    outsider_id = await factory.user("x@example.com")
    outsider = await actor_for(database, world.settings, await factory.token(outsider_id))
    with pytest.raises(NotFound):
        await _append(world, outsider, _draft(), as_agent="qa")
    with pytest.raises(NotFound):
        await _list(world, actor=outsider)
    assert [v.entry.agent for v in (await _list(world)).items] == ["qa"]


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (_draft("two\nlines"), "title"),
        (_draft("x" * 301), "title"),
        (_draft(problem="x" * (BODY_MAX + 1)), "problem"),  # may be empty, not too long
        (_draft(fix=""), "fix"),
        (_draft(verification="\x00"), "verified"),
        (_draft(files=[f"f{i}" for i in range(101)]), "files"),
        (_draft(tasks=list(range(1, 52))), "task_ids"),
    ],
)
async def test_a_bad_entry_is_not_appended(world: World, draft: ChangelogDraft, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        await _append(world, world.actors["qa"], draft)
    assert caught.value.details["field"] == field
    assert (await _list(world)).items == []


async def test_unknown_tasks_append_nothing(world: World) -> None:
    await world.task("a")
    with pytest.raises(NotFound) as caught:
        await _append(world, world.actors["qa"], _draft(tasks=[1, 5, 4]))
    assert (caught.value.message, caught.value.details) == ("no task #4, #5", {"field": "task_ids"})
    assert (await _list(world)).items == []
    assert await events(world.database, "changelog.appended") == []


async def test_list_filters_pages_and_projects(world: World, factory: Factory) -> None:
    await world.task("a")
    await world.task("b")
    for title, agent, tasks in (
        ("one", "backend", [1]),
        ("two", "qa", [2]),
        ("three", "backend", [2, 1]),
        ("four", "qa", []),
    ):
        await _append(world, world.actors[agent], _draft(title, tasks))
    assert world.lead.user_id is not None
    await factory.project("other", world.lead.user_id)
    await factory.agent("other", "backend")
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).create(world.lead, "other", title="their #1")
    await _append(world, world.lead, _draft("elsewhere", [1]), as_agent="backend", slug="other")
    assert await _titles(world) == ["one", "two", "three", "four"]
    assert await _titles(world, agent="backend") == ["one", "three"]
    assert await _titles(world, task=1) == ["one", "three"]
    assert await _titles(world, task=2, agent="qa") == ["two"]
    assert await _titles(world, task=3) == []
    assert await _titles(world, slug="other") == ["elsewhere"]
    assert await _titles(world, slug="other", task=1) == ["elsewhere"]
    titles: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        page = await _list(world, cursor=cursor, limit=3)
        titles += [v.entry.title for v in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert titles == ["one", "two", "three", "four"]
    filtered = await _list(world, agent="backend", limit=1)
    assert filtered.next_cursor is not None
    rest = await _list(world, agent="backend", limit=1, cursor=filtered.next_cursor)
    assert ([v.entry.title for v in rest.items], rest.next_cursor) == (["three"], None)
    with pytest.raises(Invalid):
        await _list(world, cursor="garbage")


async def test_completing_a_task_appends_its_entry(world: World) -> None:
    await world.task("a", tracker="backend")
    await world.task("b")
    async with unit_of_work(world.database, write=True) as session:
        done = await Tasks(session, world.settings).complete(
            world.lead,
            SLUG,
            1,
            outcome="ok",
            files=["done.py"],
            as_agent="backend",
            changelog=_draft("Done", [2, 1]),
        )
    assert done.entry is not None
    assert (done.entry.task_numbers, done.entry.entry.files) == ([1, 2], ["done.py"])
    assert (done.entry.entry.agent, done.entry.entry.created_by) == ("backend", "lead@example.com")
    assert done.result.task.owner == "backend"
    # Its own files win over the completion's.
    await world.task("c", tracker="backend")
    async with unit_of_work(world.database, write=True) as session:
        other = await Tasks(session, world.settings).complete(
            world.actors["backend"],
            SLUG,
            3,
            outcome="ok",
            files=["task.py"],
            changelog=_draft("Own files", files=["entry.py"]),
        )
    assert other.entry is not None
    assert (other.entry.entry.files, other.entry.task_numbers) == (["entry.py"], [3])


async def test_a_failed_entry_undoes_the_completion(world: World) -> None:
    await world.task("a", tracker="backend")
    with pytest.raises(NotFound):
        async with unit_of_work(world.database, write=True) as session:
            await Tasks(session, world.settings).complete(
                world.actors["backend"], SLUG, 1, outcome="ok", changelog=_draft(tasks=[9])
            )
    task = await world.get(1)
    assert (task.status, task.outcome, task.version) == ("pending", None, 1)
    assert (await _list(world)).items == []
