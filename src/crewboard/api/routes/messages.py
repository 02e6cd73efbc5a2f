"""Messages (send, read one) and inboxes (list, mark read, acknowledge)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.edge.deps import ActorDep, CallDep, SessionDep
from crewboard.schemas.common import AgentName, Cursor, Limit, Page, Slug
from crewboard.schemas.messages import (
    InboxMark,
    InboxMarked,
    InboxMessage,
    MessageId,
    MessageRead,
    MessageSend,
)
from crewboard.services.messages import (
    InboxItem,
    InboxService,
    MessageService,
    MessageView,
    Outgoing,
)

router = APIRouter(prefix="/projects/{slug}", tags=["messages"])
SlugPath = Annotated[Slug, Path()]
IdPath = Annotated[MessageId, Path()]


def message_read(view: MessageView) -> MessageRead:
    """A message as the API shows it."""
    m = view.message
    return MessageRead(
        id=m.id,
        kind=m.kind,
        sender=m.sender,
        recipients=view.recipients,
        team=view.team,
        body=m.body,
        summary=m.summary,
        request_id=m.request_id,
        reply_to=m.reply_to,
        approve=m.approve,
        created_at=m.created_at,
    )


def inbox_message(item: InboxItem) -> InboxMessage:
    """A message of an inbox as the API shows it."""
    m, d = item.message, item.delivery
    return InboxMessage(
        id=m.id,
        kind=m.kind,
        sender=m.sender,
        team=item.team,
        body=m.body,
        summary=m.summary,
        request_id=m.request_id,
        reply_to=m.reply_to,
        approve=m.approve,
        created_at=m.created_at,
        read_at=d.read_at,
        acked_at=d.acked_at,
    )


@router.post("/messages", status_code=status.HTTP_201_CREATED)
async def send_message(
    slug: SlugPath,
    body: MessageSend,
    call: CallDep,
) -> MessageRead:
    """Send a message as yourself (agents, members, owners; never viewers). Past
    ``CREWBOARD_MESSAGES_PER_MINUTE`` for the sender, 429; to a full inbox, 409
    ``inbox-full``."""
    out = Outgoing(
        to=body.to,
        kind=body.kind,
        body=body.body,
        summary=body.summary,
        team=body.team,
        reply_to=body.reply_to,
        request_id=body.request_id,
        approve=body.approve,
    )
    service = MessageService(call.session, call.settings)
    return message_read(await service.send(call.actor, slug, out))


@router.get("/messages/{message_id}")
async def get_message(
    slug: SlugPath, message_id: IdPath, actor: ActorDep, session: SessionDep
) -> MessageRead:
    """One message: for its sender and recipients (members and owners: any agent's)."""
    return message_read(await MessageService(session).get(actor, slug, message_id))


@router.get("/inbox")
async def read_inbox(
    slug: SlugPath,
    call: CallDep,
    every: Annotated[bool, Query(alias="all")] = False,
    after: Annotated[MessageId | None, Query()] = None,
    agent: Annotated[AgentName | None, Query()] = None,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[InboxMessage]:
    """Your inbox in message-id order: unread messages (``all=true``: every one), after a
    message id. Members and owners may name an ``agent`` to read its inbox."""
    page = await InboxService(call.session).list(
        call.actor, slug, agent=agent, unread=not every, after=after, cursor=cursor, limit=limit
    )
    return Page[InboxMessage](
        items=[inbox_message(i) for i in page.items], next_cursor=page.next_cursor
    )


@router.post("/inbox/read")
async def mark_read(
    slug: SlugPath, body: InboxMark, actor: ActorDep, session: SessionDep
) -> InboxMarked:
    """Mark messages of your inbox read: ``ids``, or all up to ``up_to``."""
    marked = await InboxService(session).mark_read(actor, slug, ids=body.ids, up_to=body.up_to)
    return InboxMarked(marked=marked)


@router.post("/inbox/{message_id}/ack")
async def acknowledge(
    slug: SlugPath, message_id: IdPath, actor: ActorDep, session: SessionDep
) -> InboxMessage:
    """Acknowledge a message of your inbox (it counts as read too)."""
    return inbox_message(await InboxService(session).acknowledge(actor, slug, message_id))
