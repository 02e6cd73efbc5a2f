"""The live stream: a project's events as Server-Sent Events, resumable by ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.credentials import read_credential
from crewboard.edge.deps import ActorDep, DatabaseDep, SessionDep, SettingsDep
from crewboard.edge.rate import Budgets
from crewboard.schemas.common import Slug
from crewboard.services.accounts import AuthService
from crewboard.services.core import Actor, DomainError, unit_of_work
from crewboard.services.live import (
    BATCH,
    EventBus,
    EventFilter,
    LiveEvent,
    Subscription,
    replay,
)
from crewboard.services.projects import ProjectService

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/projects/{slug}", tags=["events"])

# An event kind or a prefix of one: "task.", "task.updated", "message".
KindPrefix = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,63}$")]
EventId = Annotated[int, Query(ge=0, le=2**63 - 1)]
RETRY_MS = 2000  # what a browser's EventSource waits before reconnecting
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE = ": keep-alive\n\n"
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "An SSE stream"}
}
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,18}$")]

Check = Callable[[], Awaitable[bool]]


def sse_message(event: LiveEvent) -> str:
    """One SSE message (JSON never holds a raw newline, so ``data`` is one line)."""
    body = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {body}\n\n"


def end_streams(app: FastAPI) -> None:
    """End every open stream of the app (called as the server starts shutting down)."""
    bus: EventBus | None = getattr(app.state, "live", None)
    if bus is not None:
        bus.end_streams("shutdown")


async def live_tail(
    subscription: Subscription, keepalive: float, still_allowed: Check
) -> AsyncIterator[LiveEvent | None]:
    """A subscription's events as they come, and None whenever a keep-alive is due. Ends when
    the bus ends the subscription or the credential has lost access: that is re-checked on
    a wall-clock schedule (every ``keepalive`` seconds, however busy the stream) and at once
    when the bus sees an access event (a revocation), before anything more is sent."""
    loop = asyncio.get_running_loop()
    due = loop.time() + keepalive
    while True:
        try:
            event = await subscription.next(max(0.0, due - loop.time()))
        except TimeoutError:
            event = None
            idle = True
        else:
            if event is None:
                return
            idle = False
        scheduled = loop.time() >= due
        if subscription.recheck_due() or scheduled:
            if not await still_allowed():
                return
            if scheduled:
                due = loop.time() + keepalive
        if idle:
            if scheduled:
                yield None
            continue
        yield event


async def event_stream(
    bus: EventBus,
    flt: EventFilter,
    after: int | None,
    *,
    once: bool,
    keepalive: float,
    still_allowed: Check,
    user_id: int | None,
) -> AsyncIterator[str]:
    """Replay the stored events after ``after``, then (unless ``once``) follow live ones."""
    subscription = None if once else await bus.subscribe(flt, user_id)
    try:
        upto = await bus.cursor() if subscription is None else subscription.start
        # A message without data moves the client's last event id without firing an event:
        # a client that joined "now" and drops before any event resumes from here.
        yield f"retry: {RETRY_MS}\nid: {upto if after is None else after}\n: connected\n\n"
        last = after
        while last is not None:
            batch = await replay(bus.database, flt, last, upto)
            for stored in batch:
                yield sse_message(stored)
            last = batch[-1].id if len(batch) == BATCH else None
        if subscription is not None:
            async for event in live_tail(subscription, keepalive, still_allowed):
                yield KEEPALIVE if event is None else sse_message(event)
    finally:
        if subscription is not None:
            subscription.close()


def stream_response(
    request: Request, actor: Actor, stream: AsyncIterator[str]
) -> StreamingResponse:
    """The SSE response, within the credential's open-stream cap (429 at it).

    The stream is counted once it starts and uncounted when it ends, however it ends: a
    response thrown away before its first byte (a failed commit, a client gone) was never
    counted, so nothing can leak."""
    budgets: Budgets = request.app.state.budgets
    key = actor.session_id
    if key is None:
        return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
    budgets.check_stream(key)

    async def counted() -> AsyncIterator[str]:
        budgets.open_stream(key)
        try:
            async for chunk in stream:
                yield chunk
        finally:
            budgets.close_stream(key)
            await stream.aclose()  # type: ignore[attr-defined]

    return StreamingResponse(counted(), media_type="text/event-stream", headers=SSE_HEADERS)


def access_check(database: Database, settings: Settings, token: str, slug: str) -> Check:
    """Whether the stream's credential may still read the project (see ``live_tail``)."""

    async def check() -> bool:
        try:
            async with unit_of_work(database, write=False) as session:
                found = await AuthService(session, settings).authenticate(token)
                await ProjectService(session).access(found.actor, slug)
        except DomainError as exc:
            logger.info("live stream of %s ended: %s", slug, exc.message)
            return False
        return True

    return check


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses=STREAM_RESPONSES,
)
async def stream_events(
    slug: Annotated[Slug, Path()],
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    kind: Annotated[list[KindPrefix] | None, Query(max_length=20)] = None,
    # No control characters: PostgreSQL text cannot hold a NUL (the query would fail, 500).
    subject: Annotated[
        str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    ] = None,
    after: EventId | None = None,
    last_event_id: LastEventId = None,
    once: Annotated[bool, Query()] = False,
) -> StreamingResponse:
    """The project's events (``text/event-stream``): ``id`` is the event id, ``event`` its kind,
    ``data`` the event as JSON. ``kind`` (repeatable) keeps kinds starting with a prefix,
    ``subject`` one subject. ``Last-Event-ID`` (or ``after``) replays what followed that id,
    then streams live; without either the stream starts now. ``once=true`` sends the replay
    and ends. Any project member (viewer and up) may listen.
    """
    access = await ProjectService(session).access(actor, slug)
    credential = read_credential(request)
    token = credential.token if credential is not None else ""
    start = int(last_event_id) if last_event_id is not None else after
    if start is None and not once:
        # "Now" is this moment, not the later one when the body starts (after the headers,
        # which a client already takes as "connected"): what commits in between is replayed.
        start = await request.app.state.live.cursor()
    stream = event_stream(
        request.app.state.live,
        EventFilter(access.project.id, tuple(kind or ()), subject),
        start,
        once=once,
        keepalive=settings.live_keepalive_seconds,
        still_allowed=access_check(database, settings, token, slug),
        user_id=actor.user_id,
    )
    return stream_response(request, actor, stream)
