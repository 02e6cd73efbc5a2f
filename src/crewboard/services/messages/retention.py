"""Message retention: old messages that every recipient has read are deleted."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, exists
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import utcnow
from crewboard.models.messages import Delivery, Message
from crewboard.services.core import Actor, record_event

logger = logging.getLogger(__name__)

RETENTION_ACTOR = Actor(user_id=None, label="message-retention", is_admin=True, is_system=True)


async def prune_messages(session: AsyncSession, days: int, now: datetime | None = None) -> int:
    """Delete the messages older than ``days`` whose deliveries are all read (0: none).

    A message with one unread delivery stays, however old. Replies to a deleted message
    keep their own text; their ``reply_to`` becomes null. Safe in several processes at once
    (a second run finds nothing left to delete).
    """
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    unread = exists().where(Delivery.message_id == Message.id, Delivery.read_at.is_(None))
    gone = (
        await session.execute(
            delete(Message)
            .where(Message.created_at < cutoff, ~unread)
            .returning(Message.project_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    for project_id, count in sorted(Counter(row[0] for row in gone).items()):
        record_event(
            session,
            RETENTION_ACTOR,
            "messages.pruned",
            "messages",
            {"count": count, "before": cutoff.isoformat(), "days": days},
            project_id=project_id,
        )
    if gone:
        logger.info("deleted %d read message(s) older than %d days", len(gone), days)
    return len(gone)
