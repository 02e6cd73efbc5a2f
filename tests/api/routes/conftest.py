"""The crew of ``tests.task_world`` for the task and changelog route tests."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.factory import Factory
from tests.task_world import World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    """Project ``shop`` with its lead and the six template agents, each with a token."""
    return await build_world(factory, database, settings)
