"""Messages crewboard sends by itself: a task given to an agent, a lease that ran out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import utcnow
from crewboard.models.tasks import Task
from crewboard.services.core import unit_of_work
from crewboard.services.messages import SYSTEM_SENDER
from crewboard.services.tasks import TaskChange, expire_leases
from tests.support.factory import Factory
from tests.support.services import claimed, inbox, tasks, teams
from tests.support.world import World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def test_an_assignment_tells_the_new_owner(world: World) -> None:
    await world.task("Checkout page", tracker="frontend")
    await tasks(world, "update", 1, TaskChange(owner="qa"))  # the lead assigns it
    (item,) = await inbox(world, "qa")
    message = item.message
    assert (message.kind, message.sender, message.summary) == (
        "task_assignment",
        "@lead@example.com",
        "Task #1 assigned to you",
    )
    assert "Checkout page" in message.body
    # The owner hands it on: the next owner hears it from the agent that gave it.
    await tasks(world, "update", 1, TaskChange(owner="reviewer"), actor=world.actors["qa"])
    (handed,) = await inbox(world, "reviewer")
    assert (handed.message.kind, handed.message.sender) == ("task_assignment", "qa")


async def test_taking_a_task_yourself_sends_nothing(world: World) -> None:
    await world.task("Mine", tracker="backend")
    await world.task("Shared")
    await tasks(world, "claim", 1, actor=world.actors["backend"])
    await tasks(world, "update", 2, TaskChange(owner="backend"), actor=world.actors["backend"])
    await tasks(world, "release", 2, actor=world.actors["backend"])
    assert await inbox(world, "backend", unread=False) == []


async def test_an_expired_lease_tells_the_owner_and_the_lead(
    world: World, database: Database
) -> None:
    await teams(world, "create", name="web", lead="architect", members=["qa"])
    await claimed(world, "On the team", "qa", team="web")
    await claimed(world, "Alone", "backend")
    async with unit_of_work(database, write=True) as session:
        await session.execute(update(Task).values(lease_expires_at=utcnow() - timedelta(minutes=1)))
    async with unit_of_work(database, write=True) as session:
        assert len(await expire_leases(session)) == 2
    for agent in ("qa", "architect"):
        (item,) = await inbox(world, agent)
        assert (item.message.kind, item.message.sender, item.team) == (
            "lease_expired",
            SYSTEM_SENDER,
            "web",
        )
        assert item.message.summary == "Lease on task #1 expired"
    (alone,) = await inbox(world, "backend")
    assert alone.message.summary == "Lease on task #2 expired"
    assert await inbox(world, "frontend") == []
