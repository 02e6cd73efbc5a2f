"""The one "record last use" policy of every face.

A credential's last use is written at most once per ``touch_interval_seconds``. A write
unit of work records it in its own transaction. A read leaves it on the session for
``record_last_use``, run once the read's own connection is back in the pool: taking a second
connection while holding the first would exhaust the pool under many readers.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.accounts import Authenticated, AuthService
from crewboard.services.core import unit_of_work

logger = logging.getLogger(__name__)

# On the session (one per unit of work), not on request state (the lifespan state is shared).
PENDING_TOUCH = "crewboard_pending_touch"


async def note_use(
    session: AsyncSession, settings: Settings, result: Authenticated, *, write: bool
) -> None:
    """Record the use of a stale credential now (write) or after the unit of work (read)."""
    session_id = result.actor.session_id
    if not result.needs_touch or session_id is None:
        return
    if write:
        await AuthService(session, settings).touch(session_id)
    else:
        session.info[PENDING_TOUCH] = session_id


async def record_last_use(database: Database, settings: Settings, session: AsyncSession) -> None:
    """The deferred last-use write of a read unit of work, if ``note_use`` left one; a failure
    is logged, not raised (the read itself succeeded, and last use is bookkeeping)."""
    session_id: int | None = session.info.pop(PENDING_TOUCH, None)
    if session_id is None:
        return
    try:
        async with unit_of_work(database, write=True) as writer:
            await AuthService(writer, settings).touch(session_id)
    except SQLAlchemyError as exc:
        logger.warning("could not record the last use of credential %d: %s", session_id, exc)
