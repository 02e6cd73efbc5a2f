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

from sqlalchemy import Select, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from crewboard.config import Settings
from crewboard.database.statements import Statement, fetch
from crewboard.models import utcnow
from crewboard.models.messages import Delivery, Message
from crewboard.services.core import Conflict, RateLimited

WINDOW = timedelta(minutes=1)


def _sent_since() -> ColumnElement[bool]:
    return (
        (Message.project_id == bindparam("p_project"))
        & (Message.sender == bindparam("p_sender"))
        & (Message.created_at > bindparam("p_since"))
    )


def _capped(query: Select[int], cap: str) -> ScalarSelect[int]:
    """How many rows ``query`` finds, counting no further than the limit ``cap`` names: a
    limit is all a check needs to know, and counting past it cost time with every message."""
    return (
        select(func.count()).select_from(query.limit(bindparam(cap)).subquery()).scalar_subquery()
    )


# A direct message (one recipient), the common case: both limits in one statement, each read
# on its own index (migration 0013) and only as far as the limit.
_ONE_RECIPIENT = Statement(
    select(
        _capped(select(literal(1)).where(_sent_since()), "p_rate").label("sent"),
        select(func.min(Message.created_at)).where(_sent_since()).scalar_subquery().label("oldest"),
        _capped(
            select(literal(1)).where(
                Delivery.project_id == bindparam("p_project"),
                Delivery.recipient == bindparam("p_recipient"),
                Delivery.read_at.is_(None),
            ),
            "p_inbox",
        ).label("unread"),
    )
)


async def check_send(
    session: AsyncSession,
    settings: Settings,
    project_id: int,
    sender: str,
    recipients: Sequence[str],
) -> None:
    """Refuse a message past the sender's rate or into a full inbox."""
    now = utcnow()
    params = {"p_project": project_id, "p_sender": sender, "p_since": now - WINDOW}
    unique = list(dict.fromkeys(recipients))
    held: list[tuple[str, int]]
    if len(unique) == 1:
        caps = {"p_rate": settings.messages_per_minute, "p_inbox": settings.inbox_max_unread}
        (row,) = await fetch(session, _ONE_RECIPIENT, {**params, **caps, "p_recipient": unique[0]})
        count, oldest, held = int(row.sent or 0), row.oldest, [(unique[0], int(row.unread or 0))]
    else:
        recent = (
            await session.execute(
                select(func.count(), func.min(Message.created_at)).where(_sent_since()), params
            )
        ).one()
        count, oldest = int(recent[0] or 0), recent[1]
        unread = (
            select(Delivery.recipient, func.count())
            .where(
                Delivery.project_id == project_id,
                Delivery.recipient.in_(unique),
                Delivery.read_at.is_(None),
            )
            .group_by(Delivery.recipient)
        )
        held = [(name, int(n)) for name, n in (await session.execute(unread)).all()]
    if count >= settings.messages_per_minute and oldest is not None:
        wait = (oldest + WINDOW - now).total_seconds()
        raise RateLimited(
            f"{sender} has sent its {settings.messages_per_minute} messages of the last "
            "minute (the most it may); wait and send again",
            retry_after=max(1, math.ceil(wait)),
        )
    for recipient, unread_count in held:
        if unread_count >= settings.inbox_max_unread:
            raise Conflict(
                f"{recipient}'s inbox is full (it holds the {settings.inbox_max_unread} unread "
                "messages it may); it must read some before it can take more",
                code="inbox-full",
            )
