"""The event log: written in the same transaction as every change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, BigId, utcnow


class Event(Base):
    """One change: who did what to which subject. Project-less events are instance-level."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_project_id_id", "project_id", "id"),
        # A task's history: its events in order.
        Index("ix_events_project_id_subject_id", "project_id", "subject", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
