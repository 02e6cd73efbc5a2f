"""When a missing event id is final, for readers that keep their place in the events table.

The same rule as the live bus (services/live/bus.py): on PostgreSQL an id can commit after a
higher one, so a hole below a visible id may still fill. Remember a snapshot taken after
the hole was seen; once every transaction in progress in it has ended, the hole is final
(the id is visible now, or never will be). On SQLite writers commit one at a time: a hole
is final at once.
"""

from __future__ import annotations

from sqlalchemy import String, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

# True once every transaction in progress in the given snapshot has ended.
SNAPSHOT_ENDED = text(
    "SELECT coalesce(bool_and(pg_visible_in_snapshot(x, pg_current_snapshot())), true) "
    "FROM pg_snapshot_xip(CAST(CAST(:snap AS text) AS pg_snapshot)) AS x"
)
CURRENT_SNAPSHOT = select(cast(func.pg_current_snapshot(), String))


async def current_snapshot(session: AsyncSession) -> str | None:
    """A PostgreSQL snapshot to test a hole against later; None on SQLite (holes are final)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return await session.scalar(CURRENT_SNAPSHOT)


async def snapshot_ended(session: AsyncSession, snapshot: str | None) -> bool:
    """Whether every transaction running when ``snapshot`` was taken has ended."""
    if snapshot is None:
        return True
    return bool(await session.scalar(SNAPSHOT_ENDED, {"snap": snapshot}))
