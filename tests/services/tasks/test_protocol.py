"""TaskProtocol: the agent protocol's verbs as shorthands for the flow and the claims; they
answer the bare change (``Applied``), the facade adds the view."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Conflict, unit_of_work
from crewboard.services.tasks import Applied, Status, Tasks
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def test_start_claims_a_ready_task_or_resumes_one_s_own(world: World) -> None:
    await world.task("build it", tracker="backend")
    backend = world.actors["backend"]
    async with unit_of_work(world.database, write=True) as session:
        protocol = Tasks(session, world.settings).protocol
        started = await protocol.start(backend, SLUG, 1)
        assert isinstance(started, Applied)
        assert (started.task.owner, started.updated_fields, started.status_change) == (
            "backend",
            ["owner", "status"],
            ("pending", "in_progress"),
        )
        await protocol.block(backend, SLUG, 1, reason="waiting for the schema")
        resumed = await protocol.start(backend, SLUG, 1)
    assert resumed.status_change == (Status.BLOCKED, Status.IN_PROGRESS)
    assert (await world.get(1)).blocked_reason is None


async def test_the_facade_answers_the_same_change_with_its_view(world: World) -> None:
    await world.task("first")
    await world.task("second", tracker="backend", blocked_by=[1])
    backend = world.actors["backend"]
    async with unit_of_work(world.database, write=True) as session:
        result = await Tasks(session, world.settings).block(backend, SLUG, 2, reason="r")
    assert (result.task.status, result.view.open_blockers, result.updated_fields[0]) == (
        "blocked",
        [1],
        "status",
    )


async def test_unblock_and_complete_check_their_preconditions(world: World) -> None:
    await world.task("x", tracker="backend")
    backend = world.actors["backend"]
    async with unit_of_work(world.database, write=True) as session:
        protocol = Tasks(session, world.settings).protocol
        with pytest.raises(Conflict) as not_blocked:
            await protocol.unblock(backend, SLUG, 1)
        done = await protocol.complete(backend, SLUG, 1, outcome="done", files=["a.py"])
        with pytest.raises(Conflict) as again:
            await protocol.complete(backend, SLUG, 1, outcome="twice")
    assert (not_blocked.value.detail_code, again.value.detail_code) == (
        "not-blocked",
        "already-completed",
    )
    assert (done.applied.task.files, done.entry) == (["a.py"], None)
    released = await world.get(1)
    assert (released.status, released.outcome) == ("completed", "done")
