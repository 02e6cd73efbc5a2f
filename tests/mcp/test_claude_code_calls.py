"""Claude Code's own call shapes, as its team tools send them, through the official MCP client:
completion with no outcome, a lead managing its team's tasks, ``team_name`` left out, a
shutdown answered without naming whom to."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack

from tests.support.mcp import Agent, http_agent
from tests.support.world import World

LEAD, MATES = "architect", ("backend", "frontend")
# A Python value shown to a user: None, True/False, [], {} or a quoted repr.
PYTHON = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\[\]|\{\}|'[^']*'")


async def test_claude_codes_calls_are_taken_as_it_makes_them(mcp_url: str, world: World) -> None:
    async with AsyncExitStack() as stack:
        crew: dict[str, Agent] = {
            name: await stack.enter_async_context(http_agent(mcp_url, world.tokens[name]))
            for name in (LEAD, *MATES, "qa")
        }
        lead, backend = crew[LEAD], crew["backend"]
        await lead.ok("TeamCreate", team_name="search", members=list(MATES))

        # team_name left out: the caller's only team.
        made = await lead.ok("TaskCreate", subject="Search endpoint", description="GET /search")
        number = made["task"]["id"]
        listed = await backend.ok("TaskList")
        assert [t["id"] for t in listed["tasks"]] == [number]
        assert (await backend.ok("TaskGet", taskId=number))["team_name"] == "search"
        # qa is on no team: its list is the project's, and its task belongs to no team.
        await crew["qa"].ok("TaskCreate", subject="Test plan", description="")
        assert {t["id"] for t in (await crew["qa"].ok("TaskList"))["tasks"]} == {number, "2"}

        # The team's lead manages the team's tasks: assign, rename, link, delete.
        await lead.ok("TaskUpdate", taskId=number, owner="backend")
        await lead.ok("TaskUpdate", taskId=number, subject="Search endpoint v2")
        extra = (await lead.ok("TaskCreate", subject="Search index", description=""))["task"]["id"]
        await lead.ok("TaskUpdate", taskId=number, addBlockedBy=[extra])
        await lead.ok("TaskUpdate", taskId=extra, status="deleted")
        # frontend, a teammate but not the lead, may not; the message names no Python value.
        refused = await crew["frontend"].error(
            "TaskUpdate", "forbidden", taskId=number, subject="mine now"
        )
        assert "owned by backend" in refused
        assert not PYTHON.search(refused), refused
        shared = (await crew["qa"].ok("TaskCreate", subject="Shared", description=""))["task"]["id"]
        refused = await crew["frontend"].error(
            "TaskUpdate", "forbidden", taskId=shared, subject="x"
        )
        assert not PYTHON.search(refused), refused

        # Completed the way Claude Code completes a task: no outcome; recorded as not given.
        await backend.ok("TaskUpdate", taskId=number, status="in_progress")
        await backend.ok("TaskUpdate", taskId=number, status="completed")
        got = await backend.ok("TaskGet", taskId=number)
        assert got["status"] == "completed"
        tracker = await backend.text("TrackerRead")
        assert re.search(
            rf"^- \*\*\d{{4}}-\d{{2}}-\d{{2}}\*\*: #{number} Search endpoint v2\. Files: none\. "
            r"Verified: not recorded\.$",
            tracker,
            re.M,
        ), tracker

        # A shutdown_response with no recipient goes to whoever asked.
        asked = await lead.ok(
            "SendMessage", to="backend", message={"type": "shutdown_request", "reason": "done"}
        )
        sent = await backend.ok(
            "SendMessage", message={"type": "shutdown_response", "approve": True}
        )
        assert sent["recipients"] == [LEAD]
        assert sent["request_id"] == asked["request_id"]
        inbox = await lead.ok("InboxRead")
        assert [m["from"] for m in inbox["messages"]] == ["backend"], inbox
        # Nothing left to answer: a clear error, nothing sent.
        await backend.error(
            "SendMessage", "invalid", message={"type": "shutdown_response", "approve": True}
        )
