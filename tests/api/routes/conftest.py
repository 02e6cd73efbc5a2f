"""The crew of ``tests.support.world`` for the task and changelog route tests."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.support.factory import Factory
from tests.support.world import World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    """Project ``shop`` with its lead and the six template agents, each with a token."""
    return await build_world(factory, database, settings)
