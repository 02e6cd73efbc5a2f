"""What the MCP argument fuzzing found: a NUL in a name that reaches a query failed on
PostgreSQL (which cannot take a NUL) with the database's error, SQL included, as a JSON-RPC
error. Each is now a one-line tool error that writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from crewboard.database import Database
from tests.support.database import row_counts
from tests.support.mcp import http_agent
from tests.support.world import World


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("TaskList", {"tracker": "back\x00end"}),
        ("TaskList", {"owner": "\x00"}),
        ("TaskList", {"owner": "qa\x1b"}),
        ("SendMessage", {"to": "@lead\x00@example.com", "message": "hi"}),
    ],
)
async def test_a_control_character_in_a_queried_name_is_refused(
    tool: str, arguments: dict[str, Any], mcp_url: str, world: World, database: Database
) -> None:
    await world.task("Mine", tracker="backend")
    before = await row_counts(database)
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        await agent.error(tool, "invalid", **arguments)
        assert (await agent.ok("TaskList"))["tasks"][0]["subject"] == "Mine"
    assert await row_counts(database) == before
