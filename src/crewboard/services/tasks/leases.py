"""Lease expiry: work held by an agent that stopped renewing goes back to the queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import utcnow
from crewboard.models.tasks import Task
from crewboard.models.teams import Team
from crewboard.services.core import Actor, record_event
from crewboard.services.messages import SYSTEM_SENDER, Kind, notify
from crewboard.services.tasks.rules import Status

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
        select(
            Task.id,
            Task.project_id,
            Task.number,
            Task.owner,
            Task.version,
            Task.lease_expires_at,
            Task.team_id,
            Task.title,
        )
        .where(Task.status == Status.IN_PROGRESS.value, Task.lease_expires_at < now)
        .order_by(Task.lease_expires_at)
        .limit(_BATCH)
    )
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True, of=Task)
    expired: list[ExpiredLease] = []
    rows = (await session.execute(query)).all()
    for task_id, project_id, number, owner, version, until, team_id, title in rows:
        done = await session.execute(
            update(Task)
            .where(Task.id == task_id, Task.version == version)
            .values(
                status=Status.PENDING.value,
                owner=None,
                lease_expires_at=None,
                version=Task.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(done, "rowcount", 0):
            continue
        record_event(
            session,
            LEASE_ACTOR,
            "task.lease_expired",
            f"task:{number}",
            {"owner": owner, "lease_expires_at": until.isoformat() if until else None},
            project_id=project_id,
        )
        expired.append(ExpiredLease(project_id, number, owner or "", until or now))
        await _tell(session, project_id, number, title, owner, team_id)
    if expired:
        logger.info("handed back %d task(s) whose lease expired", len(expired))
    return expired


async def _tell(
    session: AsyncSession,
    project_id: int,
    number: int,
    title: str,
    owner: str | None,
    team_id: int | None,
) -> None:
    """A ``lease_expired`` message to the former owner and the lead of the task's team."""
    lead = None
    if team_id is not None:
        lead = await session.scalar(
            select(Team.lead).where(Team.id == team_id, Team.deleted_at.is_(None))
        )
    recipients = [name for name in (owner, lead) if name]
    await notify(
        session,
        LEASE_ACTOR,
        project_id=project_id,
        sender=SYSTEM_SENDER,
        recipients=recipients,
        kind=Kind.LEASE_EXPIRED,
        team_id=team_id,
        task=number,
        summary=f"Lease on task #{number} expired",
        body=f"{owner or 'Its owner'} stopped renewing task #{number} ({title}); it is "
        "pending again, unowned.",
    )
