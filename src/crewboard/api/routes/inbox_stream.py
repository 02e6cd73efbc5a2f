"""Your own inbox, live: every message delivered to you as Server-Sent Events.

The SSE ``id`` is the message id, so ``Last-Event-ID`` resumes after the last message
received. The deliveries table is the truth: a ``message.sent`` event naming you only wakes
the stream, which then reads your inbox after the last id it sent. Message ids commit in
order within a project (sends take a per-project lock on PostgreSQL; SQLite has one
writer), so reading "after the last id" never skips a message that committed late.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from crewboard.api.routes.events import (
    KEEPALIVE,
    RETRY_MS,
    STREAM_RESPONSES,
    Check,
    LastEventId,
    access_check,
    live_tail,
    stream_response,
)
from crewboard.api.routes.messages import inbox_message
from crewboard.database import Database
from crewboard.edge.credentials import read_credential
from crewboard.edge.deps import ActorDep, DatabaseDep, SessionDep, SettingsDep
from crewboard.schemas.common import Slug
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.live import EventBus, EventFilter
from crewboard.services.messages import InboxItem, InboxService

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/projects/{slug}", tags=["messages"])

_PAGE = 100


def _sse(item: InboxItem) -> str:
    body = inbox_message(item).model_dump_json()
    return f"id: {item.message.id}\nevent: message\ndata: {body}\n\n"


async def _since(database: Database, actor: Actor, slug: str, after: int) -> list[InboxItem]:
    """Every message of the actor's inbox after ``after``, read or not, in id order."""
    items: list[InboxItem] = []
    cursor: str | None = None
    while True:
        async with unit_of_work(database, write=False) as session:
            page = await InboxService(session).list(
                actor, slug, unread=False, after=after, cursor=cursor, limit=_PAGE
            )
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


async def inbox_stream(
    bus: EventBus,
    actor: Actor,
    slug: str,
    me: str,
    flt: EventFilter,
    after: int,
    *,
    once: bool,
    keepalive: float,
    still_allowed: Check,
) -> AsyncIterator[str]:
    """Replay the inbox after ``after``, then (unless ``once``) follow new deliveries."""
    # Subscribe before the first read, so a message sent in between wakes the stream.
    subscription = None if once else await bus.subscribe(flt, actor.user_id)
    try:
        yield f"retry: {RETRY_MS}\nid: {after}\n: connected\n\n"
        last = after
        for item in await _since(bus.database, actor, slug, last):
            yield _sse(item)
            last = item.message.id
        if subscription is None:
            return
        async for event in live_tail(subscription, keepalive, still_allowed):
            if event is None:
                yield KEEPALIVE
            elif me in event.data.get("recipients", ()):
                for item in await _since(bus.database, actor, slug, last):
                    yield _sse(item)
                    last = item.message.id
    finally:
        if subscription is not None:
            subscription.close()


@router.get(
    "/inbox/stream",
    response_class=StreamingResponse,
    responses=STREAM_RESPONSES,
)
async def stream_inbox(
    slug: Annotated[Slug, Path()],
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    last_event_id: LastEventId = None,
    once: Annotated[bool, Query()] = False,
) -> StreamingResponse:
    """Your own inbox as it fills (``text/event-stream``): ``id`` is the message id,
    ``event`` is ``message``, ``data`` the message as ``GET /inbox`` shows it.
    ``Last-Event-ID`` (or ``after``) replays every message after that id, read or not, then
    streams new ones; without either the stream starts now. ``once=true`` ends after the
    replay. Streaming does not mark anything read."""
    feed = await InboxService(session).feed(actor, slug)
    start = int(last_event_id) if last_event_id is not None else after
    if start is None:
        start = feed.newest_id
    credential = read_credential(request)
    stream = inbox_stream(
        request.app.state.live,
        actor,
        slug,
        feed.address,
        EventFilter(feed.project_id, ("message.sent",)),
        start,
        once=once,
        keepalive=settings.live_keepalive_seconds,
        still_allowed=access_check(
            database, settings, credential.token if credential else "", slug
        ),
    )
    return stream_response(request, actor, stream)
