"""The inbox, message threads, and sending (direct, broadcast, reply, protocol answers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response

from crewboard.services.core import (
    AGENT_NAME_MAX,
    MESSAGE_BODY_MAX,
    MESSAGE_SUMMARY_MAX,
    REQUEST_ID_MAX,
    TEAM_NAME_MAX,
)
from crewboard.services.messages import InboxService, Kind, MessageService, Outgoing
from crewboard.services.teams import TeamService
from crewboard.services.views import DashboardService
from crewboard.web.auth import ViewerDep
from crewboard.web.context import project_context
from crewboard.web.pages.board import Slug
from crewboard.web.render import page, redirect
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MessageId = Annotated[int, Path(ge=1, le=2**62)]
PROTOCOL = frozenset(
    {
        Kind.SHUTDOWN_REQUEST,
        Kind.SHUTDOWN_RESPONSE,
        Kind.PLAN_APPROVAL_REQUEST,
        Kind.PLAN_APPROVAL_RESPONSE,
        Kind.IDLE,
        Kind.TASK_ASSIGNMENT,
        Kind.LEASE_EXPIRED,
    }
)
# What people pick in the send form; responses are sent from a request's own thread.
SENDABLE = (Kind.MESSAGE, Kind.BROADCAST, Kind.SHUTDOWN_REQUEST, Kind.PLAN_APPROVAL_REQUEST)
RESPONSE_OF = {
    Kind.SHUTDOWN_REQUEST.value: Kind.SHUTDOWN_RESPONSE.value,
    Kind.PLAN_APPROVAL_REQUEST.value: Kind.PLAN_APPROVAL_RESPONSE.value,
}


@router.get("/p/{slug}/inbox")
async def inbox(
    request: Request,
    viewer: ViewerDep,
    slug: Slug,
    all: bool = False,
    # No control characters: PostgreSQL text cannot hold a NUL (the query would fail, 500).
    agent: Annotated[
        str | None, Query(max_length=AGENT_NAME_MAX, pattern=r"^[^\x00-\x1f\x7f]*$")
    ] = None,
) -> Response:
    """Your inbox (or, for members, an agent's), unread first-class; with the send form."""
    context = await project_context(viewer, slug, "inbox")
    inboxes = InboxService(viewer.session)
    items = await inboxes.list(viewer.actor, slug, agent=agent or None, unread=not all, limit=200)
    teams = await TeamService(viewer.session, viewer.settings).list(viewer.actor, slug, limit=200)
    context.update(
        items=items.items,
        show_all=all,
        inbox_agent=agent or "",
        address=agent or await inboxes.address(viewer.actor, slug),
        protocol=PROTOCOL,
        sendable=SENDABLE,
        team_names=[t.team.name for t in teams.items],
    )
    return page(request, "inbox.html", context)


@router.get("/p/{slug}/messages/{message_id}")
async def thread(
    request: Request, viewer: ViewerDep, slug: Slug, message_id: MessageId
) -> Response:
    """A message in its thread, with a reply form (and approve/reject for a request)."""
    context = await project_context(viewer, slug, "inbox")
    chain = await DashboardService(viewer.session).thread(viewer.actor, slug, message_id)
    focus = next(view for view in chain if view.message.id == message_id)
    me = await InboxService(viewer.session).address(viewer.actor, slug)
    # Only the request's recipient answers it (the service refuses anyone else anyway).
    answer = RESPONSE_OF.get(focus.message.kind) if me in focus.recipients else None
    context.update(chain=chain, focus=focus, protocol=PROTOCOL, response_kind=answer)
    return page(request, "thread.html", context)


@router.post("/p/{slug}/messages")
async def send(
    viewer: ViewerDep,
    slug: Slug,
    body: Annotated[str, Form(max_length=MESSAGE_BODY_MAX)] = "",
    to: Annotated[str, Form(max_length=300)] = "",
    kind: Annotated[str, Form(max_length=32)] = Kind.MESSAGE.value,
    summary: Annotated[str, Form(max_length=MESSAGE_SUMMARY_MAX)] = "",
    team: Annotated[str, Form(max_length=TEAM_NAME_MAX)] = "",
    reply_to: Annotated[int | None, Form(ge=1)] = None,
    request_id: Annotated[str, Form(max_length=REQUEST_ID_MAX)] = "",
    approve: Annotated[str, Form(pattern="^(|yes|no)$")] = "",
) -> Response:
    """Send as yourself (the service decides who that is); then show the thread."""
    out = Outgoing(
        to=to.strip() or None,
        kind=kind,
        body=body,
        summary=summary.strip() or None,
        team=team.strip() or None,
        reply_to=reply_to,
        request_id=request_id.strip() or None,
        approve=None if not approve else approve == "yes",
    )
    sent = await MessageService(viewer.session, viewer.settings).send(viewer.actor, slug, out)
    return redirect(f"/p/{slug}/messages/{sent.message.id}")


@router.post("/p/{slug}/inbox/read")
async def mark_read(
    viewer: ViewerDep, slug: Slug, up_to: Annotated[int, Form(ge=1, le=2**62)]
) -> Response:
    """Mark your inbox read up to a message."""
    await InboxService(viewer.session).mark_read(viewer.actor, slug, up_to=up_to)
    return redirect(f"/p/{slug}/inbox")
