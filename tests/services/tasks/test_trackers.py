"""TrackerService: what the tracker and changelog files show, loaded from the database."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, Invalid, NotFound, unit_of_work
from crewboard.services.markdown import ChangelogDoc, TrackerDoc, parse_changelog, parse_tracker
from crewboard.services.projects import Role
from crewboard.services.tasks import ChangelogDraft, ChangelogService, Tasks, TrackerService
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world, person


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def _tracker(world: World, actor: Actor, agent: str | None, **kw: int) -> TrackerDoc:
    async with unit_of_work(world.database, write=False) as session:
        return await TrackerService(session, world.settings).tracker(actor, SLUG, agent, **kw)


async def _changelog(world: World, actor: Actor) -> ChangelogDoc:
    async with unit_of_work(world.database, write=False) as session:
        return await TrackerService(session, world.settings).changelog(actor, SLUG)


async def test_a_tracker_shows_its_tasks_and_the_shared_ones_its_agent_holds(
    world: World,
) -> None:
    lead = world.lead
    await world.task("Orders table", tracker="backend", priority=0)  # 1
    await world.task("Orders API", tracker="backend", priority=1, blocked_by=[1])  # 2
    await world.task("Shared work")  # 3
    await world.task("Not mine", tracker="qa")  # 4
    await world.task("Styles", tracker="backend")  # 5
    async with unit_of_work(world.database, write=True) as session:
        tasks = Tasks(session, world.settings)
        await tasks.claim(lead, SLUG, 3, as_agent="backend")
        await tasks.block(lead, SLUG, 5, reason="no colours", needs_agent="domain-expert")
        await tasks.claim(lead, SLUG, 1, as_agent="backend")
        await tasks.complete(
            lead,
            SLUG,
            1,
            outcome="table and migration",
            files=["a.py"],
            verified="pytest",
            as_agent="backend",
        )
    doc = await _tracker(world, world.actors["qa"], "backend")
    got = {t.number or 0: t for t in doc.tasks}
    assert sorted(got) == [1, 2, 3, 5]
    assert (got[3].status, got[3].owner) == ("in_progress", "backend")
    assert (got[2].status, got[2].priority, got[2].waits_on) == ("pending", 1, ())
    assert (got[5].blocked_reason, got[5].needs_agent) == ("no colours", "domain-expert")
    assert (got[1].outcome, got[1].files, got[1].verified, got[1].priority) == (
        "table and migration",
        ("a.py",),
        "pytest",
        None,
    )
    assert got[1].completed_on is not None
    async with unit_of_work(world.database, write=False) as session:
        text = await TrackerService(session, world.settings).markdown(lead, SLUG, "backend")
    parsed = parse_tracker(text)
    assert parsed.unparsed == ()
    assert {i.task.number or 0: i.task for i in parsed.items} == got
    own = await _tracker(world, world.actors["backend"], None)
    assert own == doc


async def test_older_completed_tasks_are_counted_not_listed(world: World) -> None:
    for title in ("a", "b", "c"):
        task = await world.task(title, tracker="qa")
        async with unit_of_work(world.database, write=True) as session:
            await Tasks(session, world.settings).complete(
                world.lead, SLUG, task.number, outcome="done", as_agent="qa"
            )
    doc = await _tracker(world, world.lead, "qa", completed=2)
    assert [t.number for t in doc.tasks] == [3, 2]
    assert dict(doc.hidden) == {"completed": 1}


async def test_sections_merge_the_tracker_and_the_shared_tasks_held_in_order(
    world: World,
) -> None:
    """Each section interleaves both halves (own tracker, shared tasks held) in the file's
    order, and the cap and the hidden count span both."""
    lead = world.lead
    await world.task("own low", tracker="qa", priority=3)  # 1
    await world.task("shared urgent", priority=0)  # 2
    await world.task("own mid", tracker="qa", priority=1)  # 3
    for title in ("own done", "shared done", "own done later"):
        await world.task(title, tracker=None if "shared" in title else "qa")  # 4, 5, 6
    async with unit_of_work(world.database, write=True) as session:
        tasks = Tasks(session, world.settings)
        await tasks.claim(lead, SLUG, 2, as_agent="qa")
        await tasks.block(lead, SLUG, 2, reason="waits", needs_agent="backend")
        await tasks.block(lead, SLUG, 1, reason="waits too", needs_agent="backend")
        for number in (4, 5, 6):
            await tasks.claim(lead, SLUG, number, as_agent="qa")
    for number in (4, 5, 6):  # one transaction each, so the completion times differ
        async with unit_of_work(world.database, write=True) as session:
            await Tasks(session, world.settings).complete(
                lead, SLUG, number, outcome="done", as_agent="qa"
            )
    doc = await _tracker(world, world.lead, "qa", completed=2)
    by_status: dict[str, list[int]] = {}
    for task in doc.tasks:
        by_status.setdefault(task.status, []).append(task.number or 0)
    assert by_status == {"pending": [3], "blocked": [2, 1], "completed": [6, 5]}
    assert dict(doc.hidden) == {"completed": 1}


async def test_who_may_read_and_what_is_refused(world: World, factory: Factory) -> None:
    viewer = await factory.user("viewer@example.com")
    await factory.member(SLUG, "viewer@example.com", Role.VIEWER)
    outsider = await factory.user("outsider@example.com")
    assert (await _tracker(world, person(viewer, "viewer@example.com"), "qa")).agent == "qa"
    with pytest.raises(NotFound):
        await _tracker(world, person(outsider, "outsider@example.com"), "qa")
    with pytest.raises(NotFound):
        await _tracker(world, world.lead, "nobody")
    with pytest.raises(Invalid):
        await _tracker(world, world.lead, None)  # a person names the agent
    with pytest.raises(NotFound):
        await _changelog(world, person(outsider, "outsider@example.com"))


async def test_the_changelog_lists_entries_oldest_first_with_their_tasks(world: World) -> None:
    await world.task("Login")
    await world.task("Logout")
    async with unit_of_work(world.database, write=True) as session:
        log = ChangelogService(session, world.settings)
        for title, numbers in (("First", [2, 1]), ("Second", [])):
            draft = ChangelogDraft(title, "p", "f", "v", files=["x.py"], task_numbers=numbers)
            await log.append(world.lead, SLUG, draft, as_agent="backend")
    doc = await _changelog(world, world.actors["qa"])
    assert [(e.title, e.agent, e.tasks, e.files) for e in doc.entries] == [
        ("First", "backend", (1, 2), ("x.py",)),
        ("Second", "backend", (), ("x.py",)),
    ]
    async with unit_of_work(world.database, write=False) as session:
        text = await TrackerService(session, world.settings).changelog_markdown(world.lead, SLUG)
    assert parse_changelog(text).doc() == doc
