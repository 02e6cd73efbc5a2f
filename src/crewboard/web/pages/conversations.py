"""The project's conversation at a glance: who asked whom for what, threads together, the
protocol's messages (shutdown, plan approval, assignments, expired leases) said in words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response

from crewboard.services.messages import MessageService, MessageView
from crewboard.web.auth import ViewerDep
from crewboard.web.context import project_context
from crewboard.web.pages.board import Slug
from crewboard.web.render import page
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

SHOWN = 200  # the newest messages read for the page
SAYS = {
    "broadcast": "tells the team",
    "shutdown_request": "asks to shut down",
    "plan_approval_request": "asks for approval of a plan",
    "idle": "is idle",
    "task_assignment": "hands over a task",
    "lease_expired": "reports a lease that ran out",
}
ANSWERS = {
    ("shutdown_response", True): "agrees to shut down",
    ("shutdown_response", False): "refuses to shut down",
    ("plan_approval_response", True): "approves the plan",
    ("plan_approval_response", False): "rejects the plan",
}


@dataclass(frozen=True, slots=True)
class Line:
    """One message of a conversation, as a person reads it."""

    view: MessageView
    says: str
    text: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """A thread: its first message, then the answers, oldest first."""

    lines: list[Line]
    last: datetime
    parties: list[str]


def says(view: MessageView) -> str:
    """What a message does, in words ('' for a plain message)."""
    message = view.message
    if message.approve is not None:
        return ANSWERS.get((message.kind, bool(message.approve)), "")
    return SAYS.get(message.kind, "")


def text_of(view: MessageView) -> str:
    """The body as a person reads it: a JSON object (a protocol payload) as its fields."""
    body = view.message.body or view.message.summary or ""
    if not body.lstrip().startswith("{"):
        return body
    try:
        fields = json.loads(body)
    except ValueError:
        return body
    if not isinstance(fields, dict):
        return body
    return "; ".join(f"{k}: {v}" for k, v in fields.items() if v not in (None, "", [], {}))


def conversations(views: list[MessageView]) -> list[Conversation]:
    """Messages grouped by thread (a reply joins the thread of the message it answers),
    the most recently active first."""
    by_id = {v.message.id: v for v in views}
    root_of: dict[int, int] = {}
    for view in sorted(views, key=lambda v: v.message.id):
        parent = view.message.reply_to
        root_of[view.message.id] = (
            root_of.get(parent, parent) if parent in by_id else view.message.id
        )
    threads: dict[int, list[MessageView]] = {}
    for message_id, root in root_of.items():
        threads.setdefault(root, []).append(by_id[message_id])
    found = []
    for members in threads.values():
        members.sort(key=lambda v: v.message.id)
        parties = sorted({p for v in members for p in (v.message.sender, *v.recipients)})
        lines = [Line(v, says(v), text_of(v)) for v in members]
        found.append(Conversation(lines, members[-1].message.created_at, parties))
    found.sort(key=lambda c: c.lines[-1].view.message.id, reverse=True)
    return found


@router.get("/p/{slug}/conversations")
async def conversation_view(request: Request, viewer: ViewerDep, slug: Slug) -> Response:
    """Every conversation of the project the viewer may read (the messages service's rule)."""
    context = await project_context(viewer, slug, "conversations")
    views = await MessageService(viewer.session).readable(viewer.actor, slug, limit=SHOWN)
    context.update(conversations=conversations(views), shown=SHOWN, count=len(views))
    return page(request, "conversations.html", context)
