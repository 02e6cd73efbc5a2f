"""When a missing event id is final, for readers that keep their place in the events table.

The same rule as the live bus (services/live/bus.py): on PostgreSQL an id can commit after a
higher one, so a hole below a visible id may still fill. Remember a mark taken after the hole
was seen; once every transaction that was running then has ended, the hole is final (the id
is visible now, or never will be). On SQLite writers commit one at a time: a hole is final at
once.

The mark is a transaction id taken for it (``pg_current_xact_id``): every transaction running
when it was taken has a smaller id, so they have all ended once the oldest running one is
newer. A snapshot cannot serve: since PostgreSQL 14 its ``xmax`` is the last *completed* id
plus one, and the running transactions at or above it are listed nowhere (a snapshot taken
with one writer open reads ``51598:51598:``, its in-progress list empty).
"""

from __future__ import annotations

from sqlalchemy import String, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

# True once every transaction older than the mark has ended. A mark stored before the change
# to transaction ids is a snapshot (``xmin:xmax:xip``): its listed transactions are checked.
MARK_PASSED = text(
    "SELECT CASE WHEN strpos(CAST(:snap AS text), ':') = 0 "
    "THEN pg_snapshot_xmin(pg_current_snapshot()) > CAST(CAST(:snap AS text) AS xid8) "
    "ELSE (SELECT coalesce(bool_and(pg_visible_in_snapshot(x, pg_current_snapshot())), true) "
    "FROM pg_snapshot_xip(CAST(CAST(:snap AS text) AS pg_snapshot)) AS x) END"
)
NEW_MARK = select(cast(func.pg_current_xact_id(), String))


async def new_mark(session: AsyncSession) -> str | None:
    """A PostgreSQL mark to test a hole against later, taken now, after the read that saw the
    hole; None on SQLite (holes are final). Taken on a connection of its own: the session's
    transaction may already have an id from before its read (the outbox locks its cursor
    first), and a hole's holder that took its id in between would count as older."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    if not isinstance(session.bind, AsyncEngine):
        raise TypeError("a PostgreSQL mark needs a session bound to its engine")
    async with session.bind.connect() as connection:
        mark: str | None = await connection.scalar(NEW_MARK)
        await connection.rollback()
    return mark


async def mark_passed(session: AsyncSession, mark: str | None) -> bool:
    """Whether every transaction running when the mark was taken has ended."""
    if mark is None:
        return True
    return bool(await session.scalar(MARK_PASSED, {"snap": mark}))
