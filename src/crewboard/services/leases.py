"""Lease expiry: work held by an agent that stopped renewing goes back to the queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import utcnow
from crewboard.models.tasks import Task
from crewboard.services import events
from crewboard.services.actor import Actor
from crewboard.services.task_rules import Status

logger = logging.getLogger(__name__)

LEASE_ACTOR = Actor(user_id=None, label="lease-expiry", is_admin=True, is_system=True)
_BATCH = 200


@dataclass(frozen=True, slots=True)
class ExpiredLease:
    """A task handed back: who held it and until when."""

    project_id: int
    number: int
    owner: str
    expired_at: datetime


async def expire_leases(session: AsyncSession, now: datetime | None = None) -> list[ExpiredLease]:
    """Hand back every in-progress task whose lease ran out; each one exactly once.

    Safe with several server processes: candidates are locked with SKIP LOCKED on
    PostgreSQL (SQLite serialises writers), and each hand-back is a compare-and-set on the
    version, so a task that its owner renewed or finished meanwhile is left alone.
    """
    now = now or utcnow()
    query = (
        select(Task.id, Task.project_id, Task.number, Task.owner, Task.version,
               Task.lease_expires_at)
        .where(Task.status == Status.IN_PROGRESS.value, Task.lease_expires_at < now)
        .order_by(Task.lease_expires_at)
        .limit(_BATCH)
    )  # fmt: skip
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True, of=Task)
    expired: list[ExpiredLease] = []
    for task_id, project_id, number, owner, version, until in await session.execute(query):
        done = await session.execute(
            update(Task)
            .where(Task.id == task_id, Task.version == version)
            .values(status=Status.PENDING.value, owner=None, lease_expires_at=None,
                    version=Task.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if not getattr(done, "rowcount", 0):
            continue
        events.record(
            session, LEASE_ACTOR, "task.lease_expired", f"task:{number}",
            {"owner": owner, "lease_expires_at": until.isoformat() if until else None},
            project_id=project_id,
        )  # fmt: skip
        expired.append(ExpiredLease(project_id, number, owner or "", until or now))
    if expired:
        logger.info("handed back %d task(s) whose lease expired", len(expired))
    return expired
