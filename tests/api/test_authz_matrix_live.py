"""Who may open a project's live stream (the machinery is in ``tests.api.matrix``).

``once=true`` makes the stream send its replay and end, so the in-process client can read
a whole answer. The check that every route has a row is in ``test_authz_matrix``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.api.matrix import ACTORS, Call, Row, World, build_world, fill, run_case

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive


async def replay_once(w: World, actor: str, route: str) -> Call:
    return Call(fill(route) + "?once=true&after=0", w.tokens[actor])


# Grid columns, in ACTORS order (spaces only group them):
#     anon bad | viewer agent member owner admin | outsider | tok_a tok_b | ro
READ = "UU +++++ N +N +"

MATRIX = (
    Row("GET", "/projects/{slug}/events", 200, READ, replay_once),
    Row("GET", "/projects/{slug}/inbox/stream", 200, READ, replay_once),
)


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    async with build_world(migrated_database, base_settings) as world:
        yield world


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
async def test_authorization(world: World, row: Row, actor: str) -> None:
    await run_case(world, row, actor)
