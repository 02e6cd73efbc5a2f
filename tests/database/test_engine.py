"""The engine configuration: SQLite pragmas, write locking, migrations."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from crewboard.config import Settings
from crewboard.database import Database, current_revision, head_revision, migrate
from crewboard.database.sqlite import INLINE_BUSY_MS
from crewboard.models import Event, User
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, unit_of_work
from tests.support.backends import asyncpg_dsn, fresh_postgres, postgres_admin_url, sqlite_url


async def test_migrated_to_head(database: Database) -> None:
    assert await current_revision(database) == head_revision()
    # Migrating again is a no-op.
    assert await migrate(database) == head_revision()


@pytest.mark.e2e
def test_a_current_schema_is_checked_without_loading_alembic(database: Database) -> None:
    """A server starting on a current database only reads its revision (docs/memory.md).

    (A fresh interpreter: this test process has long imported Alembic.)
    """
    code = (
        "import asyncio, sys\n"
        "from crewboard.config import Settings\n"
        "from crewboard.database import Database, migrate\n"
        "database = Database(Settings(database_url=sys.argv[1]))\n"
        "print(asyncio.run(migrate(database)), 'alembic' in sys.modules)\n"
        "asyncio.run(database.dispose())\n"
    )
    url = database.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout) == (0, f"{head_revision()} False\n"), result.stderr


async def test_sqlite_pragmas(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    async with unit_of_work(database, write=False) as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        # Inline (on the loop's thread): SQLite may not sleep long in its busy handler there.
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == INLINE_BUSY_MS
    async with database.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


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


@asynccontextmanager
async def _fresh_url(database: Database, directory: Path) -> AsyncIterator[str]:
    """An empty, never migrated database on the backend under test."""
    if database.is_sqlite:
        yield sqlite_url(directory)
    else:
        async with fresh_postgres() as url:
            yield url


async def test_concurrent_migrations_of_a_fresh_database_are_safe(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    """Several servers starting at once on an empty database all end at head without error."""
    async with _fresh_url(database, tmp_path) as url:
        fresh = settings.model_copy(update={"database_url": url})
        engines = [Database(fresh) for _ in range(4)]
        try:
            assert await current_revision(engines[0]) is None
            results = await asyncio.gather(*(migrate(e) for e in engines))
            assert set(results) == {head_revision()}
            assert await current_revision(engines[0]) == head_revision()
            # The schema is usable: a write through the services works.
            async with unit_of_work(engines[0], write=True) as session:
                await UserService(session).create(Actor.system(), email="first@example.com")
            async with unit_of_work(engines[1], write=False) as session:
                assert await UserService(session).count() == 1
        finally:
            for engine in engines:
                await engine.dispose()


_WRITER = """
import asyncio, sys
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core.actor import Actor
from crewboard.services.core.uow import unit_of_work
from crewboard.services.accounts.users import UserService

async def main(url: str, worker: int, count: int) -> None:
    database = Database(Settings(database_url=url))
    try:
        for i in range(count):
            async with unit_of_work(database, write=True) as session:
                await UserService(session).create(
                    Actor.system(), email=f"w{worker}-{i}@example.com"
                )
    finally:
        await database.dispose()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


@pytest.mark.e2e
async def test_sqlite_writers_in_several_processes_lose_nothing(tmp_path: Path) -> None:
    """Four OS processes insert through the services into one SQLite file at once."""
    url = sqlite_url(tmp_path)
    database = Database(Settings(database_url=url))
    try:
        await migrate(database)
        workers, count = 4, 50
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _WRITER,
                url,
                str(worker),
                str(count),
                stderr=asyncio.subprocess.PIPE,
            )
            for worker in range(workers)
        ]
        for process in processes:
            _, stderr = await process.communicate()
            assert process.returncode == 0, stderr.decode()
        async with unit_of_work(database, write=False) as session:
            emails = set((await session.scalars(select(User.email))).all())
            events = await session.scalar(select(func.count()).select_from(Event))
            integrity = (await session.execute(text("PRAGMA integrity_check"))).scalar()
        expected = {f"w{w}-{i}@example.com" for w in range(workers) for i in range(count)}
        assert emails == expected
        assert events == workers * count
        assert integrity == "ok"
    finally:
        await database.dispose()


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        Database(Settings(database_url="sqlite+aiosqlite:///:memory:"))


def test_unknown_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="CREWBOARD_DATABASE_URL"):
        Settings(database_url="mysql://x")


async def test_sqlite_file_gets_its_folder_and_chosen_durability(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "crewboard.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", sqlite_synchronous="FULL")
    database = Database(settings)
    try:
        assert path.parent.is_dir()
        async with unit_of_work(database, write=False) as session:
            # 2 is FULL (NORMAL would be 1).
            assert (await session.execute(text("PRAGMA synchronous"))).scalar() == 2
        assert path.exists()
    finally:
        await database.dispose()


async def test_a_new_sqlite_file_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    """It holds password and token hashes and webhook secrets (issue 17, item 13): the file,
    its WAL and a folder crewboard makes are not readable by others even under umask 022."""
    path = tmp_path / "made" / "crewboard.db"
    old = os.umask(0o022)
    try:
        database = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        try:
            await migrate(database)
            async with unit_of_work(database, write=True) as session:
                await UserService(session).create(Actor.system(), email="a@example.com")
            modes = {
                p.name: stat.S_IMODE(p.stat().st_mode)
                for p in (path, path.parent, path.with_name(path.name + "-wal"))
                if p.exists()
            }
        finally:
            await database.dispose()
    finally:
        os.umask(old)
    assert modes == {"crewboard.db": 0o600, "made": 0o700, "crewboard.db-wal": 0o600}


async def test_pooled_connections_the_server_closed_are_replaced_without_a_ping(
    database: Database, settings: Settings
) -> None:
    """No pre-ping on PostgreSQL (three round trips per checkout): a connection the server
    terminated (a restart, an admin) is noticed at checkout and replaced, so the next request
    works (without the checkout check it fails)."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL only")
    fresh = Database(settings)
    try:
        for _ in range(3):  # fill the pool with a few connections
            async with unit_of_work(fresh, write=False) as session:
                assert await UserService(session).count() == 0
        admin = await asyncpg.connect(asyncpg_dsn(postgres_admin_url()))
        try:
            name = fresh.url.database
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
        finally:
            await admin.close()
        assert ended >= 1
        await asyncio.sleep(0.5)  # the closed sockets reach the event loop
        async with unit_of_work(fresh, write=True) as session:
            await UserService(session).create(Actor.system(), email="after@example.com")
        async with unit_of_work(fresh, write=False) as session:
            assert await UserService(session).count() == 1
    finally:
        await fresh.dispose()
