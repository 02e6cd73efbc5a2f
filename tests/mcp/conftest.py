"""Fixtures of the MCP tests: a live server on the backend under test, and the crew."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.cli.live import live_server
from tests.factory import Factory
from tests.task_world import World, build_world


@pytest.fixture(scope="session")
def mcp_url(migrated_database: Database, base_settings: Settings) -> Iterator[str]:
    """A crewboard server (REST and /mcp) on the backend under test, for the whole run."""
    with live_server(base_settings) as url:
        yield url


@pytest.fixture
async def world(database: Database, settings: Settings, factory: Factory) -> World:
    """Project ``shop``, its roster and a token per agent (tables emptied per test)."""
    return await build_world(factory, database, settings)
