"""Message limits (services/messages/limits.py): a sender's messages a minute, an inbox's
unread messages; both refuse before anything is written, on SQLite and PostgreSQL, and
through REST with the problem the face promises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import utcnow
from crewboard.models.messages import Message
from crewboard.services.core import Conflict, RateLimited, unit_of_work
from crewboard.services.messages import MessageService
from crewboard.services.messages.limits import _ONE_RECIPIENT
from crewboard.services.messages.service import Outgoing
from tests.support.database import row_counts
from tests.support.factory import Factory
from tests.support.http import API, bearer, client_for, problem_code
from tests.support.services import mark
from tests.support.world import SLUG, World, build_world


def _limited(settings: Settings, **limits: int) -> Settings:
    return settings.model_copy(update=limits)


async def _send(world: World, settings: Settings, sender: str, to: str) -> None:
    async with unit_of_work(world.database, write=True) as session:
        await MessageService(session, settings).send(
            world.actors[sender], SLUG, Outgoing(to=to, body="hello")
        )


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings, ("backend", "qa", "frontend"))


async def test_a_sender_past_its_rate_waits(world: World, settings: Settings) -> None:
    limited = _limited(settings, messages_per_minute=3)
    for _ in range(3):
        await _send(world, limited, "backend", "qa")
    before = await row_counts(world.database)
    with pytest.raises(RateLimited) as caught:
        await _send(world, limited, "backend", "frontend")
    assert 1 <= caught.value.retry_after <= 60
    assert "backend has sent its 3 messages of the last minute" in caught.value.message
    assert await row_counts(world.database) == before
    await _send(world, limited, "qa", "backend")  # another sender has its own count
    # A minute later the old messages no longer count.
    async with unit_of_work(world.database, write=True) as session:
        await session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=2)))
    await _send(world, limited, "backend", "frontend")


async def test_a_full_inbox_refuses_until_it_is_read(world: World, settings: Settings) -> None:
    limited = _limited(settings, inbox_max_unread=2)
    await _send(world, limited, "backend", "qa")
    await _send(world, limited, "frontend", "qa")
    before = await row_counts(world.database)
    with pytest.raises(Conflict) as caught:
        await _send(world, limited, "backend", "qa")
    assert caught.value.detail_code == "inbox-full"
    assert "qa's inbox is full (it holds the 2 unread messages it may)" in caught.value.message
    assert await row_counts(world.database) == before
    await _send(world, limited, "backend", "frontend")  # other inboxes take messages
    await mark(world, "qa", up_to=2**31 - 1)
    await _send(world, limited, "backend", "qa")


async def test_rest_answers_429_with_retry_after_and_409_inbox_full(
    world: World, settings: Settings
) -> None:
    limited = _limited(settings, messages_per_minute=2, inbox_max_unread=1)
    url = f"{API}/projects/{SLUG}/messages"
    backend, qa = bearer(world.tokens["backend"]), bearer(world.tokens["qa"])
    async with client_for(settings=limited, database=world.database) as client:
        sent = await client.post(url, json={"to": "qa", "body": "one"}, headers=backend)
        assert sent.status_code == 201, sent.text
        full = await client.post(url, json={"to": "qa", "body": "two"}, headers=frontend(world))
        assert (full.status_code, problem_code(full)) == (409, "inbox-full")
        await client.post(url, json={"to": "frontend", "body": "x"}, headers=backend)
        fast = await client.post(url, json={"to": "frontend", "body": "y"}, headers=backend)
        assert (fast.status_code, problem_code(fast)) == (429, "rate-limited")
        assert int(fast.headers["retry-after"]) >= 1
        assert (await client.get(f"{API}/projects/{SLUG}/inbox", headers=qa)).status_code == 200


def frontend(world: World) -> dict[str, str]:
    return bearer(world.tokens["frontend"])


async def test_the_direct_message_check_reads_its_own_indexes(
    world: World, settings: Settings
) -> None:
    """The rate reads the sender's recent messages and the inbox its unread ones (migration
    0013), not every message of the minute or the whole read history: on both backends the
    plan names both indexes (PostgreSQL told to prefer indexes: its tables here are tiny)."""
    params = {
        "p_project": 1,
        "p_sender": "backend",
        "p_since": utcnow(),
        "p_recipient": "qa",
        "p_rate": settings.messages_per_minute,
        "p_inbox": settings.inbox_max_unread,
    }
    async with unit_of_work(world.database, write=False) as session:
        conn = await session.connection()
        compiled = _ONE_RECIPIENT.compiled(conn.dialect)
        args = tuple(compiled.arguments(params))
        if world.database.is_sqlite:
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.sql, args)
            plan = " ".join(str(row[-1]) for row in rows)
        else:
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = await conn.exec_driver_sql("EXPLAIN " + compiled.sql, args)
            plan = " ".join(str(row[0]) for row in rows)
    assert "ix_messages_sent" in plan
    assert "ix_deliveries_unread" in plan
    assert "ix_messages_created_at" not in plan
