"""SQLite backups and restores: checked copies, atomic swaps, and the files they refuse.

These work on SQLite files of their own (backups are SQLite-only); PostgreSQL is refused
with the pg_dump/pg_restore command to use instead.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crewboard.config import Settings
from crewboard.database import Database, current_revision, head_revision, migrate
from crewboard.models import Task
from crewboard.services.core import Actor, Conflict, Invalid, NotFound, unit_of_work
from crewboard.services.interop.transfer import backup_database, restore_database, sqlite_file
from crewboard.services.tasks import Tasks
from tests.support.backends import sqlite_url
from tests.support.factory import Factory

POSTGRES_URL = "postgresql+asyncpg://crew@db.internal:5432/crewboard"


async def add_tasks(url: str, count: int) -> None:
    """``count`` tasks in project ``shop`` (made first if missing), one transaction each."""
    settings = Settings(database_url=url)
    database = Database(settings)
    try:
        await migrate(database)
        factory = Factory(database, settings)
        if await task_count(database) == 0:
            await factory.project("shop", await factory.user("lead@example.com"))
        for n in range(count):
            async with unit_of_work(database, write=True) as session:
                await Tasks(session, settings).create(Actor.system(), "shop", title=f"task {n}")
    finally:
        await database.dispose()


async def task_count(database: Database) -> int:
    async with unit_of_work(database, write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Task)) or 0)


async def tasks_in(path: Path) -> int:
    """The tasks of a database file, which must open at the migration head."""
    database = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    try:
        assert await current_revision(database) == head_revision()
        return await task_count(database)
    finally:
        await database.dispose()


def _beside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
async def source(tmp_path: Path) -> str:
    """A crewboard SQLite database (WAL, like a server's) holding three tasks."""
    url = sqlite_url(tmp_path / "live")
    (tmp_path / "live").mkdir()
    await add_tasks(url, 3)
    return url


async def test_a_backup_is_a_checked_copy_at_the_migration_head(
    source: str, tmp_path: Path
) -> None:
    target = tmp_path / "backup.db"
    copy = backup_database(source, target)
    assert copy.path == target
    assert copy.revision == head_revision()
    assert copy.at_head
    assert await tasks_in(target) == 3
    assert _beside(tmp_path) == ["backup.db", "live"], "no WAL, no temporary file left"


async def test_a_backup_refuses_an_existing_file_unless_forced(source: str, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.write_text("keep me")
    with pytest.raises(Conflict, match="pass --force"):
        backup_database(source, target)
    assert target.read_text() == "keep me"
    backup_database(source, target, force=True)
    assert await tasks_in(target) == 3


def test_backup_and_restore_name_pg_dump_and_pg_restore_on_postgresql(tmp_path: Path) -> None:
    with pytest.raises(Invalid) as dump:
        backup_database(POSTGRES_URL, tmp_path / "x.db")
    assert "pg_dump --format=custom --file=crewboard.dump crewboard" in dump.value.message
    assert "docs/operations.md#backups" in dump.value.message
    with pytest.raises(Invalid) as restore:
        restore_database(POSTGRES_URL, tmp_path / "x.db")
    assert "pg_restore" in restore.value.message
    assert not (tmp_path / "x.db").exists()


def test_a_backup_of_a_missing_database_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        backup_database(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}", tmp_path / "b.db")


async def test_restore_refuses_an_existing_database_unless_forced(
    source: str, tmp_path: Path
) -> None:
    saved = tmp_path / "backup.db"
    backup_database(source, saved)
    await add_tasks(source, 2)  # the live database moves on
    with pytest.raises(Conflict, match="pass --force"):
        restore_database(source, saved)
    assert await tasks_in(sqlite_file(source, tool="restore")) == 5
    restored = restore_database(source, saved, force=True)
    assert restored.at_head
    assert await tasks_in(restored.path) == 3, "back to the backup, the WAL of the old one gone"


async def test_restore_into_a_new_place(source: str, tmp_path: Path) -> None:
    saved = tmp_path / "backup.db"
    backup_database(source, saved)
    target = tmp_path / "new" / "crewboard.db"
    restore_database(f"sqlite+aiosqlite:///{target}", saved)
    assert await tasks_in(target) == 3


def _not_crewboard(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()


def _unknown_revision(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", ("9999_future",))
    conn.close()


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page, len(data), page):  # the header survives, the pages do not
        data[offset + 8 : offset + 64] = b"\xa5" * 56
    path.write_bytes(bytes(data))


def _text(path: Path) -> None:
    path.write_text("this is not a database at all, just text " * 200)


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_not_crewboard, "is not a crewboard database"),
        (_unknown_revision, "this crewboard does not know"),
        (_corrupt, "integrity"),
        (_text, "not a usable SQLite database"),
    ],
    ids=["not-crewboard", "unknown-revision", "corrupt", "text"],
)
async def test_restore_refuses_a_file_that_is_not_a_sound_crewboard_database(
    source: str, tmp_path: Path, spoil: object, reason: str
) -> None:
    bad = tmp_path / "bad.db"
    if spoil is _unknown_revision or spoil is _corrupt:
        backup_database(source, bad)
    assert callable(spoil)
    spoil(bad)
    live = sqlite_file(source, tool="restore")
    before = live.read_bytes()
    with pytest.raises(Invalid) as caught:
        restore_database(source, bad, force=True)
    assert reason in caught.value.message or "not a usable" in caught.value.message, (
        caught.value.message
    )
    assert live.read_bytes() == before
    assert await tasks_in(live) == 3


async def test_backups_and_restored_databases_are_owner_only(source: str, tmp_path: Path) -> None:
    """They hold password and token hashes and webhook secrets: 0600 whatever the umask
    (issue 17, item 13)."""
    previous = os.umask(0o022)
    try:
        saved = tmp_path / "backup.db"
        backup_database(source, saved)
        target = tmp_path / "new" / "crewboard.db"
        restore_database(f"sqlite+aiosqlite:///{target}", saved)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
