"""Fixtures for the command-line tests: the command pointed at the backend under test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.cli.crew import Crew
from tests.support.cli import Result, cli_env, run_in_process, run_subprocess
from tests.support.factory import Factory
from tests.support.live import live_server
from tests.support.settings import CHEAP_HASHING_ENV
from tests.support.world import build_world


class Invoke(Protocol):
    """Runs ``crewboard ARGS`` and returns what it did."""

    async def __call__(self, *args: str, stdin: str | None = None) -> Result: ...


@pytest.fixture
def cli(database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``crewboard ARGS`` in-process (the same ``run()``) on the emptied test database."""
    for name in [n for n in os.environ if n.startswith("CREWBOARD_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CREWBOARD_DATABASE_URL", settings.database_url)
    for name, value in CHEAP_HASHING_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "200")

    async def invoke(*args: str, stdin: str | None = None) -> Result:
        return await run_in_process(*args, stdin=stdin or "")

    return invoke


@pytest.fixture
def cli_process(database: Database, settings: Settings) -> Invoke:
    """``python -m crewboard ARGS`` as a subprocess on the emptied test database."""
    env = cli_env(settings.database_url)

    async def invoke(*args: str, stdin: str | None = None) -> Result:
        return await run_subprocess(env, *args, stdin=stdin)

    return invoke


@pytest.fixture(scope="session")
def server_url(migrated_database: Database, base_settings: Settings) -> Iterator[str]:
    """A crewboard server on the backend under test, for the whole run (tables emptied per test)."""
    with live_server(base_settings) as url:
        yield url


@pytest.fixture
async def crew(
    server_url: str,
    database: Database,
    settings: Settings,
    factory: Factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Crew:
    """Project ``shop`` with its crew, served live; the client's config folder is empty."""
    for name in [n for n in os.environ if n.startswith("CREWBOARD_")]:
        monkeypatch.delenv(name)
    config_dir = tmp_path / "config"
    monkeypatch.setenv("CREWBOARD_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("COLUMNS", "200")
    world = await build_world(factory, database, settings)
    return Crew(url=server_url, world=world, config_dir=config_dir, monkeypatch=monkeypatch)
