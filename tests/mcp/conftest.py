"""Fixtures of the MCP tests: a live server on the backend under test, and the crew."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.support.cli import cli_env
from tests.support.factory import Factory
from tests.support.live import live_server
from tests.support.mcp import Agent, http_agent, stdio_agent
from tests.support.world import World, build_world


@pytest.fixture(scope="session")
def mcp_url(migrated_database: Database, base_settings: Settings) -> Iterator[str]:
    """A crewboard server (REST and /mcp) on the backend under test, for the whole run."""
    with live_server(base_settings) as url:
        yield url


@pytest.fixture
async def world(database: Database, settings: Settings, factory: Factory) -> World:
    """Project ``shop``, its roster and a token per agent (tables emptied per test)."""
    return await build_world(factory, database, settings)


Connect = Callable[[str], AbstractAsyncContextManager[Agent]]


@pytest.fixture(params=["http", pytest.param("stdio", marks=pytest.mark.e2e)])
def connect(
    request: pytest.FixtureRequest, mcp_url: str, settings: Settings, tmp_path: Path
) -> Connect:
    """An MCP session for a token, over streamable HTTP or over stdio (``crewboard mcp``
    spawned by the official client, relaying to the same server)."""
    if request.param == "http":
        return lambda token: http_agent(mcp_url, token)

    def over_stdio(token: str) -> AbstractAsyncContextManager[Agent]:
        env = cli_env(
            settings.database_url,
            CREWBOARD_CONFIG_DIR=str(tmp_path),
            CREWBOARD_URL=mcp_url,
            CREWBOARD_TOKEN=token,
        )
        del env["CREWBOARD_DATABASE_URL"]  # the relay names the server, not a database
        return stdio_agent([], env)

    return over_stdio
