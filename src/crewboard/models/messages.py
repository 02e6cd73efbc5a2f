"""Messages between agents and people, and their per-recipient deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, utcnow

_UNREAD = text("read_at IS NULL")


class Message(Base):
    """One message; who received it is in ``deliveries`` (one row per recipient)."""

    __tablename__ = "messages"
    __table_args__ = (
        # Responses find their request by (project, request id).
        Index("ix_messages_project_id_request_id", "project_id", "request_id"),
        # Retention scans old messages.
        Index("ix_messages_created_at", "created_at"),
        # A sender's rate: its messages of the last minute (migration 0013).
        Index("ix_messages_sent", "project_id", "sender", "created_at"),
    )

    # 32-bit on both backends: an id is the inbox cursor (see services/core/pagination.py).
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    sender: Mapped[str] = mapped_column(String(260))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    reply_to: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    approve: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """A message in one recipient's inbox: read and acknowledged or not."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The inbox read: a recipient's messages in a project, after a message id.
        Index("ix_deliveries_inbox", "project_id", "recipient", "message_id"),
        # What a recipient has not read yet: the unread reads and the full-inbox check
        # (migration 0013), without the read history.
        Index(
            "ix_deliveries_unread",
            *("project_id", "recipient", "message_id"),
            sqlite_where=_UNREAD,
            postgresql_where=_UNREAD,
        ),
    )

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    recipient: Mapped[str] = mapped_column(String(260), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]
