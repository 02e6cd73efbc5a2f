"""The live event bus: one poller per server process reads new ``events`` rows in id order
and fans them out to the open streams (see docs/live.md).

The events table is the only source of truth, so writes by any process (a CLI on the same
SQLite file, another server on the same PostgreSQL) reach every stream. PostgreSQL wakes the
poller at once with NOTIFY; SQLite is polled every ``live_poll_ms``.

Ordering: the bus hands out events in id order and only past a *final* cursor: every id at
or below it that will ever exist is visible. On PostgreSQL a sequence id can commit after a
higher one, so a missing id (a hole) holds delivery back until every transaction that was
running when the hole was seen has ended (then the id is visible or will never be), at most
``live_gap_max_seconds``. On SQLite writers commit one at a time, so holes are final.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.database.listen import Listener
from crewboard.models import Event
from crewboard.services.core import LIVE_CHANNEL, MARK_PASSED, NEW_MARK, WROTE_EVENTS

logger = logging.getLogger(__name__)

BATCH = 500
_EVENTS = Event.__table__
_GAP_RETRY_SECONDS = 0.02
# How long a stopping bus waits for its tasks to finish what they are doing.
_STOP_SECONDS = 5.0
_RETRY_SECONDS = 1.0
# Events that may take a stream's right away (a credential revoked, a user disabled or
# password-changed, a membership or an agent removed or changed): each open stream they may
# concern re-checks its credential before it sends anything more. They come through the
# events table, so a revocation by any process reaches every server's streams.
ACCESS_KINDS = frozenset(
    {"token.revoked", "user.updated", "member.removed", "member.updated", "agent.removed"}
)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One committed event, as streams send it."""

    id: int
    project_id: int | None
    at: datetime
    actor: str
    kind: str
    subject: str
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The event's wire form (the SSE ``data`` field)."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "kind": self.kind,
            "subject": self.subject,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events of one project a stream wants: kinds by prefix (``task.``), a subject."""

    project_id: int
    kinds: tuple[str, ...] = ()
    subject: str | None = None

    def matches(self, event: LiveEvent) -> bool:
        """Whether the event belongs to this stream."""
        if event.project_id != self.project_id:
            return False
        if self.kinds and not event.kind.startswith(self.kinds):
            return False
        return self.subject is None or event.subject == self.subject


def _live_event(row: Any) -> LiveEvent:
    return LiveEvent(row.id, row.project_id, row.at, row.actor, row.kind, row.subject, row.data)


async def replay(
    database: Database, flt: EventFilter, after: int, upto: int, limit: int = BATCH
) -> list[LiveEvent]:
    """Stored events of the filter with ``after < id <= upto``, in id order, at most ``limit``."""
    query = (
        select(_EVENTS)
        .where(_EVENTS.c.project_id == flt.project_id, _EVENTS.c.id > after)
        .where(_EVENTS.c.id <= upto)
        .order_by(_EVENTS.c.id)
        .limit(limit)
    )
    if flt.subject is not None:
        query = query.where(_EVENTS.c.subject == flt.subject)
    if flt.kinds:
        starts = [_EVENTS.c.kind.startswith(kind, autoescape=True) for kind in flt.kinds]
        query = query.where(or_(*starts))
    async with database.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_live_event(row) for row in rows]


class Subscription:
    """One open stream's queue. ``start`` is the bus cursor when it joined: everything after
    it arrives here, everything up to it is in the table."""

    def __init__(
        self, bus: EventBus, flt: EventFilter, size: int, start: int, user_id: int | None
    ) -> None:
        self.filter = flt
        self.start = start
        self.user_id = user_id  # whose credential reads it (None: no person behind it)
        self.ended: str | None = None  # why the stream must end: "overflow", "shutdown"
        self._bus = bus
        self._queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(size)
        self._recheck = False
        self._woken = asyncio.Event()

    def offer(self, event: LiveEvent) -> None:
        """Queue an event; a full queue ends the stream (the client resumes from its last id)."""
        if self.ended is not None:
            return
        if self._queue.full():
            logger.info("live stream fell %d events behind; ending it", self._queue.qsize())
            self.end("overflow")
            return
        self._queue.put_nowait(event)

    def end(self, reason: str) -> None:
        """End the stream once it has sent what is queued."""
        if self.ended is None:
            self.ended = reason
            if not self._queue.full():  # a full queue means the reader is not waiting
                self._queue.put_nowait(None)

    def recheck(self) -> None:
        """Ask the reader to re-check its credential before it sends anything more."""
        self._recheck = True
        self._woken.set()

    def recheck_due(self) -> bool:
        """Whether a re-check was asked for since the last call (and clear the request)."""
        due, self._recheck = self._recheck, False
        self._woken.clear()
        return due

    async def next(self, seconds: float) -> LiveEvent | None:
        """The next event; None when the stream has ended. TimeoutError after ``seconds``,
        or at once when a re-check is asked for while waiting (see ``recheck_due``)."""
        if self.ended is not None and self._queue.empty():
            return None
        if not self._queue.empty() or self._recheck:
            if self._recheck:
                raise TimeoutError
            return self._queue.get_nowait()
        getting = asyncio.ensure_future(self._queue.get())
        woken = asyncio.ensure_future(self._woken.wait())
        try:
            done, _ = await asyncio.wait(
                {getting, woken}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            woken.cancel()
            getting.cancel()  # a no-op once it has its item; else the item stays queued
        if getting in done:
            return getting.result()
        raise TimeoutError

    def close(self) -> None:
        """Leave the bus."""
        self._bus.unsubscribe(self)


@dataclass(slots=True)
class _Gap:
    """A missing id below a visible one: held back until it is final."""

    first: int  # the missing id
    seen: int  # the visible id above it
    since: float
    mark: str | None  # PostgreSQL mark taken after the hole was seen (core/event_gaps.py)


# Waking from idle, the most ids read to check that none is missing (``_resume``).
_RESUME_MAX = 10_000


class EventBus:
    """One poller and its subscribers, for one process and database."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self._interval = settings.live_poll_ms / 1000
        self._queue_size = settings.live_queue_size
        self._gap_max = settings.live_gap_max_seconds
        self._pg = not database.is_sqlite
        self._cursor = 0
        self._resumable = False
        self._gap: _Gap | None = None
        self._subscribers: dict[int, set[Subscription]] = {}
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        # Set when someone wants the bus (a subscriber joining, a cursor asked): while nobody
        # listens the bus does not poll at all (issue 18: every commit woke a poll).
        self._wanted = asyncio.Event()
        self._listener = Listener(
            database, LIVE_CHANNEL, self.wake, retry_seconds=_RETRY_SECONDS * 5
        )

    def start(self) -> None:
        """Start polling (and, on PostgreSQL, listening)."""
        self._loop = asyncio.get_running_loop()
        _BUSES.add(self)
        self._tasks.append(asyncio.create_task(self._run(), name="crewboard-live-poller"))
        if self._pg:
            listen = self._listener.run(self._stopping)
            self._tasks.append(asyncio.create_task(listen, name="crewboard-live-listen"))

    async def stop(self) -> None:
        """End every stream and stop the tasks."""
        _BUSES.discard(self)
        self.end_streams("shutdown")
        # Ask first, cancel only a task that does not stop in time: cancelling asyncpg in
        # the middle of connecting leaves a future with an unretrieved error behind.
        self._stopping.set()
        self._wake.set()
        self._wanted.set()
        self._listener.interrupt()
        _, late = await asyncio.wait(self._tasks, timeout=_STOP_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def end_streams(self, reason: str) -> None:
        """End every open stream (server shutdown: uvicorn waits for open responses)."""
        for group in self._subscribers.values():
            for subscription in group:
                subscription.end(reason)

    async def cursor(self) -> int:
        """The final cursor, once the bus has read what committed before this call: every
        event id up to it that will ever exist is visible."""
        await self._caught_up()
        return self._cursor

    async def subscribe(self, flt: EventFilter, user_id: int | None = None) -> Subscription:
        """Join: events after the returned subscription's ``start`` arrive on it (the start is
        read after what committed before this call, unless an older id is still in flight).
        ``user_id`` is the person whose credential reads the stream (for re-checks)."""
        await self._caught_up()
        subscription = Subscription(self, flt, self._queue_size, self._cursor, user_id)
        self._subscribers.setdefault(flt.project_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Leave (idempotent)."""
        group = self._subscribers.get(subscription.filter.project_id)
        if group is not None:
            group.discard(subscription)
            if not group:
                del self._subscribers[subscription.filter.project_id]

    async def _caught_up(self) -> None:
        """Wait for a poll that starts after this call."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wanted.set()
        self.wake()
        await waiter

    def wake(self) -> None:
        """Poll now (NOTIFY arrived, or this process committed events)."""
        self._wake.set()

    def wake_threadsafe(self) -> None:
        """``wake`` from any thread (the commit may run on another event loop)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            waiters, self._waiters = self._waiters, []
            fresh = True  # this round read the newest id after the waiters asked
            try:
                if not self._ready.is_set():
                    fresh = await self._settle()
                else:
                    await self._poll()
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("live poller: %s; retrying in %.0f s", exc, _RETRY_SECONDS)
                self._waiters.extend(waiters)
                with contextlib.suppress(TimeoutError):  # a stop request ends the pause
                    await asyncio.wait_for(self._stopping.wait(), _RETRY_SECONDS)
                continue
            if self._ready.is_set() and fresh:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
            else:
                # A settle that ended on an id read in an earlier round may be older than a
                # waiter's call: a poll answers them, at once.
                self._waiters.extend(waiters)
                if self._ready.is_set():
                    self._wake.set()
            # Idle only after a round that answered nobody: a subscriber that was just let in
            # joins the set when its task resumes, after this round.
            if self._ready.is_set() and not (waiters or self._subscribers or self._waiters):
                await self._idle()
                continue
            delay = _GAP_RETRY_SECONDS if self._gap is not None else self._interval
            if not self._wake.is_set():
                with contextlib.suppress(TimeoutError):  # no wake-up in time: poll anyway
                    await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def _idle(self) -> None:
        """Nobody listens: sleep until someone subscribes, then start again from the newest
        final id (``_settle``), as at start-up, so a new stream still starts "now" and no
        backlog of what committed meanwhile is fanned out to it."""
        self._wanted.clear()
        if self._stopping.is_set():  # stop() came while the last round ran
            return
        self._ready.clear()
        self._gap = None
        # The cursor is final: on PostgreSQL a wake may jump from it (``_resume``).
        self._resumable = self._pg
        await self._wanted.wait()

    async def _settle(self) -> bool:
        """Start at the newest id, once every id below it is final. True when ready on an id
        read in this call (else the caller's waiters need a poll first)."""
        async with self.database.engine.connect() as conn:
            if self._gap is None and self._resumable and await self._resume(conn):
                return True
            fresh = self._gap is None
            if self._gap is None:
                newest = await conn.scalar(select(func.coalesce(func.max(_EVENTS.c.id), 0)))
                mark = await conn.scalar(NEW_MARK) if self._pg else None
                self._gap = _Gap(0, int(newest or 0), time.monotonic(), mark)
                if self._pg:
                    return False  # the mark's own transaction is running: final later
            if not await self._final(conn, self._gap):
                return False
        self._cursor = self._gap.seen
        self._gap = None
        self._ready.set()
        return fresh

    async def _resume(self, conn: AsyncConnection) -> bool:
        """Waking from idle: jump to the newest id at once when no id between the final cursor
        and it is missing. Settling, as at start-up, waits on every transaction of the
        server, however unrelated, up to ``live_gap_max_seconds``."""
        self._resumable = False
        # At most _RESUME_MAX ids are counted; more written while idle: settle as at start-up.
        above = (
            select(_EVENTS.c.id)
            .where(_EVENTS.c.id > self._cursor)
            .order_by(_EVENTS.c.id)
            .limit(_RESUME_MAX + 1)
            .subquery()
        )
        newest, count = (await conn.execute(select(func.max(above.c.id), func.count()))).one()
        if count > _RESUME_MAX:
            return False
        if newest is None:
            self._ready.set()  # nothing committed while idle: the cursor stands
            return True
        if newest - self._cursor != count:
            return False  # a hole, perhaps still filling: settle as at start-up
        self._cursor = int(newest)
        self._ready.set()
        return True

    async def _final(self, conn: AsyncConnection, gap: _Gap) -> bool:
        """Whether a held-back hole can no longer fill (or has waited too long)."""
        if gap.mark is None:
            return True
        if await conn.scalar(MARK_PASSED, {"snap": gap.mark}):
            return True
        if time.monotonic() - gap.since < self._gap_max:
            return False
        logger.warning(
            "live events: id %d stayed uncommitted for %.0f s; skipping it",
            gap.first,
            self._gap_max,
        )
        return True

    async def _poll(self) -> None:
        async with self.database.engine.connect() as conn:
            gap = self._gap
            # Decided before reading, so an id committed meanwhile is seen by the read below.
            closed = gap is not None and await self._final(conn, gap)
            query = select(_EVENTS).where(_EVENTS.c.id > self._cursor)
            rows = (await conn.execute(query.order_by(_EVENTS.c.id).limit(BATCH))).all()
            ready: list[LiveEvent] = []
            expect = self._cursor + 1
            for row in rows:
                if row.id > expect:
                    if gap is not None and gap.first == expect and row.id <= gap.seen and closed:
                        self._gap = gap = None
                    elif self._pg:
                        if gap is None or gap.first != expect or closed:
                            mark = await conn.scalar(NEW_MARK)
                            self._gap = _Gap(expect, row.id, time.monotonic(), mark)
                        break
                ready.append(_live_event(row))
                expect = row.id + 1
            else:
                if len(rows) == BATCH:
                    self._wake.set()
                elif not rows:
                    await self._check_rewound(conn)
        if ready:
            self._cursor = ready[-1].id
            if self._gap is not None and self._gap.first <= self._cursor:
                self._gap = None
            self._fan_out(ready)

    async def _check_rewound(self, conn: AsyncConnection) -> None:
        """Ids went back (the table was restored or emptied): start over from the newest."""
        newest = int(await conn.scalar(select(func.coalesce(func.max(_EVENTS.c.id), 0))) or 0)
        if newest < self._cursor:
            logger.warning(
                "live events: ids went back from %d to %d; restarting the streams",
                self._cursor,
                newest,
            )
            self._cursor = newest
            self.end_streams("rewound")

    def _fan_out(self, events: list[LiveEvent]) -> None:
        for item in events:
            if item.kind in ACCESS_KINDS:
                self._recheck(item)
            if item.project_id is None:
                continue
            for subscription in tuple(self._subscribers.get(item.project_id, ())):
                if subscription.filter.matches(item):
                    subscription.offer(item)

    def _recheck(self, item: LiveEvent) -> None:
        """Every stream an access event may concern re-checks: a project's event, that
        project's streams; a person's (their token, their account), that person's streams."""
        if item.project_id is not None:
            groups: list[set[Subscription]] = [self._subscribers.get(item.project_id, set())]
        else:
            groups = list(self._subscribers.values())
        user = _user_of(item)
        for group in groups:
            for subscription in tuple(group):
                if user is None or subscription.user_id in (None, user):
                    subscription.recheck()


def _user_of(item: LiveEvent) -> int | None:
    """The person a person-level access event is about (None: it may concern anyone)."""
    if item.project_id is not None:
        return None
    if item.kind == "user.updated" and item.subject.startswith("user:"):
        return int(item.subject.removeprefix("user:"))
    owner = item.data.get("user_id")
    return owner if isinstance(owner, int) else None


# The buses of this process: a commit with events here wakes them at once, so a stream on
# the same server does not wait for the next poll (other processes' writes do, on SQLite).
_BUSES: weakref.WeakSet[EventBus] = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _wake_buses(session: Session) -> None:
    if session.info.pop(WROTE_EVENTS, False):
        for bus in tuple(_BUSES):
            bus.wake_threadsafe()
