"""Writing messages and their deliveries, without permission checks: the shared bottom of
``MessageService`` and of the notices the task flow and the lease job send.

Addresses: an agent is its roster name (``backend``), a person is ``@`` and their e-mail
(``@ada@example.com``), crewboard itself is ``#crewboard``. The three cannot collide: agent
names start with a letter or digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.database.statements import Statement, adopt, fetch
from crewboard.models import User, utcnow
from crewboard.models.messages import Delivery, Message
from crewboard.services.core import MESSAGE_BODY_MAX, MESSAGE_SUMMARY_MAX, Actor, record_event

SYSTEM_SENDER = "#crewboard"
HUMAN_PREFIX = "@"
BODY_MAX = MESSAGE_BODY_MAX
SUMMARY_MAX = MESSAGE_SUMMARY_MAX
# Key of the PostgreSQL advisory lock that orders the sends of one project (see ``deliver``).
_SEND_LOCK = 0x6D736773  # "msgs"
_MESSAGES = cast(Table, Message.__table__)
_DELIVERIES = cast(Table, Delivery.__table__)
_SEND_TURN = Statement(
    select(func.pg_advisory_xact_lock(bindparam("p_lock"), bindparam("p_project")).label("held"))
)
# Every column named: no Python-side default runs on the driver.
_MESSAGE_ROW = (
    insert(_MESSAGES)
    .values({c.key: bindparam(f"p_{c.key}") for c in _MESSAGES.c if c.key != "id"})
    .returning(*_MESSAGES.c)
)
_INSERT_MESSAGE = Statement(_MESSAGE_ROW)
_INSERT_DELIVERY = Statement(
    insert(_DELIVERIES).values(
        message_id=bindparam("p_message_id"),
        recipient=bindparam("p_recipient"),
        project_id=bindparam("p_project_id"),
        read_at=None,
        acked_at=None,
    )
)
# PostgreSQL, one recipient: the message and its delivery in one statement. A send holds the
# project's send lock until it commits, so every round trip saved shortens every sender's wait.
_written = _MESSAGE_ROW.cte("written")
_INSERT_MESSAGE_DELIVERED = Statement(
    select(_written).add_cte(
        insert(_DELIVERIES)
        .from_select(
            ["message_id", "recipient", "project_id", "read_at", "acked_at"],
            select(
                _written.c.id,
                bindparam("p_recipient", type_=_DELIVERIES.c.recipient.type),
                _written.c.project_id,
                null(),
                null(),
            ),
        )
        .cte("delivered")
    )
)


class Kind(StrEnum):
    """What a message is. The last three are sent by crewboard itself."""

    MESSAGE = "message"
    BROADCAST = "broadcast"
    SHUTDOWN_REQUEST = "shutdown_request"
    SHUTDOWN_RESPONSE = "shutdown_response"
    PLAN_APPROVAL_REQUEST = "plan_approval_request"
    PLAN_APPROVAL_RESPONSE = "plan_approval_response"
    IDLE = "idle"
    TASK_ASSIGNMENT = "task_assignment"
    LEASE_EXPIRED = "lease_expired"


SYSTEM_KINDS = frozenset({Kind.TASK_ASSIGNMENT, Kind.LEASE_EXPIRED})
# Each request kind and the response kind that answers it.
REQUESTS = {
    Kind.SHUTDOWN_REQUEST: Kind.SHUTDOWN_RESPONSE,
    Kind.PLAN_APPROVAL_REQUEST: Kind.PLAN_APPROVAL_RESPONSE,
}
RESPONSES = {response: request for request, response in REQUESTS.items()}


def is_agent_address(address: str) -> bool:
    """True for a roster agent's address (not a person, not crewboard)."""
    return not address.startswith((HUMAN_PREFIX, "#"))


async def address_of(session: AsyncSession, actor: Actor, agent_name: str | None) -> str:
    """The address an actor sends from and reads the inbox of."""
    if agent_name is not None:
        return agent_name
    if actor.user_id is None:
        return SYSTEM_SENDER
    email = await session.scalar(select(User.email).where(User.id == actor.user_id))
    return HUMAN_PREFIX + (email or actor.label)


async def deliver(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: int,
    sender: str,
    recipients: Sequence[str],
    kind: Kind,
    body: str,
    summary: str | None = None,
    team_id: int | None = None,
    request_id: str | None = None,
    reply_to: int | None = None,
    approve: bool | None = None,
    about: dict[str, Any] | None = None,
) -> Message:
    """Write a message, one delivery per recipient and its event, in the caller's transaction.

    On PostgreSQL the sends of a project take turns (an advisory lock held until commit), so
    message ids are committed in order and a reader resuming ``after`` an id misses nothing;
    SQLite serialises every writer already.
    """
    # The lock, the message and a single delivery run on the driver (database/statements.py).
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        await fetch(session, _SEND_TURN, {"p_lock": _SEND_LOCK, "p_project": project_id})
    values = {
        "project_id": project_id,
        "team_id": team_id,
        "sender": sender,
        "kind": kind.value,
        "body": body,
        "summary": summary,
        "request_id": request_id,
        "reply_to": reply_to,
        "approve": approve,
        "created_at": utcnow(),
    }
    params = {f"p_{k}": v for k, v in values.items()}
    unique = list(dict.fromkeys(recipients))
    if len(unique) == 1 and postgresql:
        delivered = params | {"p_recipient": unique[0]}
        (row,) = await fetch(session, _INSERT_MESSAGE_DELIVERED, delivered)
        message = adopt(session, Message, row)
    else:
        (row,) = await fetch(session, _INSERT_MESSAGE, params)
        message = adopt(session, Message, row)
        deliveries = [
            {"message_id": message.id, "recipient": r, "project_id": project_id} for r in unique
        ]
        if len(deliveries) == 1:
            (one,) = deliveries
            await fetch(session, _INSERT_DELIVERY, {f"p_{k}": v for k, v in one.items()})
        else:
            await session.execute(insert(Delivery), deliveries)
    # The body stays out of the event log: every project reader sees events, while a
    # message is its sender's and recipients' (docs/messages.md).
    data: dict[str, Any] = {"kind": kind.value, "sender": sender, "recipients": unique}
    for key, value in (("request_id", request_id), ("reply_to", reply_to), ("approve", approve)):
        if value is not None:
            data[key] = value
    record_event(
        session,
        actor,
        "message.sent",
        f"message:{message.id}",
        {**data, **(about or {})},
        project_id=project_id,
    )
    return message


async def notify(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: int,
    sender: str,
    recipients: Sequence[str],
    kind: Kind,
    summary: str,
    body: str,
    team_id: int | None = None,
    task: int | None = None,
) -> Message | None:
    """A notice from crewboard's own rules (task assignment, lease expiry); none without
    recipients."""
    if not recipients:
        return None
    return await deliver(
        session,
        actor,
        project_id=project_id,
        sender=sender,
        recipients=recipients,
        kind=kind,
        body=body,
        summary=summary[:SUMMARY_MAX],
        team_id=team_id,
        about={"task": task} if task is not None else None,
    )
