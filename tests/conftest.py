"""Shared fixtures. Every test that uses ``database`` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database, migrate
from tests.support.backends import postgres_or_skip, sqlite_url
from tests.support.database import empty_database, miscounted_tasks
from tests.support.factory import Factory
from tests.support.http import client_for
from tests.support.settings import cheap, production

BACKENDS = [
    b.strip()
    for b in os.environ.get("CREWBOARD_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated, empty database for this run, on each backend in turn."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("sqlite"))
        return
    async with postgres_or_skip() as url:
        yield url


@pytest.fixture(scope="session")
def base_settings(database_url: str) -> Settings:
    """Settings for the test database: cheap (no jobs, cheapest hashing), the rest default."""
    return cheap(database_url)


@pytest.fixture(scope="session")
async def migrated_database(base_settings: Settings) -> AsyncIterator[Database]:
    """One engine per backend, migrated to head once."""
    database = Database(base_settings)
    await migrate(database)
    yield database
    await database.dispose()


@pytest.fixture
async def database(migrated_database: Database) -> AsyncIterator[Database]:
    """The backend's database, emptied before the test. After it, every task's count of
    unfinished blockers (kept by triggers, migration 0012) must still match its edges,
    whatever the test wrote."""
    await empty_database(migrated_database)
    yield migrated_database
    assert await miscounted_tasks(migrated_database) == []


@pytest.fixture
def settings(base_settings: Settings) -> Settings:
    """Settings of the backend under test (tests may ``model_copy(update=...)`` them)."""
    return base_settings


@pytest.fixture
def production_settings(base_settings: Settings) -> Settings:
    """The test database's settings with production's jobs and password hashing cost, for the
    tests that assert on them."""
    return production(base_settings)


@pytest.fixture
def factory(database: Database, settings: Settings) -> Factory:
    """Makes users, projects, agents and tokens through the services."""
    return Factory(database, settings)


@pytest.fixture
async def client(database: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the real ASGI app (lifespan run) on the test database."""
    async with client_for(settings=settings, database=database) as http:
        yield http


@pytest.fixture
def repo_root() -> Path:
    """The repository's top folder."""
    return Path(__file__).resolve().parent.parent
