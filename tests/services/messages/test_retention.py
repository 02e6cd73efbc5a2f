"""Message retention: read messages older than the setting go; unread ones never do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.messages import retention_job
from crewboard.models import utcnow
from crewboard.models.messages import Message
from crewboard.services.core import unit_of_work
from crewboard.services.messages import prune_messages
from crewboard.services.teams import TeamService
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.services import inbox, mark, send
from tests.support.world import World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def _age(database: Database, ids: list[int], days: int) -> None:
    """Move messages into the past (test setup writes through the ORM, not the clock)."""
    async with unit_of_work(database, write=True) as session:
        await session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(created_at=utcnow() - timedelta(days=days))
        )


async def _left(database: Database) -> list[str]:
    async with unit_of_work(database, write=False) as session:
        return list((await session.scalars(select(Message.body).order_by(Message.id))).all())


async def _prune(database: Database, days: int) -> int:
    async with unit_of_work(database, write=True) as session:
        return await prune_messages(session, days)


async def test_only_old_messages_read_by_everyone_go(world: World, database: Database) -> None:
    old_read = await send(world, "backend", "qa", "old read")
    old_unread = await send(world, "backend", "qa", "old unread")
    new_read = await send(world, "backend", "qa", "new read")
    reply = await send(world, "qa", body="reply", reply_to=old_read.message.id)
    await mark(world, "qa", ids=[old_read.message.id, new_read.message.id])
    await mark(world, "backend", ids=[reply.message.id])
    old = [old_read.message.id, old_unread.message.id, reply.message.id]
    await _age(database, old, days=31)
    assert await _prune(database, 0) == 0  # 0 keeps every message
    assert await _prune(database, 30) == 2
    assert await _left(database) == ["old unread", "new read"]
    (pruned,) = await events(database, "messages.pruned")
    assert pruned.data["count"] == 2
    assert [i.message.body for i in await inbox(world, "qa")] == ["old unread"]


async def test_a_broadcast_goes_only_when_every_recipient_read_it(
    world: World, database: Database
) -> None:
    async with unit_of_work(database, write=True) as session:
        await TeamService(session, world.settings).create(
            world.lead, "shop", name="web", members=["qa", "frontend"]
        )
    sent = await send(world, world.lead, body="all hands", kind="broadcast", team="web")
    await _age(database, [sent.message.id], days=40)
    await mark(world, "qa", ids=[sent.message.id])
    assert await _prune(database, 30) == 0
    await mark(world, "frontend", up_to=sent.message.id)
    assert await _prune(database, 30) == 1
    assert await _left(database) == []


async def test_the_job_prunes_with_the_setting(world: World, database: Database) -> None:
    sent = await send(world, "backend", "qa", "gone soon")
    await mark(world, "qa", ids=[sent.message.id])
    await _age(database, [sent.message.id], days=3)
    keep = world.settings.model_copy(update={"message_retention_days": 5})
    await retention_job(database, keep).run_once()
    assert await _left(database) == ["gone soon"]
    short = world.settings.model_copy(update={"message_retention_days": 2})
    await retention_job(database, short).run_once()
    assert await _left(database) == []
