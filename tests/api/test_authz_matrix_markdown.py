"""Who may read the markdown files (the machinery is in ``tests.api.matrix``): any member."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Tasks
from tests.api.matrix import ACTORS, Call, Row, World, build_world, fill, run_case
from tests.support.factory import SYSTEM

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

READ = "UU +++++ N +N +"
WRITE = "UU F++++ N +N F"  # agents and members alike (sync learns a file's style)
STYLE = {"style": {"separator": " -- ", "ids": "comment", "header": False}}


async def backend(w: World, actor: str, route: str) -> Call:
    return Call(fill(route, agent="backend"), w.tokens[actor])


async def backend_style(w: World, actor: str, route: str) -> Call:
    return Call(fill(route, agent="backend"), w.tokens[actor], STYLE)


async def refused(w: World, actor: str, route: str) -> Call:
    body = {
        "file": ".claude/trackers/backend-tracker.md",
        "refused": [{"line": 3, "text": "x", "reason": "y"}],
    }
    return Call(fill(route), w.tokens[actor], body)


async def changelog_style(w: World, actor: str, route: str) -> Call:
    return Call(fill(route), w.tokens[actor], {"style": {"form": "template"}})


# fmt: off
MATRIX = (
    #   method  route                                  ok   grid
    Row("GET",  "/projects/{slug}/trackers/{agent}.md", 200, READ, backend),
    Row("GET",  "/projects/{slug}/changelog.md",       200, READ),
    Row("PUT",  "/projects/{slug}/trackers/{agent}.style", 204, WRITE, backend_style),
    Row("PUT",  "/projects/{slug}/changelog.style",    204, WRITE, changelog_style),
    Row("POST", "/projects/{slug}/sync/refused",       204, WRITE, refused),
)
# fmt: on


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    """The matrix world, with a task on backend's tracker."""
    async with build_world(migrated_database, base_settings) as world:
        async with unit_of_work(world.database, write=True) as session:
            await Tasks(session, world.settings).create(
                SYSTEM, "alpha", title="Listed", tracker="backend"
            )
        yield world


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
async def test_authorization(world: World, row: Row, actor: str) -> None:
    await run_case(world, row, actor)
