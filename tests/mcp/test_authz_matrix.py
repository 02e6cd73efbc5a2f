"""Who may call which MCP tool: every tool against every kind of caller, on a live server.

Credentials the door refuses (none, forged, a person's, a removed agent's, revoked, expired)
get HTTP 401 before any tool runs, for every tool. Agent tokens reach the tools through the
official MCP client: this project's agent may call each one, its read-only twin only the
reads, and an agent of another project finds nothing of this one. Every case checks that
no row of this project changed unless the call was allowed to change one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.mcp.server import SPECS
from crewboard.models import AuthSession, Base, utcnow
from crewboard.services.core import unit_of_work
from crewboard.services.projects import Role, RosterService
from tests.api.matrix import FORGED
from tests.support.database import empty_database
from tests.support.factory import SYSTEM, Factory, issue_token
from tests.support.mcp import Agent, http_agent
from tests.support.world import SLUG, build_world

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

# Refused at the HTTP door: actor -> the 401's error code.
DOOR = {
    "anon": "unauthenticated",
    "forged": "invalid-token",
    "person": "agent-token-required",
    "removed": "revoked-token",
    "revoked": "revoked-token",
    "expired": "expired-token",
}
# Reach the tools: this project's agent, its read-only token, another project's agent.
INSIDE = ("agent", "read_only", "other")
ACTORS = (*DOOR, *INSIDE)


@dataclass
class World:
    """Project ``shop`` (agents backend, qa) and ``elsewhere`` (agent backend)."""

    database: Database
    url: str
    shop_id: int
    tokens: dict[str, str | None] = field(default_factory=dict)
    serial: itertools.count[int] = field(default_factory=itertools.count)

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.serial)}"


Prepare = Callable[[World, Agent], Awaitable[dict[str, Any]]]


async def nothing(w: World, lead: Agent) -> dict[str, Any]:
    return {}


def fixed(**args: Any) -> Prepare:
    async def prepare(w: World, lead: Agent) -> dict[str, Any]:
        return dict(args)

    return prepare


async def fresh_task(w: World, lead: Agent) -> str:
    """A new pending task of shop on backend's tracker; its id."""
    made = await lead.ok("TaskCreate", subject=w.unique("Task "), tracker="backend")
    return str(made["task"]["id"])


def on_task(**args: Any) -> Prepare:
    async def prepare(w: World, lead: Agent) -> dict[str, Any]:
        return {"taskId": await fresh_task(w, lead), **args}

    return prepare


async def new_team(w: World, lead: Agent) -> dict[str, Any]:
    return {"team_name": w.unique("team-")}


async def existing_team(w: World, lead: Agent) -> dict[str, Any]:
    name = w.unique("doomed-")
    await lead.ok("TeamCreate", team_name=name)
    return {"team_name": name}


async def changelog(w: World, lead: Agent) -> dict[str, Any]:
    return {
        "title": w.unique("Entry "),
        "problem": "p",
        "fix": "f",
        "files": ["a.py"],
        "verified": "v",
        "taskIds": [await fresh_task(w, lead)],
    }


@dataclass(frozen=True)
class Row:
    """A tool, how to make its arguments, and what each inside actor gets ('+' or a code)."""

    tool: str
    prepare: Prepare
    agent: str = "+"
    read_only: str = "forbidden"
    other: str = "not-found"
    note: str = ""

    def expect(self, actor: str) -> str:
        return {"agent": self.agent, "read_only": self.read_only, "other": self.other}[actor]


# "other" succeeding means it acted in its own project: shop's rows must not change.
# fmt: off
MATRIX: tuple[Row, ...] = (
    Row("TeamCreate",      new_team,                              other="+"),
    Row("TeamDelete",      existing_team),
    Row("TaskCreate",      fixed(subject="Created"),              other="+"),
    Row("TaskCreate",      fixed(subject="On qa", tracker="qa"),  other="not-found", note="qa"),
    Row("TaskList",        nothing,                               read_only="+", other="+"),
    Row("TaskGet",         on_task(),                             read_only="+"),
    Row("TaskUpdate",      on_task(subject="Renamed")),
    Row("TaskClaim",       on_task()),
    Row("SendMessage",     fixed(to="qa", message="hello"),       other="invalid"),
    Row("InboxRead",       fixed(mark_read=False),                read_only="+", other="+"),
    Row("TrackerRead",     fixed(agent="qa"),                     read_only="+"),
    Row("ChangelogAppend", changelog),
)
# fmt: on
WRITES = {spec.name for spec in SPECS if spec.write is True}


def test_matrix_covers_every_tool() -> None:
    """A new tool fails here until it has a row."""
    assert {row.tool for row in MATRIX} == {spec.name for spec in SPECS}
    ids = [row.tool + row.note for row in MATRIX]
    assert len(ids) == len(set(ids))
    # A read-only token may call exactly the tools that change nothing.
    for row in MATRIX:
        assert (row.read_only == "+") is (row.tool not in WRITES), row.tool


async def shop_rows(w: World) -> dict[str, int]:
    """Rows of shop in every project-scoped table (what an outsider must never change)."""
    counts: dict[str, int] = {}
    async with unit_of_work(w.database, write=False) as session:
        for table in Base.metadata.sorted_tables:
            if "project_id" in table.c:
                query = select(func.count()).select_from(table)
                counts[table.name] = (
                    await session.scalar(query.where(table.c.project_id == w.shop_id)) or 0
                )
    return counts


async def dead_token(w: World, factory: Factory, settings: Settings, how: str) -> str:
    """A backend token of shop, then made unusable: revoked, expired, or its agent removed."""
    agent = "gone" if how == "removed" else "backend"
    if how == "removed":
        await factory.agent(SLUG, agent)
    lead = await factory.user(f"{how}@example.com")
    await factory.member(SLUG, f"{how}@example.com", Role.MEMBER)
    token_id, token = await issue_token(w.database, settings, lead, project=SLUG, agent=agent)
    async with unit_of_work(w.database, write=True) as session:
        if how == "removed":
            await RosterService(session).remove(SYSTEM, SLUG, agent)
        else:
            record = await session.get(AuthSession, token_id)
            assert record is not None
            if how == "revoked":
                record.revoked_at = utcnow()
            else:
                record.expires_at = utcnow() - timedelta(seconds=1)
    return token


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings, mcp_url: str) -> World:
    await empty_database(migrated_database)
    factory = Factory(migrated_database, base_settings)
    crew = await build_world(factory, migrated_database, base_settings, ("backend", "qa"))
    outsider = await factory.user("outsider@example.com")
    await factory.project("elsewhere", outsider)
    await factory.agent("elsewhere", "backend")
    w = World(migrated_database, mcp_url, crew.actors["backend"].project_id or 0)
    w.tokens = {
        "anon": None,
        "forged": FORGED,
        "person": crew.lead_token,
        "agent": crew.tokens["backend"],
        "read_only": await factory.token(
            crew.lead.user_id or 0, project=SLUG, agent="backend", read_only=True
        ),
        "other": await factory.token(outsider, project="elsewhere", agent="backend"),
    }
    for how in ("removed", "revoked", "expired"):
        w.tokens[how] = await dead_token(w, factory, base_settings, how)
    return w


async def call_at_the_door(w: World, actor: str, tool: str, args: dict[str, Any]) -> None:
    """A raw ``tools/call`` with a refused credential: 401 with its code, nothing run."""
    token = w.tokens[actor]
    headers = {"accept": "application/json, text/event-stream"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": args},
    }
    async with httpx.AsyncClient(base_url=w.url) as http:
        response = await http.post("/mcp", json=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == DOOR[actor]
    assert response.headers["www-authenticate"].startswith("Bearer")
    if token is not None:
        assert token not in response.text


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.tool + row.note)
async def test_tool_authorization(world: World, row: Row, actor: str) -> None:
    async with http_agent(world.url, world.tokens["agent"]) as lead:
        args = await row.prepare(world, lead)
    before = await shop_rows(world)
    if actor in DOOR:
        await call_at_the_door(world, actor, row.tool, args)
        assert await shop_rows(world) == before
        return
    expected = row.expect(actor)
    async with http_agent(world.url, world.tokens[actor]) as agent:
        if expected != "+":
            await agent.error(row.tool, expected, **args)
            assert await shop_rows(world) == before
            return
        text = await agent.text(row.tool, **args)
    if actor == "other" or row.tool not in WRITES:
        assert await shop_rows(world) == before
    if actor == "other":
        assert "Task " not in text  # none of shop's task titles
    elif row.tool == "TrackerRead":
        assert text.startswith("# qa tracker")
    else:
        assert isinstance(json.loads(text), dict)
