"""The webhook outbox's cursor over the events table: a hole is waited for until final."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select, text

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Event, Project, utcnow
from crewboard.models.webhooks import JobCursor, WebhookDelivery
from crewboard.services.core import unit_of_work
from crewboard.services.webhooks.outbox import enqueue
from tests.jobs.test_webhooks import FAST, add_hook
from tests.support.factory import Factory
from tests.support.world import SLUG, build_world


async def test_a_hole_held_by_a_transaction_newer_than_the_outbox_is_waited_for(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """The outbox locks its cursor first, so its transaction has an id before it reads; the
    holder of id N takes a newer one, then N + 1 commits. N must still be waited for."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL: SQLite writers commit one at a time")
    fast = settings.model_copy(update=FAST)
    world = await build_world(factory, database, fast, ("backend",))
    hook_id, _ = await add_hook(world, "http://127.0.0.1:9/", ["task."])
    async with unit_of_work(database, write=False) as session:
        project_id = await session.scalar(select(Project.id).where(Project.slug == SLUG))

    def event(kind: str) -> Any:
        return insert(Event).values(
            project_id=project_id, at=utcnow(), actor="test", kind=kind, subject="x", data={}
        )

    async with database.engine.connect() as holder, database.engine.connect() as writer:
        async with unit_of_work(database, write=True) as e:
            # What enqueue's first statement does: lock the cursor (this gives E its id).
            await e.execute(select(JobCursor).with_for_update())
            await holder.execute(text("SELECT pg_current_xact_id()"))  # an id newer than E's
            await holder.execute(event("task.first"))  # id N
            await writer.execute(event("task.second"))  # id N+1
            await writer.commit()
            await enqueue(e, fast)
        async with unit_of_work(database, write=True) as e2:
            await enqueue(e2, fast)
        await holder.commit()
    async with unit_of_work(database, write=True) as e3:
        await enqueue(e3, fast)
    async with unit_of_work(database, write=False) as s:
        kinds = (
            (
                await s.execute(
                    select(Event.kind)
                    .join(WebhookDelivery, WebhookDelivery.event_id == Event.id)
                    .where(WebhookDelivery.webhook_id == hook_id)
                )
            )
            .scalars()
            .all()
        )
    assert sorted(kinds) == ["task.first", "task.second"]
