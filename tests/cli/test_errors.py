"""Every failure is one line on stderr and a documented exit code, and changes nothing.

The real command runs as a subprocess (what an operator's shell sees) for one case of
each kind of failure; ``test_main`` runs a wider matrix of usage errors in-process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crewboard.config import Settings
from crewboard.database import Database, migrate
from crewboard.services.projects import Role
from tests.cli.conftest import Invoke
from tests.support.backends import sqlite_url
from tests.support.cli import assert_one_line_error, cli_env, run_subprocess
from tests.support.database import row_counts
from tests.support.factory import Factory

pytestmark = pytest.mark.e2e  # what an operator's shell sees: the command as a process


async def _seed(factory: Factory) -> None:
    """root (admin) owns demo with agent backend; bob only views it."""
    root = await factory.user("root@example.com", admin=True)
    await factory.user("bob@example.com")
    await factory.project("demo", root)
    await factory.agent("demo", "backend")
    await factory.member("demo", "bob@example.com", Role.VIEWER)


async def test_service_refusals(cli_process: Invoke, factory: Factory, database: Database) -> None:
    """Domain errors from the services, on each backend: one line, mapped exit code."""
    await _seed(factory)
    before = await row_counts(database)
    cases: list[tuple[list[str], int, str]] = [
        (["user", "create", "ROOT@example.com"], 1, "a user with e-mail root@example.com exists"),
        (["agent", "add", "nope", "qa"], 3, "project nope not found"),
        (
            [
                "token",
                "create",
                "--user",
                "bob@example.com",
                "--project",
                "demo",
                "--agent",
                "backend",
            ],
            4,
            "bob@example.com may not act as agent backend",
        ),
        (["token", "create", "--user", "bob@example.com", "--expires-in", "999w"], 2, "365 days"),
    ]
    for args, code, fragment in cases:
        assert_one_line_error(await cli_process(*args), code, fragment)
    assert await row_counts(database) == before


@pytest.fixture
async def seeded_sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    """A separate migrated SQLite database with the seed data (usage errors need one backend)."""
    database = Database(Settings(database_url=sqlite_url(tmp_path)))
    await migrate(database)
    await _seed(Factory(database, Settings(database_url=str(database.url))))
    yield database
    await database.dispose()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["user", "create"], "Missing argument 'EMAIL'. (see 'crewboard user create --help')"),
        (["user", "list", "--bogus"], "No such option: --bogus"),
        (["user", "create", "not-an-email"], "Invalid value for 'EMAIL': not an e-mail address"),
        (["project", "create", "Bad_Slug"], "Invalid value for 'SLUG': a project slug is"),
        (["token", "create", "--user", "root@example.com", "--expires-in", "30x"], "duration"),
    ],
    ids=["missing-argument", "unknown-option", "bad-email", "bad-slug", "bad-duration"],
)
async def test_usage_errors(seeded_sqlite: Database, args: list[str], fragment: str) -> None:
    before = await row_counts(seeded_sqlite)
    result = await run_subprocess(cli_env(str(seeded_sqlite.url)), *args)
    assert_one_line_error(result, 2, fragment)
    assert await row_counts(seeded_sqlite) == before


async def test_postgresql_unreachable() -> None:
    url = "postgresql+asyncpg://crew:s3cret-pw@127.0.0.1:1/crewboard"
    result = await run_subprocess(cli_env(url), "user", "list")
    assert_one_line_error(result, 1, "cannot reach the database", "crew:***@127.0.0.1:1")
    assert "s3cret-pw" not in result.stderr


async def test_sqlite_path_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = await run_subprocess(cli_env(sqlite_url(blocker)), "user", "list")
    assert_one_line_error(result, 1, "cannot open the database")
    result = await run_subprocess(cli_env(f"sqlite+aiosqlite:///{tmp_path}"), "user", "list")
    assert_one_line_error(result, 1, "cannot use the database", "unable to open database file")


async def test_sqlite_busy_is_a_clear_line(seeded_sqlite: Database) -> None:
    """Another process holding the write lock past the busy timeout: exit 1, one line that
    says busy and to try again, and nothing changed."""
    path = seeded_sqlite.url.database
    assert path is not None
    before = await row_counts(seeded_sqlite)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held for the whole command
        env = cli_env(str(seeded_sqlite.url), CREWBOARD_SQLITE_BUSY_TIMEOUT_MS="200")
        result = await run_subprocess(env, "agent", "add", "demo", "qa")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_one_line_error(result, 1, "is busy: another process held its write lock", "try again")
    assert await row_counts(seeded_sqlite) == before


async def test_not_migrated(tmp_path: Path) -> None:
    result = await run_subprocess(cli_env(sqlite_url(tmp_path)), "project", "list")
    assert_one_line_error(result, 1, "revision none", "run 'crewboard migrate'")
    # It names the database it looked at, so a CLI pointed elsewhere than the server shows.
    assert str(tmp_path) in result.stderr
    assert "CREWBOARD_DATABASE_URL" in result.stderr


async def test_invalid_configuration() -> None:
    result = await run_subprocess(cli_env("mysql://localhost/x"), "user", "list")
    assert_one_line_error(
        result, 2, "invalid configuration: CREWBOARD_DATABASE_URL must start with"
    )
