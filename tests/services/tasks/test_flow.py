"""The task state machine, who may change what, and what each status requires."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import (
    Actor,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    unit_of_work,
)
from crewboard.services.tasks import (
    ChangelogDraft,
    ChangelogService,
    ChangeResult,
    Completion,
    Status,
    TaskChange,
    Tasks,
)
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def _update(world: World, actor: Actor, number: int, **change: object) -> ChangeResult:
    async with unit_of_work(world.database, write=True) as session:
        return await Tasks(session, world.settings).update(
            actor,
            SLUG,
            number,
            TaskChange(**change),  # type: ignore[arg-type]
        )


async def _fails(world: World, actor: Actor, number: int, **change: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await _update(world, actor, number, **change)
    return caught.value


async def test_the_protocol_loop(world: World) -> None:
    """Pending -> In Progress -> Blocked (reason + needed agent) -> In Progress -> Completed."""
    await world.task("Add login endpoint", tracker="backend", priority=1)
    backend = world.actors["backend"]
    started = await _update(world, backend, 1, status=Status.IN_PROGRESS)
    assert started.status_change == ("pending", "in_progress")
    assert started.task.owner == "backend"
    blocked = await _update(
        world,
        backend,
        1,
        status=Status.BLOCKED,
        blocked_reason="needs the schema",
        needs_agent="architect",
    )
    assert (blocked.task.blocked_reason, blocked.task.needs_agent) == (
        "needs the schema",
        "architect",
    )
    assert blocked.task.lease_expires_at is None
    resumed = await _update(world, backend, 1, status=Status.IN_PROGRESS)
    assert (resumed.task.blocked_reason, resumed.task.needs_agent) == (None, None)
    async with unit_of_work(world.database, write=True) as session:
        done: Completion = await Tasks(session, world.settings).complete(
            backend,
            SLUG,
            1,
            outcome="Login endpoint with Argon2 hashing",
            files=["src/api/login.py", "tests/test_login.py"],
            verified="pytest 12 passed",
            changelog=ChangelogDraft(
                title="Login", problem="No way to log in", fix="POST /login", verification="pytest"
            ),
        )
    task = done.result.task
    assert (task.status, task.outcome, task.verified) == (
        "completed",
        "Login endpoint with Argon2 hashing",
        "pytest 12 passed",
    )
    assert task.files == ["src/api/login.py", "tests/test_login.py"]
    assert task.completed_at is not None
    assert task.lease_expires_at is None
    assert done.entry is not None
    assert done.entry.task_numbers == [1]
    assert done.entry.entry.agent == "backend"


async def test_each_status_asks_for_what_it_needs(world: World) -> None:
    await world.task("x", tracker="backend")
    backend = world.actors["backend"]
    assert (await _fails(world, backend, 1, status=Status.BLOCKED)).details["field"] == (
        "blocked_reason"
    )
    # Claude Code completes a task with no outcome: accepted, recorded as not given.
    done = await _update(world, backend, 1, status=Status.COMPLETED)
    assert (done.task.owner, done.task.outcome) == ("backend", None)  # whoever finished it
    await _update(world, world.lead, 1, status=Status.PENDING)
    done = await _update(world, backend, 1, status=Status.COMPLETED, outcome="done")
    assert done.task.outcome == "done"
    error = await _fails(world, backend, 1, status=Status.IN_PROGRESS)
    assert error.detail_code == "bad-transition"
    reopened = await _update(world, world.lead, 1, status=Status.PENDING)
    assert (reopened.task.status, reopened.task.owner, reopened.task.outcome) == (
        "pending",
        None,
        None,
    )


async def test_an_in_progress_task_needs_its_blockers_done(world: World) -> None:
    await world.task("schema", tracker="architect")
    await world.task("endpoint", tracker="backend", blocked_by=[1])
    error = await _fails(world, world.actors["backend"], 2, status=Status.IN_PROGRESS)
    assert isinstance(error, Conflict)
    assert error.detail_code == "blocked"
    await _update(world, world.actors["architect"], 1, status=Status.COMPLETED, outcome="ok")
    started = await _update(world, world.actors["backend"], 2, status=Status.IN_PROGRESS)
    assert started.task.status == "in_progress"


async def test_who_may_change_a_task(world: World) -> None:
    await world.task("on backend", tracker="backend")
    await world.task("shared")
    qa, backend = world.actors["qa"], world.actors["backend"]
    assert isinstance(await _fails(world, qa, 1, title="hijack"), Forbidden)
    await _update(world, backend, 1, title="mine to edit")
    # Claim by setting oneself as owner; then it is no longer others' to take.
    claimed = await _update(world, qa, 2, owner="qa")
    assert claimed.task.owner == "qa"
    error = await _fails(world, backend, 2, owner="backend")
    assert error.detail_code == "already-claimed"
    # The owner hands it on; a member may reassign anything.
    assert (await _update(world, qa, 2, owner="reviewer")).task.owner == "reviewer"
    assert (await _update(world, world.lead, 2, owner="backend")).task.owner == "backend"
    # An agent cannot act as another agent.
    async with unit_of_work(world.database, write=True) as session:
        with pytest.raises(Forbidden) as caught:
            await Tasks(session, world.settings).update(
                qa, SLUG, 1, TaskChange(title="as backend"), as_agent="backend"
            )
    assert caught.value.detail_code == "impersonation"


async def test_metadata_merges_and_null_deletes(world: World) -> None:
    await world.task("m", tracker="backend", metadata={"a": 1, "b": 2})
    result = await _update(world, world.actors["backend"], 1, metadata={"b": None, "c": [3]})
    assert result.task.meta == {"a": 1, "c": [3]}
    assert result.updated_fields == ["metadata"]


async def test_unknown_agents_and_tasks_are_errors(world: World) -> None:
    await world.task("x", tracker="backend")
    assert isinstance(await _fails(world, world.lead, 1, owner="ghost"), NotFound)
    assert isinstance(await _fails(world, world.lead, 1, tracker="ghost"), NotFound)
    assert isinstance(await _fails(world, world.lead, 99, title="y"), NotFound)
    assert isinstance(await _fails(world, world.lead, 1, priority=7), Invalid)
    with pytest.raises(NotFound):
        await world.task("on a ghost's tracker", tracker="ghost")


async def test_dependencies_both_ways_and_no_cycles(world: World) -> None:
    for title in ("a", "b", "c"):
        await world.task(title)
    await _update(world, world.lead, 3, add_blocked_by=[2])
    await _update(world, world.lead, 2, add_blocked_by=[1])
    async with unit_of_work(world.database, write=False) as session:
        links = await Tasks(session, world.settings).get(world.lead, SLUG, 2)
    assert (links.blocked_by, links.blocks, links.open_blockers) == ([1], [3], [1])
    error = await _fails(world, world.lead, 1, add_blocked_by=[3])
    assert error.detail_code == "dependency-cycle"
    assert (await _fails(world, world.lead, 1, add_blocked_by=[1])).detail_code == (
        "dependency-cycle"
    )
    async with unit_of_work(world.database, write=False) as session:
        links = await Tasks(session, world.settings).get(world.lead, SLUG, 1)
    assert links.blocked_by == []


async def test_follow_ups_land_on_another_tracker(world: World) -> None:
    await world.task("API", tracker="backend")
    async with unit_of_work(world.database, write=True) as session:
        service = Tasks(session, world.settings)
        follow = (
            await service.follow_up(
                world.actors["backend"], SLUG, 1, tracker="frontend", title="Use the API"
            )
        ).task
        assert (follow.number, follow.tracker, follow.created_by) == (2, "frontend", "backend")
        links = await service.get(world.lead, SLUG, 2)
        assert links.source == 1
        assert [v.task.number for v in await service.follow_ups(world.lead, SLUG, 1)] == [2]


async def test_history_records_every_change_and_nothing_failed(world: World) -> None:
    await world.task("h", tracker="backend")
    backend = world.actors["backend"]
    await _update(world, backend, 1, status=Status.IN_PROGRESS)
    await _fails(world, backend, 1, status=Status.BLOCKED)  # no reason: refused
    await _update(world, backend, 1, status=Status.BLOCKED, blocked_reason="waiting")
    async with unit_of_work(world.database, write=False) as session:
        page = await Tasks(session, world.settings).history(world.lead, SLUG, 1)
    kinds = [e.kind for e in page.items]
    assert kinds == ["task.created", "task.updated", "task.updated"]
    assert page.items[2].data["changes"]["status"] == ["in_progress", "blocked"]
    assert page.items[2].actor.startswith("backend")


async def test_viewers_change_nothing(
    world: World, factory: Factory, database: Database, settings: Settings
) -> None:
    from crewboard.services.projects import Role
    from tests.support.world import actor_for

    uid = await factory.user("viewer@example.com")
    await factory.member(SLUG, "viewer@example.com", Role.VIEWER)
    viewer = await actor_for(database, settings, await factory.token(uid))
    await world.task("v")
    assert isinstance(await _fails(world, viewer, 1, title="no"), Forbidden)
    with pytest.raises(Forbidden):
        async with unit_of_work(database, write=True) as session:
            await Tasks(session, settings).create(viewer, SLUG, title="no")
    with pytest.raises(Forbidden):
        async with unit_of_work(database, write=True) as session:
            await ChangelogService(session, settings).append(
                viewer, SLUG, ChangelogDraft("t", "p", "f", "v"), as_agent="backend"
            )


async def test_fields_of_one_status_are_refused_with_another(world: World) -> None:
    await world.task("x", tracker="backend")
    backend = world.actors["backend"]
    await _update(world, backend, 1, status=Status.IN_PROGRESS)
    wrong = await _fails(world, backend, 1, needs_agent="qa")
    assert (type(wrong), wrong.details["field"]) == (Invalid, "needs_agent")
    wrong = await _fails(
        world, backend, 1, status=Status.BLOCKED, blocked_reason="r", outcome="half done"
    )
    assert wrong.details["field"] == "outcome"
    wrong = await _fails(
        world, backend, 1, status=Status.COMPLETED, outcome="ok", blocked_reason="why"
    )
    assert wrong.details["field"] == "blocked_reason"
    assert (await world.get(1)).status == "in_progress"


async def test_starting_an_unowned_blocked_task_is_a_claim_and_refused(world: World) -> None:
    # The claim rule has one path: an unowned task is taken only while pending and ready,
    # whether by a claim, by owner=me, or by a status change to in_progress.
    await world.task("Waits", tracker="backend")
    await _update(world, world.lead, 1, status=Status.BLOCKED, blocked_reason="no key")
    error = await _fails(world, world.actors["backend"], 1, status=Status.IN_PROGRESS)
    assert error.detail_code == "not-claimable"
    assert "blocked, not pending" in str(error)
    again = await _fails(world, world.actors["backend"], 1, owner="backend")
    assert again.detail_code == "not-claimable"
    task = await world.get(1)
    assert (task.status, task.owner, task.blocked_reason) == ("blocked", None, "no key")


async def test_an_update_naming_a_tracker_moves_the_version_once(world: World) -> None:
    """The roster check runs on the driver inside ``no_autoflush``: it must not flush the
    half-applied change early (that moved the version twice, outside save's 409)."""
    task = await world.task("versioned")
    async with unit_of_work(world.database, write=True) as session:
        result = await Tasks(session, world.settings).update(
            world.lead, SLUG, task.number, TaskChange(title="renamed", tracker="qa"), version=1
        )
    assert result.view.task.version == 2
