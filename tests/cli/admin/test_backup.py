"""``crewboard backup`` and ``crewboard restore`` as real processes, a writer running beside."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.services.interop.transfer.test_backup import add_tasks, task_count, tasks_in
from tests.support.backends import sqlite_url
from tests.support.cli import assert_one_line_error, cli_env, run_subprocess

pytestmark = pytest.mark.e2e  # every test runs the command as a process


def _integrity(path: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(path) as conn:
        rows = [tuple(row) for row in conn.execute("PRAGMA integrity_check")]
    conn.close()
    return rows


def _numbers(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        numbers = [int(row[0]) for row in conn.execute("SELECT number FROM tasks ORDER BY number")]
    conn.close()
    return numbers


async def _committed(url: str) -> int:
    database = Database(Settings(database_url=url))
    try:
        return await task_count(database)
    finally:
        await database.dispose()


async def _lines(stream: asyncio.StreamReader, count: int) -> None:
    for _ in range(count):
        line = await asyncio.wait_for(stream.readline(), 30)
        assert line, "the writer stopped"


async def test_a_backup_taken_while_another_process_commits_is_complete_and_sound(
    tmp_path: Path, repo_root: Path
) -> None:
    url = sqlite_url(tmp_path)
    await add_tasks(url, 1)
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.cli.admin.backup_writer",
        url,
        "shop",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(repo_root),
    )
    assert writer.stdout is not None
    try:
        await _lines(writer.stdout, 50)
        for round_ in range(2):
            before = await _committed(url)
            target = tmp_path / f"backup-{round_}.db"
            result = await run_subprocess(cli_env(url), "backup", str(target))
            assert result.code == 0, result
            assert "integrity check ok" in result.stdout
            await _lines(writer.stdout, 20)  # it went on writing meanwhile
            assert _integrity(target) == [("ok",)]
            numbers = _numbers(target)
            assert len(numbers) >= before, "every task committed before the backup began"
            assert numbers == list(range(1, len(numbers) + 1)), "one snapshot: no gaps"
            assert await tasks_in(target) == len(numbers)  # opens, at the migration head
    finally:
        writer.terminate()
        await writer.wait()
    assert await _committed(url) > len(numbers)


async def test_backup_refuses_an_existing_file_unless_forced(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    await add_tasks(url, 2)
    target = tmp_path / "backup.db"
    target.write_bytes(b"old")
    env = cli_env(url)
    refused = await run_subprocess(env, "backup", str(target))
    assert_one_line_error(refused, 1, "exists", "--force")
    forced = await run_subprocess(env, "backup", str(target), "--force")
    assert forced.code == 0, forced
    assert await tasks_in(target) == 2


async def test_restore_needs_force_over_a_database_and_refuses_a_corrupt_file(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    await add_tasks(url, 2)
    env = cli_env(url)
    saved = tmp_path / "saved.db"
    assert (await run_subprocess(env, "backup", str(saved))).code == 0
    await add_tasks(url, 3)
    refused = await run_subprocess(env, "restore", str(saved))
    assert_one_line_error(refused, 1, "exists", "--force")
    assert await _committed(url) == 5
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 90 + b"garbage" * 1000)
    corrupt = await run_subprocess(env, "restore", str(bad), "--force")
    assert_one_line_error(corrupt, 2, str(bad))
    assert await _committed(url) == 5
    restored = await run_subprocess(env, "restore", str(saved), "--force")
    assert restored.code == 0, restored
    assert await _committed(url) == 2


async def test_backup_and_restore_on_postgresql_say_what_to_use(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL refusal")
    env = cli_env(settings.database_url)
    backup = await run_subprocess(env, "backup", "crewboard.dump")
    assert_one_line_error(
        backup, 2, "pg_dump --format=custom --file=", "docs/operations.md#backups"
    )
    restore = await run_subprocess(env, "restore", "crewboard.dump")
    assert_one_line_error(restore, 2, "pg_restore")
