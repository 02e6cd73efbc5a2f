"""Input that is not JSON's numbers or not Unicode: refused by the rule with 422 on both
backends, and nothing changes (issue 17, item 10; PostgreSQL used to answer with a 500)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.api.harness import Bad
from tests.api.task_inputs import TASKS, assert_refused_unchanged, open_world
from tests.support.world import ApiWorld

pytestmark = pytest.mark.exhaustive

CASES = [
    *(
        Bad(
            f"create-metadata-{tag}",
            "POST",
            TASKS,
            raw=b'{"title": "x", "metadata": {"k": ' + value + b"}}",
            code="invalid",
            field="metadata",
            actor="owner",
        )
        for tag, value in (
            ("nan", b"NaN"),
            ("infinity", b"-Infinity"),
            ("1e999", b"1e999"),
            ("surrogate", b'"\\ud800x"'),
            ("nested-surrogate", b'[{"deep": "\\udfff"}]'),
        )
    ),
    Bad(
        "create-metadata-surrogate-key",
        "POST",
        TASKS,
        raw=b'{"title": "x", "metadata": {"\\ud800": 1}}',
        actor="owner",
    ),
    Bad(
        "create-title-surrogate",
        "POST",
        TASKS,
        raw=b'{"title": "a\\ud800b"}',
        loc=("body", "title"),
        actor="owner",
    ),
]


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[ApiWorld]:
    async with open_world(migrated_database, base_settings) as world:
        yield world


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_non_json_numbers_and_non_unicode_are_refused(world: ApiWorld, case: Bad) -> None:
    await assert_refused_unchanged(world, case)
