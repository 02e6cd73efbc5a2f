"""How much one sender may send and one inbox may hold (database-wide, so every server
process and the CLI see the same counts).

- ``messages_per_minute``: messages one sender (an agent, a person) sends in a project
  within the last 60 s; past it, 429 ``rate-limited`` with ``Retry-After`` (when the oldest
  of them leaves the minute).
- ``inbox_max_unread``: unread messages an inbox may hold; a message to a full inbox is
  refused (409 ``inbox-full``), for every recipient at once, so nothing is half-delivered.
  Notices from crewboard's own rules (task assignment, lease expiry) are not refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import utcnow
from crewboard.models.messages import Delivery, Message
from crewboard.services.core import Conflict, RateLimited

WINDOW = timedelta(minutes=1)


async def check_send(
    session: AsyncSession,
    settings: Settings,
    project_id: int,
    sender: str,
    recipients: Sequence[str],
) -> None:
    """Refuse a message past the sender's rate or into a full inbox."""
    now = utcnow()
    recent = (
        await session.execute(
            select(func.count(), func.min(Message.created_at)).where(
                Message.project_id == project_id,
                Message.sender == sender,
                Message.created_at > now - WINDOW,
            )
        )
    ).one()
    count, oldest = int(recent[0] or 0), recent[1]
    if count >= settings.messages_per_minute and oldest is not None:
        wait = (oldest + WINDOW - now).total_seconds()
        raise RateLimited(
            f"{sender} sent {count} messages in the last minute (at most "
            f"{settings.messages_per_minute}); wait and send again",
            retry_after=max(1, math.ceil(wait)),
        )
    unread = (
        select(Delivery.recipient, func.count())
        .where(
            Delivery.project_id == project_id,
            Delivery.recipient.in_(list(dict.fromkeys(recipients))),
            Delivery.read_at.is_(None),
        )
        .group_by(Delivery.recipient)
    )
    for recipient, held in (await session.execute(unread)).all():
        if held >= settings.inbox_max_unread:
            raise Conflict(
                f"{recipient}'s inbox is full ({held} unread messages); it must read some "
                "before it can take more",
                code="inbox-full",
            )
