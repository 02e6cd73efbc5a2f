"""The unit of work every face wraps around one request, tool call or command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.database.engine import WRITE_OPTION, Database
from crewboard.database.statements import attach_driver
from crewboard.services.core.errors import DomainError
from crewboard.services.core.events import write_pending_events


@asynccontextmanager
async def unit_of_work(database: Database, *, write: bool) -> AsyncIterator[AsyncSession]:
    """One transaction: committed on success, rolled back on error.

    A domain error flagged ``keep_changes`` (a refused login that must still be counted)
    commits what was done before it and is then raised as usual.
    """
    async with database.write_gate(write):
        session = database.session(write)
        committed = False
        try:
            connection = await session.connection(execution_options={WRITE_OPTION: write})
            await attach_driver(session, connection)
            try:
                yield session
            except DomainError as exc:
                if exc.keep_changes:
                    await write_pending_events(session)
                    await session.commit()
                    database.committed(write)
                else:
                    await session.rollback()
                raise
            except BaseException:
                await session.rollback()
                raise
            await write_pending_events(session)
            await session.commit()
            committed = True
            database.committed(write)
        finally:
            if committed and write:
                # After a write's commit, closing awaits nothing (the SQLite writer runs
                # inline; asyncpg has no transaction left to reset), so it runs here, while
                # the write gate is still held: no task of its own, no extra turn of the loop.
                await session.close()
            else:
                # SQLAlchemy's own close runs in a task of its own, so that a cancellation
                # cannot abandon a connection half-way back to its pool.
                await session.__aexit__(None, None, None)
