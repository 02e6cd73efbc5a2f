"""The event log: every change records an event in the same transaction.

Events are collected on the session and written with one multi-row INSERT just before the
transaction commits (and dropped if it rolls back). One Core insert at the end costs a
fraction of an ORM flush per event, and an event's id is taken as late as possible, so ids
follow commit order more closely for readers that resume after an id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from crewboard.models import Event, utcnow
from crewboard.services.core.actor import Actor

PENDING_EVENTS = "crewboard.pending_events"
# PostgreSQL channel on which a commit with events wakes every process's live stream.
LIVE_CHANNEL = "crewboard_events"


def record_event(
    session: AsyncSession,
    actor: Actor,
    kind: str,
    subject: str,
    data: dict[str, Any] | None = None,
    *,
    project_id: int | None = None,
) -> None:
    """Add an event to the current transaction (it commits or rolls back with the change)."""
    row = {
        "project_id": project_id,
        "at": utcnow(),
        "actor": actor.label,
        "kind": kind,
        "subject": subject,
        "data": data or {},
    }
    session.sync_session.info.setdefault(PENDING_EVENTS, []).append(row)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    rows = session.info.pop(PENDING_EVENTS, None)
    if rows:
        connection = session.connection()
        connection.execute(insert(Event), rows)
        if connection.dialect.name == "postgresql":
            # Delivered when (and only if) this transaction commits; see services/live/bus.py.
            connection.execute(select(func.pg_notify(LIVE_CHANNEL, "")))


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_EVENTS, None)
