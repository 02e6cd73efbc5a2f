"""Impersonation through MCP: a tool call acts as its token's agent, whatever it names.

Arguments no tool declares (``from``, ``sender``, ``created_by`` …) are refused before
anything runs; the declared ones that name an agent (``owner``, ``tracker``) cannot make
another agent the actor; proxy-style headers change nothing. What is recorded (message
sender, task creator and owner, changelog agent, event actor) is read from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp.client import ClientSession
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from crewboard.database import Database
from crewboard.mcp.server import SPECS
from crewboard.models import ChangelogEntry, Event, Message, Task
from crewboard.services.core import unit_of_work
from tests.support.database import row_counts
from tests.support.mcp import TIMEOUT, Agent, http_agent
from tests.support.world import World

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

IDENTITY_ARGS = (
    "from",
    "sender",
    "agent",
    "owner",
    "created_by",
    "actor",
    "as_agent",
    "author",
    "user",
    "agent_name",
    "tracker",
)
# Valid arguments for each tool (validation is checked before anything is looked up).
BASE: dict[str, dict[str, Any]] = {
    "TeamCreate": {"team_name": "t"},
    "TeamDelete": {"team_name": "t"},
    "TaskCreate": {"subject": "s"},
    "TaskList": {},
    "TaskGet": {"taskId": 1},
    "TaskUpdate": {"taskId": 1},
    "TaskClaim": {},
    "SendMessage": {"to": "qa", "message": "hi"},
    "InboxRead": {},
    "TrackerRead": {},
    "ChangelogAppend": {"title": "t", "problem": "p", "fix": "f", "files": [], "verified": "v"},
}
SPOOF_HEADERS = {
    "x-agent": "qa",
    "x-crewboard-agent": "qa",
    "x-forwarded-user": "qa",
    "x-forwarded-for": "10.9.9.9",
    "x-remote-user": "lead@example.com",
}
ME = "backend"


def test_every_tool_has_base_arguments() -> None:
    assert set(BASE) == {spec.name for spec in SPECS}


@asynccontextmanager
async def spoofing_agent(url: str, token: str) -> AsyncIterator[Agent]:
    """An MCP session whose every request also carries identity-looking headers."""
    headers = {"authorization": f"Bearer {token}", **SPOOF_HEADERS}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=TIMEOUT) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session,
    ):
        await session.initialize()
        yield Agent(session)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
async def test_undeclared_identity_arguments_are_refused(
    mcp_url: str, world: World, database: Database, spec: Any
) -> None:
    declared = {field.alias or name for name, field in spec.args.model_fields.items()}
    undeclared = [name for name in IDENTITY_ARGS if name not in declared]
    assert undeclared
    before = await row_counts(database)
    async with http_agent(mcp_url, world.tokens[ME]) as agent:
        for name in undeclared:
            await agent.error(spec.name, "validation", **{**BASE[spec.name], name: "qa"})
    assert await row_counts(database) == before


async def last(database: Database, model: Any, order: Any) -> Any:
    async with unit_of_work(database, write=False) as session:
        return await session.scalar(select(model).order_by(order.desc()).limit(1))


async def assert_event_by_me(database: Database) -> None:
    event = await last(database, Event, Event.id)
    assert event.actor.startswith(f"{ME} ("), event.actor


async def test_what_is_recorded_is_the_tokens_agent(
    mcp_url: str, world: World, database: Database
) -> None:
    async with spoofing_agent(mcp_url, world.tokens[ME]) as agent:
        await agent.ok("SendMessage", to="qa", message="from me")
        message = await last(database, Message, Message.id)
        assert message.sender == ME
        await assert_event_by_me(database)
        # A task on qa's tracker is still backend's to have created.
        made = await agent.ok("TaskCreate", subject="For qa", tracker="qa")
        task = await last(database, Task, Task.id)
        assert (str(task.number), task.tracker) == (made["task"]["id"], "qa")
        assert task.created_by.startswith(ME)
        await assert_event_by_me(database)
        await agent.ok(
            "ChangelogAppend", title="Mine", problem="p", fix="f", files=[], verified="v"
        )
        entry = await last(database, ChangelogEntry, ChangelogEntry.id)
        assert entry.agent == ME
        await assert_event_by_me(database)


async def test_an_agent_cannot_make_another_the_owner(
    mcp_url: str, world: World, database: Database
) -> None:
    await world.task("Unowned", tracker=ME)
    held = await world.task("Held by qa", tracker="qa")
    async with http_agent(mcp_url, world.tokens[ME]) as agent:
        before = await row_counts(database)
        await agent.error("TaskUpdate", "forbidden", taskId=1, owner="qa")
        assert await row_counts(database) == before
        assert (await world.get(1)).owner is None
    async with http_agent(mcp_url, world.tokens["qa"]) as qa:
        await qa.ok("TaskUpdate", taskId=held.number, owner="qa")
    async with http_agent(mcp_url, world.tokens[ME]) as agent:
        await agent.error("TaskUpdate", "already-claimed", taskId=held.number, owner=ME)
    assert (await world.get(held.number)).owner == "qa"
