"""The event log: every change records an event in the same transaction.

Events are collected on the session and written just before the transaction commits (and
dropped if it rolls back): by the unit of work (``write_pending_events``: one event is one
prepared INSERT on the driver, on PostgreSQL with the live bus's ``pg_notify`` in the same
statement; several are Core multi-row INSERTs), else by the session's ``before_commit`` hook.
An event's id is taken as late as possible, so ids follow commit order more closely for
readers that resume after an id.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from crewboard.database.statements import Statement, fetch
from crewboard.models import Event, utcnow
from crewboard.services.core.actor import Actor

PENDING_EVENTS = "crewboard.pending_events"
# Set on a session whose transaction wrote events: the live bus wakes its streams after commit.
WROTE_EVENTS = "crewboard.wrote_events"
# PostgreSQL channel on which a commit with events wakes every process's live stream.
LIVE_CHANNEL = "crewboard_events"


def record_event(
    session: AsyncSession,
    actor: Actor,
    kind: str,
    subject: str,
    data: dict[str, Any] | None = None,
    *,
    project_id: int | None = None,
) -> None:
    """Add an event to the current transaction (it commits or rolls back with the change)."""
    row = {
        "project_id": project_id,
        "at": utcnow(),
        "actor": actor.label,
        "kind": kind,
        "subject": subject,
        "data": data or {},
    }
    session.sync_session.info.setdefault(PENDING_EVENTS, []).append(row)


_EVENTS = cast(Table, Event.__table__)
_COLUMNS = ("project_id", "at", "actor", "kind", "subject", "data")
_INSERT = insert(_EVENTS).values({name: bindparam(f"p_{name}") for name in _COLUMNS})
_ONE = Statement(_INSERT)
# Six parameters a row: well under SQLite's and asyncpg's limits (32,766 and 32,767).
_ROWS_PER_INSERT = 1000
_NOTIFY = Statement(select(func.pg_notify(LIVE_CHANNEL, "")))
# PostgreSQL: the event and the live bus's notification in one statement (one round trip).
_ONE_NOTIFIED = Statement(
    select(func.pg_notify(LIVE_CHANNEL, "")).select_from(
        _INSERT.returning(_EVENTS.c.id).cte("written")
    )
)


async def write_pending_events(session: AsyncSession) -> None:
    """Write the transaction's events now, on the driver (database/statements.py): the unit of
    work calls this just before it commits. On PostgreSQL the last one also wakes the live
    streams of every process (delivered when, and only if, the transaction commits)."""
    rows = session.sync_session.info.pop(PENDING_EVENTS, None)
    if not rows:
        return
    session.sync_session.info[WROTE_EVENTS] = True
    notify = session.sync_session.get_bind().dialect.name == "postgresql"
    if len(rows) == 1:
        (row,) = rows
        statement = _ONE_NOTIFIED if notify else _ONE
        await fetch(session, statement, {f"p_{name}": row[name] for name in _COLUMNS})
        return
    # Several (an import, a task with its links): multi-row INSERTs, ids in list order. Core,
    # not the ORM's bulk insert: that leaves out None values and splits the rows into runs.
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        await session.execute(insert(_EVENTS).values(rows[start : start + _ROWS_PER_INSERT]))
    if notify:
        await fetch(session, _NOTIFY, {})


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    # Sessions outside a unit of work (tools, benchmarks' seeding) write theirs here.
    rows = session.info.pop(PENDING_EVENTS, None)
    if rows:
        session.info[WROTE_EVENTS] = True
        connection = session.connection()
        connection.execute(insert(Event), rows)
        if connection.dialect.name == "postgresql":
            # Delivered when (and only if) this transaction commits; see services/live/bus.py.
            connection.execute(select(func.pg_notify(LIVE_CHANNEL, "")))


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_EVENTS, None)
    session.info.pop(WROTE_EVENTS, None)
