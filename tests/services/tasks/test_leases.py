"""Leases: a claim holds a task for a while; the owner's work renews it; expiry hands it back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.leases import lease_job
from crewboard.models import Event, utcnow
from crewboard.models.tasks import Task
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import TaskChange, Tasks, expire_leases
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world


async def _claim(world: World, agent: str, number: int) -> Task:
    async with unit_of_work(world.database, write=True) as session:
        return (await Tasks(session, world.settings).claim(world.actors[agent], SLUG, number)).task


async def _age_lease(database: Database, number: int, by: timedelta) -> None:
    """Move a lease into the past (test setup writes through the ORM, not the clock)."""
    async with unit_of_work(database, write=True) as session:
        await session.execute(
            update(Task).where(Task.number == number).values(lease_expires_at=utcnow() - by)
        )


async def test_claim_sets_a_lease_of_the_configured_length(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings.model_copy(update={"lease_minutes": 7}))
    await world.task("x")
    before = utcnow()
    task = await _claim(world, "backend", 1)
    assert task.lease_expires_at is not None
    assert before + timedelta(minutes=7) <= task.lease_expires_at <= utcnow() + timedelta(minutes=7)


async def test_owner_activity_renews_the_lease(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    await world.task("x", tracker="backend")
    await _claim(world, "backend", 1)
    await _age_lease(database, 1, timedelta(minutes=-1))  # one minute left
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).update(
            world.actors["backend"], SLUG, 1, TaskChange(active_form="Writing the handler")
        )
    task = await world.get(1)
    assert task.lease_expires_at is not None
    assert task.lease_expires_at > utcnow() + timedelta(minutes=settings.lease_minutes - 1)
    # Someone else's edit does not renew it.
    await _age_lease(database, 1, timedelta(minutes=-1))
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).update(world.lead, SLUG, 1, TaskChange(priority=0))
    assert (await world.get(1)).lease_expires_at < utcnow() + timedelta(minutes=2)  # type: ignore[operator]


async def test_expired_lease_hands_the_task_back_once(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    for title in ("a", "b"):
        await world.task(title)
    await _claim(world, "backend", 1)
    await _claim(world, "qa", 2)
    await _age_lease(database, 1, timedelta(seconds=1))

    async def run() -> list[int]:
        async with unit_of_work(database, write=True) as session:
            return [e.number for e in await expire_leases(session)]

    results = await asyncio.gather(run(), run(), run())
    assert sorted(n for r in results for n in r) == [1]
    expired = await world.get(1)
    assert (expired.status, expired.owner, expired.lease_expires_at) == ("pending", None, None)
    held = await world.get(2)
    assert (held.status, held.owner) == ("in_progress", "qa")
    async with unit_of_work(database, write=False) as session:
        kinds = (
            await session.scalars(
                select(Event.kind).where(Event.subject == "task:1").order_by(Event.id)
            )
        ).all()
        data = await session.scalar(select(Event.data).where(Event.kind == "task.lease_expired"))
    assert list(kinds) == ["task.created", "task.claimed", "task.lease_expired"]
    assert data is not None
    assert data["owner"] == "backend"
    # Back in the queue: another agent can claim it.
    assert (await _claim(world, "qa", 1)).owner == "qa"


async def test_a_renewed_or_finished_task_is_left_alone(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    await world.task("done before expiry")
    await _claim(world, "backend", 1)
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).complete(world.actors["backend"], SLUG, 1, outcome="done")
    await _age_lease(database, 1, timedelta(hours=1))  # a stale value on a finished task
    async with unit_of_work(database, write=True) as session:
        assert await expire_leases(session) == []
    assert (await world.get(1)).status == "completed"


async def test_the_background_job_expires_short_leases(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """With a lease of a fraction of a second, the job started by the app hands work back."""
    short = settings.model_copy(update={"lease_minutes": 0.002, "lease_check_seconds": 0.05})
    world = await build_world(factory, database, short)
    await world.task("short")
    await _claim(world, "backend", 1)
    job = lease_job(database, short.lease_check_seconds)
    job.start()
    try:
        for _ in range(100):
            if (await world.get(1)).status == "pending":
                break
            await asyncio.sleep(0.05)
    finally:
        await job.stop()
    assert (await world.get(1)).status == "pending"
