"""The test database itself: emptying it, and reading it back (row counts, snapshots, events)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from crewboard.database import Database
from crewboard.models import Base, Event
from crewboard.services.core import unit_of_work


async def empty_database(database: Database) -> None:
    """Delete every row (what the ``database`` fixture does before each test)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    async with database.engine.begin() as conn:
        if database.is_sqlite:
            for table in tables:
                await conn.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            # Table names come from our own metadata, not from input.
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


async def row_counts(database: Database) -> dict[str, int]:
    """How many rows each table holds: equal before and after means nothing was written."""
    async with unit_of_work(database, write=False) as session:
        return {
            t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


async def snapshot(database: Database) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of all its rows, in primary-key order."""
    result: dict[str, tuple[int, str]] = {}
    async with unit_of_work(database, write=False) as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table).order_by(*table.primary_key.columns))).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
            result[table.name] = (len(rows), digest)
    return result


async def events(database: Database, kind: str | None = None) -> list[Event]:
    """The event log, oldest first, optionally of one kind."""
    async with unit_of_work(database, write=False) as session:
        query = select(Event).order_by(Event.id)
        if kind is not None:
            query = query.where(Event.kind == kind)
        return list((await session.scalars(query)).all())


# Every task whose stored count of unfinished blockers (kept by migration 0012's triggers)
# differs from the count of its edges.
_MISCOUNTED = text(
    """SELECT t.project_id, t.number, t.open_blocker_count, (
        SELECT count(*) FROM task_dependencies d JOIN tasks b ON b.id = d.blocked_by_id
        WHERE d.task_id = t.id AND b.status NOT IN ('completed', 'cancelled')) AS edges
    FROM tasks t"""
)


async def miscounted_tasks(database: Database) -> list[tuple[int, int, int, int]]:
    """(project, number, stored, counted) of each task whose ``open_blocker_count`` is
    wrong: the ``database`` fixture checks it after every test."""
    async with database.engine.connect() as conn:
        rows = (await conn.execute(_MISCOUNTED)).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows if r[2] != r[3]]


@asynccontextmanager
async def written(database: Database) -> AsyncIterator[AsyncConnection]:
    """A write transaction on the threaded engine, committed at the end: SQL run by hand, as
    a writer the services do not know would (``BEGIN IMMEDIATE`` on SQLite)."""
    async with database.engine.connect() as conn:
        await conn.execution_options(crewboard_write=True)
        async with conn.begin():
            yield conn
