"""The engine configuration: SQLite pragmas, write locking, migrations."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from crewboard.config import Settings
from crewboard.database import Database, current_revision, head_revision, migrate
from crewboard.services.uow import unit_of_work


async def test_migrated_to_head(database: Database) -> None:
    assert await current_revision(database) == head_revision()
    # Migrating again is a no-op.
    assert await migrate(database) == head_revision()


async def test_sqlite_pragmas(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    async with unit_of_work(database, write=False) as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


async def test_sqlite_writers_queue_instead_of_interleaving(
    database: Database, settings: Settings
) -> None:
    """BEGIN IMMEDIATE: a second writer waits for the lock, then times out as 'locked'."""
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    impatient = Database(settings.model_copy(update={"sqlite_busy_timeout_ms": 100}))
    try:
        async with unit_of_work(database, write=True) as holder:
            await holder.execute(text("SELECT 1"))
            # A reader is not blocked by the writer (WAL).
            async with unit_of_work(impatient, write=False) as reader:
                await reader.execute(text("SELECT count(*) FROM users"))
            with pytest.raises(OperationalError, match="locked"):
                async with unit_of_work(impatient, write=True):
                    pass
    finally:
        await impatient.dispose()


async def test_concurrent_migrations_are_safe(settings: Settings, database: Database) -> None:
    """Several processes starting at once all end at head without error."""
    engines = [Database(settings) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(e) for e in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert set(results) == {head_revision()}


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        Database(Settings(database_url="sqlite+aiosqlite:///:memory:"))


def test_unknown_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="CREWBOARD_DATABASE_URL"):
        Settings(database_url="mysql://x")
