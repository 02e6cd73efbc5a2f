"""InboxService: unread and all, after a cursor, pages, marking read, acknowledging."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, Forbidden, Invalid, NotFound, unit_of_work
from crewboard.services.messages.inbox import InboxFeed, InboxService
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.services import bodies, inbox, mark, people, send
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def test_unread_all_and_after(world: World) -> None:
    ids = [(await send(world, "backend", "qa", f"m{i}")).message.id for i in range(5)]
    assert bodies(await inbox(world, "qa")) == ["m0", "m1", "m2", "m3", "m4"]
    assert bodies(await inbox(world, "qa", after=ids[2])) == ["m3", "m4"]
    assert await mark(world, "qa", ids=[ids[0], ids[3]]) == 2
    assert bodies(await inbox(world, "qa")) == ["m1", "m2", "m4"]
    everything = await inbox(world, "qa", unread=False)
    assert [i.delivery.read_at is not None for i in everything] == [True, False, False, True, False]
    assert await mark(world, "qa", up_to=ids[2]) == 2  # m1 and m2; m0 was read already
    assert bodies(await inbox(world, "qa")) == ["m4"]
    assert await mark(world, "qa", ids=[ids[0]]) == 0  # read already: unchanged
    read = (await events(world.database, "message.read"))[-1]
    assert read.data == {"count": 2, "first": ids[1], "last": ids[2]}
    assert read.subject == "inbox:qa"


async def test_pages_follow_message_ids(world: World) -> None:
    for i in range(5):
        await send(world, "backend", "qa", f"m{i}")
    async with unit_of_work(world.database, write=False) as session:
        service = InboxService(session)
        first = await service.list(world.actors["qa"], SLUG, limit=2)
        second = await service.list(world.actors["qa"], SLUG, limit=2, cursor=first.next_cursor)
        third = await service.list(world.actors["qa"], SLUG, limit=2, cursor=second.next_cursor)
    assert [bodies(p.items) for p in (first, second, third)] == [["m0", "m1"], ["m2", "m3"], ["m4"]]
    assert third.next_cursor is None


async def test_marking_only_your_own(world: World) -> None:
    mine = await send(world, "backend", "qa", "for qa")
    with pytest.raises(NotFound) as caught:
        await mark(world, "frontend", ids=[mine.message.id])
    assert caught.value.details["field"] == "ids"
    with pytest.raises(Invalid):
        await mark(world, "qa")
    with pytest.raises(Invalid):
        await mark(world, "qa", ids=[mine.message.id], up_to=mine.message.id)
    assert await mark(world, "frontend", up_to=mine.message.id) == 0
    assert len(await inbox(world, "qa")) == 1


async def test_acknowledge(world: World, database: Database) -> None:
    sent = await send(world, "backend", "qa", "ack me")
    async with unit_of_work(database, write=True) as session:
        item = await InboxService(session).acknowledge(world.actors["qa"], SLUG, sent.message.id)
    assert item.delivery.acked_at is not None
    assert item.delivery.read_at == item.delivery.acked_at
    async with unit_of_work(database, write=True) as session:  # idempotent
        again = await InboxService(session).acknowledge(world.actors["qa"], SLUG, sent.message.id)
    assert again.delivery.acked_at == item.delivery.acked_at
    assert len(await events(database, "message.acked")) == 1
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=True) as session:
            await InboxService(session).acknowledge(world.actors["backend"], SLUG, sent.message.id)
    assert await inbox(world, "qa") == []


async def test_who_reads_which_inbox(world: World, factory: Factory) -> None:
    crowd = await people(world, factory)
    await send(world, "backend", "qa", "for qa")
    await send(world, "backend", "@member@example.com", "for the member")
    assert bodies(await inbox(world, crowd["member"])) == ["for the member"]
    assert bodies(await inbox(world, crowd["member"], agent="qa")) == ["for qa"]
    assert bodies(await inbox(world, world.lead, agent="qa")) == ["for qa"]
    assert bodies(await inbox(world, "qa", agent="qa")) == ["for qa"]
    with pytest.raises(Forbidden):
        await inbox(world, "backend", agent="qa")
    with pytest.raises(Forbidden):
        await inbox(world, crowd["viewer"], agent="qa")
    with pytest.raises(NotFound):
        await inbox(world, world.lead, agent="ghost")
    assert await inbox(world, crowd["viewer"]) == []
    with pytest.raises(Forbidden):  # marking needs a writing credential
        await mark(world, crowd["read-only"], up_to=1)


async def test_the_feed_names_the_inbox_and_where_a_live_stream_starts(world: World) -> None:
    async def feed(reader: Actor) -> InboxFeed:
        async with unit_of_work(world.database, write=False) as session:
            return await InboxService(session).feed(reader, SLUG)

    empty = await feed(world.actors["qa"])
    assert (empty.address, empty.newest_id) == ("qa", 0)
    assert empty.project_id == world.actors["qa"].project_id
    await send(world, "backend", "qa", "first")
    newest = (await send(world, "backend", "qa", "second")).message.id
    await send(world, "qa", "backend", "not in qa's inbox")
    assert (await feed(world.actors["qa"])).newest_id == newest
    lead = await feed(world.lead)
    assert (lead.address, lead.newest_id) == ("@lead@example.com", 0)
