"""The webhook queue in the database: events become deliveries, deliveries are claimed for
sending and their outcome recorded (the HTTP side is jobs/webhooks.py).

Each step is its own short transaction, so no HTTP request ever runs while a database write
transaction is open (on SQLite that would hold the one write lock for everyone):

1. ``enqueue`` reads the events after the shared cursor (row ``job_cursors.webhooks``, locked
   ``FOR UPDATE SKIP LOCKED``: one process at a time on PostgreSQL; SQLite serialises
   writers) and adds a delivery per matching active hook; ``UNIQUE (webhook_id, event_id)``
   keeps it to one per hook and event whatever happens.
2. ``claim`` takes due deliveries (``SKIP LOCKED``), counts the attempt and pushes their due
   time past the send timeout: a lease, so no other process sends them meanwhile, and a
   crashed sender's work is retried when it runs out.
3. ``finish`` records the outcome: delivered, retried later with backoff, or failed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import Event, Project, utcnow
from crewboard.models.webhooks import JobCursor, Webhook, WebhookDelivery
from crewboard.services.core import mark_passed, new_mark
from crewboard.services.webhooks.rules import PING_KIND
from crewboard.services.webhooks.service import CURSOR_NAME

logger = logging.getLogger(__name__)

BATCH = 500
# A claimed delivery stays out of reach this long beyond the send timeout.
LEASE_MARGIN_SECONDS = 30
ERROR_MAX = 300
_JITTER = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed delivery, with what sending it needs."""

    delivery_id: int
    attempt: int
    webhook_id: int
    url: str
    secret: str
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: the HTTP status, or an error (timeout, refused connection)."""

    status_code: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


async def has_new_events(session: AsyncSession) -> bool:
    """Whether ``enqueue`` has anything to read (a cheap read before taking a write lock)."""
    cursor = await session.scalar(select(JobCursor.event_id).where(JobCursor.name == CURSOR_NAME))
    if cursor is None:  # no hook was ever made
        return False
    newest = await session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    return int(newest or 0) > cursor


async def enqueue(session: AsyncSession, settings: Settings) -> int | None:
    """Queue deliveries for the next batch of events; how many events were read, None when
    another process holds the cursor."""
    query = select(JobCursor).where(JobCursor.name == CURSOR_NAME)
    cursor = await session.scalar(query.with_for_update(skip_locked=True))
    if cursor is None:
        return None
    # Decided before reading, so an id that commits meanwhile is seen by the read below.
    closed = cursor.gap_id is not None and await _gap_closed(session, cursor, settings)
    rows = (
        await session.execute(
            select(Event.id, Event.project_id, Event.at, Event.kind, Event.data)
            .where(Event.id > cursor.event_id)
            .order_by(Event.id)
            .limit(BATCH)
        )
    ).all()
    taken: list[Row[Any]] = []
    expect = cursor.event_id + 1
    holes_final = session.get_bind().dialect.name != "postgresql"
    for row in rows:
        if row.id > expect and not holes_final and not (cursor.gap_id == expect and closed):
            if cursor.gap_id != expect:  # a new hole: wait until it is final
                cursor.gap_id, cursor.gap_since = expect, utcnow()
                cursor.gap_snapshot = await new_mark(session)
            break
        taken.append(row)
        expect = row.id + 1
    if taken:
        cursor.event_id = taken[-1].id
        if cursor.gap_id is not None and cursor.gap_id <= cursor.event_id:
            cursor.gap_id = cursor.gap_snapshot = cursor.gap_since = None
        await _queue(session, taken)
    await session.flush()
    return len(taken)


async def _gap_closed(session: AsyncSession, cursor: JobCursor, settings: Settings) -> bool:
    if await mark_passed(session, cursor.gap_snapshot):
        return True
    since = cursor.gap_since or utcnow()
    if (utcnow() - since).total_seconds() < settings.live_gap_max_seconds:
        return False
    logger.warning(
        "webhooks: event id %s stayed uncommitted for %.0f s; skipping it",
        cursor.gap_id,
        settings.live_gap_max_seconds,
    )
    return True


async def _queue(session: AsyncSession, events: list[Row[Any]]) -> None:
    projects = {e.project_id for e in events if e.project_id is not None}
    if not projects:
        return
    hooks = (
        await session.execute(
            select(Webhook.id, Webhook.project_id, Webhook.kinds, Webhook.created_at).where(
                Webhook.active.is_(True), Webhook.project_id.in_(projects)
            )
        )
    ).all()
    now = utcnow()
    rows = [
        {
            "webhook_id": hook.id,
            "event_id": event.id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for hook in hooks
        if hook.project_id == event.project_id and _wants(hook, event)
    ]
    if rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(WebhookDelivery).on_conflict_do_nothing(
            index_elements=["webhook_id", "event_id"]
        )
        await session.execute(stmt, rows)


def _wants(hook: Any, event: Any) -> bool:
    """A ping goes to its hook alone; other events to hooks made before them, by kind."""
    if event.kind == PING_KIND:
        return bool(event.data.get("webhook") == hook.id)
    if event.at < hook.created_at:
        return False
    return not hook.kinds or event.kind.startswith(tuple(hook.kinds))


async def claim(session: AsyncSession, settings: Settings, limit: int) -> list[Outgoing]:
    """Take up to ``limit`` due deliveries of active hooks for sending (see the module doc)."""
    now = utcnow()
    due = (
        select(WebhookDelivery.id)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            Webhook.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    lease = now + timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=lease)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts, Webhook.id.label("hook"))
        .add_columns(Webhook.url, Webhook.secret, Event, Project.slug)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .join(Project, Project.id == Webhook.project_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
    )
    found = []
    for row in rows:
        event: Event = row.Event
        found.append(
            Outgoing(
                row.id,
                row.attempts,
                row.hook,
                row.url,
                row.secret,
                event.kind,
                payload(event, row.slug),
            )
        )
    return found


def payload(event: Event, slug: str) -> dict[str, Any]:
    """The JSON body a receiver gets for an event."""
    return {
        "id": event.id,
        "kind": event.kind,
        "subject": event.subject,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "data": event.data,
        "project": slug,
    }


def backoff(attempt: int, settings: Settings) -> float:
    """Seconds before the next attempt: doubling from the base, capped, with jitter (half to
    all of it) so many failed deliveries do not retry in step."""
    delay = min(
        settings.webhook_retry_max_seconds,
        settings.webhook_retry_base_seconds * 2 ** min(attempt - 1, 30),
    )
    return float(delay * _JITTER.uniform(0.5, 1.0))


async def finish(
    session: AsyncSession, item: Outgoing, outcome: Outcome, settings: Settings
) -> str | None:
    """Record an attempt's outcome; the delivery's new status, None when the claim was stale
    (its lease ran out and another sender took it over)."""
    now = utcnow()
    values: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_error": None if outcome.ok else (outcome.error or "")[:ERROR_MAX] or None,
    }
    if outcome.ok:
        values |= {"status": "delivered", "delivered_at": now}
    elif item.attempt >= settings.webhook_max_attempts:
        values |= {"status": "failed"}
    else:
        values |= {"next_attempt_at": now + timedelta(seconds=backoff(item.attempt, settings))}
    done = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == item.delivery_id,
            WebhookDelivery.attempts == item.attempt,
            WebhookDelivery.status == "pending",
        )
        .values(values)
        .returning(WebhookDelivery.status)
        .execution_options(synchronize_session=False)
    )
    return done.scalar_one_or_none()
