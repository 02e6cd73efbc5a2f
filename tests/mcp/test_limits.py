"""The list sizes the MCP tools advertise are the services' own limits, never more."""

from __future__ import annotations

from typing import Any

from crewboard.services.core import TEAM_MEMBERS_PER_CALL
from crewboard.services.tasks import FILES_MAX, MAX_LINKS_PER_CALL, MAX_TASK_LINKS
from tests.support.mcp import http_agent
from tests.support.world import World

# tool -> argument -> the service limit on its number of items
ADVERTISED = {
    "TaskCreate": {"blockedBy": MAX_LINKS_PER_CALL},
    "TaskUpdate": {
        "addBlocks": MAX_LINKS_PER_CALL,
        "addBlockedBy": MAX_LINKS_PER_CALL,
        "files": FILES_MAX,
    },
    "ChangelogAppend": {"files": FILES_MAX, "taskIds": MAX_TASK_LINKS},
    "TeamCreate": {"members": TEAM_MEMBERS_PER_CALL},
}


async def _schemas(url: str, token: str) -> dict[str, dict[str, Any]]:
    async with http_agent(url, token) as agent:
        listed = await agent.session.list_tools()
    return {tool.name: tool.input_schema["properties"] for tool in listed.tools}


async def test_advertised_list_limits_are_the_service_limits(mcp_url: str, world: World) -> None:
    tools = await _schemas(mcp_url, world.tokens["backend"])
    for tool, limits in ADVERTISED.items():
        for argument, limit in limits.items():
            assert tools[tool][argument]["maxItems"] == limit, (tool, argument)


async def test_one_dependency_more_than_the_service_takes_is_refused(
    mcp_url: str, world: World
) -> None:
    too_many = list(range(1, MAX_LINKS_PER_CALL + 2))
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        text = await agent.error("TaskCreate", "validation", subject="x", blockedBy=too_many)
    assert str(MAX_LINKS_PER_CALL) in text
