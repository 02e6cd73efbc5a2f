"""The event log: every change records an event in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Event
from crewboard.services.actor import Actor


def record(
    session: AsyncSession,
    actor: Actor,
    kind: str,
    subject: str,
    data: dict[str, Any] | None = None,
    *,
    project_id: int | None = None,
) -> Event:
    """Add an event row to the current transaction (it commits or rolls back with the change)."""
    event = Event(
        project_id=project_id, actor=actor.label, kind=kind, subject=subject, data=data or {}
    )
    session.add(event)
    return event
