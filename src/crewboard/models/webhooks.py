"""Outgoing webhooks of a project, their delivery log, and the job cursors over the events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, utcnow


class Webhook(Base):
    """A URL that receives the project's events (those whose kind starts with one of ``kinds``,
    every kind when empty), signed with ``secret``."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    kinds: Mapped[list[str]]
    # Kept in clear: signing needs it (see docs/webhooks.md for the trade-off).
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: pending (maybe retrying), delivered or failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # At most one delivery per (hook, event), whichever process queues it.
        UniqueConstraint("webhook_id", "event_id"),
        # The sender's scan: pending rows by due time.
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    # 32-bit on both backends: an id is the delivery log's page cursor.
    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class JobCursor(Base):
    """How far a background job has read the events table, shared by every server process.

    ``gap_*``: on PostgreSQL, a missing event id the job waits for (it may still commit)
    and the snapshot that tells when it no longer can (see services/core/event_gaps.py).
    """

    __tablename__ = "job_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    gap_id: Mapped[int | None] = mapped_column(BigInteger)
    gap_snapshot: Mapped[str | None] = mapped_column(Text)
    gap_since: Mapped[datetime | None]
