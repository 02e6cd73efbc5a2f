"""The inline SQLite writer: it waits for another process's lock without stalling the event
loop, gives up after the busy timeout, and leaves WAL checkpoints to a reader's thread."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from crewboard.config import Settings
from crewboard.database import Database, migrate
from crewboard.database.sqlite import WAL_CHECKPOINT_COMMITS, Checkpointer, InlineConnection
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, unit_of_work
from tests.support.backends import sqlite_url


@contextmanager
def _lock_held_elsewhere(path: str) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would) holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


def _size(path: str) -> int:
    """The database file's size (the WAL is a separate file)."""
    return Path(path).stat().st_size


async def _migrated(tmp_path: Path, **overrides: Any) -> tuple[Database, str]:
    url = sqlite_url(tmp_path)
    database = Database(Settings(database_url=url, **overrides))
    await migrate(database)
    return database, url.removeprefix("sqlite+aiosqlite:///")


async def test_units_of_work_run_on_the_loop_thread(tmp_path: Path) -> None:
    """Writes and reads alike run inline; checkpoints, migrations and the bus keep threads."""
    database, _ = await _migrated(tmp_path)
    try:
        async with unit_of_work(database, write=True) as session:
            raw = await (await session.connection()).get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
            assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
        async with unit_of_work(database, write=False) as session:
            raw = await (await session.connection()).get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
            # A deferred BEGIN: a read holds no lock, and a writer goes on beside it.
            await session.execute(text("SELECT count(*) FROM users"))
            async with unit_of_work(database, write=True) as writer:
                await UserService(writer).create(Actor.system(), email="beside@example.com")
        async with database.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert not isinstance(raw.driver_connection, InlineConnection)
    finally:
        await database.dispose()


# It counts event-loop ticks in 0.3 s: beside the fault runs on the other worker it saw 4 of 10.
@pytest.mark.xdist_group("heavy")
async def test_a_writer_waits_for_another_process_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    database, path = await _migrated(tmp_path)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def write() -> None:
        async with unit_of_work(database, write=True) as session:
            await UserService(session).create(Actor.system(), email="late@example.com")

    try:
        with _lock_held_elsewhere(path) as other:
            beat = asyncio.create_task(ticker())
            writer = asyncio.create_task(write())
            await asyncio.sleep(0.3)
            assert not writer.done()  # still waiting for the lock...
            ticked_while_waiting = ticks
            other.execute("COMMIT")  # ...which the other side now lets go
            await asyncio.wait_for(writer, 5)
            beat.cancel()
        # The loop kept running while the writer waited: dozens of 5 ms ticks in 0.3 s, where
        # a writer sleeping in SQLite's busy handler would have allowed none.
        assert ticked_while_waiting >= 10
        async with unit_of_work(database, write=False) as session:
            assert await UserService(session).count() == 1
    finally:
        await database.dispose()


async def test_a_writer_gives_up_after_the_busy_timeout(tmp_path: Path) -> None:
    database, path = await _migrated(tmp_path, sqlite_busy_timeout_ms=150)
    try:
        with _lock_held_elsewhere(path), pytest.raises(OperationalError, match="locked"):
            async with unit_of_work(database, write=True) as session:
                await UserService(session).create(Actor.system(), email="never@example.com")
        # The failed BEGIN left nothing behind: the next write goes through.
        async with unit_of_work(database, write=True) as session:
            await UserService(session).create(Actor.system(), email="after@example.com")
        async with unit_of_work(database, write=False) as session:
            assert await UserService(session).count() == 1
    finally:
        await database.dispose()


async def test_checkpoints_move_the_wal_into_the_database_file(tmp_path: Path) -> None:
    database, path = await _migrated(tmp_path)
    checkpointer = Checkpointer(database.engine, every=1)
    try:
        before = _size(path)
        async with unit_of_work(database, write=True) as session:
            # About 1 MB that, until a checkpoint, lives only in the WAL.
            await session.execute(text("CREATE TABLE ballast (b BLOB)"))
            await session.execute(text("INSERT INTO ballast VALUES (zeroblob(1000000))"))
        assert _size(path) - before < 500_000
        checkpointer.committed()
        await checkpointer.close()
        assert _size(path) - before >= 1_000_000
    finally:
        await database.dispose()


async def test_the_unit_of_work_counts_write_commits_for_checkpoints(tmp_path: Path) -> None:
    """After enough writes through the normal path, the database file holds the data."""
    database, path = await _migrated(tmp_path)
    # Another open connection: closing the engine is then not the last close, which would
    # checkpoint by itself and hide whether the Checkpointer ran.
    keeper = sqlite3.connect(path)
    try:
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
        before = _size(path)
        async with unit_of_work(database, write=True) as session:
            await session.execute(text("CREATE TABLE ballast (b BLOB)"))
            await session.execute(text("INSERT INTO ballast VALUES (zeroblob(1000000))"))
        for i in range(WAL_CHECKPOINT_COMMITS):
            async with unit_of_work(database, write=True) as session:
                await session.execute(text("INSERT INTO ballast VALUES (:i)"), {"i": i})
        await database.dispose()  # waits for a running checkpoint
        assert _size(path) - before >= 1_000_000
    finally:
        keeper.close()
        await database.dispose()


async def test_a_bare_reader_connection_never_takes_the_write_lock(tmp_path: Path) -> None:
    """Background readers (the live bus, health checks) use ``engine.connect()``: that must
    be a read transaction, or every poll would queue the writers behind it."""
    database, _ = await _migrated(tmp_path, sqlite_busy_timeout_ms=100)
    try:
        async with database.engine.connect() as reader:
            await reader.execute(text("SELECT count(*) FROM users"))
            async with unit_of_work(database, write=True) as session:
                await UserService(session).create(Actor.system(), email="w@example.com")
        async with unit_of_work(database, write=False) as session:
            assert await UserService(session).count() == 1
    finally:
        await database.dispose()


# Another process closes the file's last connection: SQLite copies its WAL back into the file
# under an exclusive lock, for as long as that takes with a big WAL.
_LAST_CLOSER = r"""
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA wal_autocheckpoint=0")
connection.execute("CREATE TABLE IF NOT EXISTS filler(x)")
connection.execute("BEGIN")
for _ in range(60000):
    connection.execute("INSERT INTO filler VALUES (randomblob(1000))")
connection.execute("COMMIT")
print("closing", flush=True)
connection.close()
"""


@pytest.mark.e2e
@pytest.mark.xdist_group("heavy")
async def test_a_first_read_waits_for_another_process_closing_the_file(tmp_path: Path) -> None:
    """A read's unit of work opening the process's first connection (``crewboard mcp`` local
    does) while another process checkpoints the file closing it: it waits, as a write does,
    instead of failing after the inline connection's 5 ms."""
    database, path = await _migrated(tmp_path)
    await database.dispose()
    closer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _LAST_CLOSER, path, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert closer.stdout is not None
        assert (await closer.stdout.readline()).strip() == b"closing"
        await asyncio.sleep(0.01)
        fresh = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        try:
            async with unit_of_work(fresh, write=False) as session:
                assert (await session.execute(text("SELECT count(*) FROM users"))).scalar() == 0
        finally:
            await fresh.dispose()
    finally:
        await asyncio.wait_for(closer.wait(), 60)
