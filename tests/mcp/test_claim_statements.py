"""SQL statements per claim, REST and MCP, on the backend under test: each must equal the
number written in docs/performance.md ("Statements per claim"), so docs and code cannot drift.

Every statement any engine sends is counted (``before_cursor_execute`` on the Engine class
catches the test app's engine and the live MCP server's alike), except the live event bus's
polls, which run on their own schedule. Each caller makes one call first, so its credential's
last use is fresh and the measured call does not record it.
"""

from __future__ import annotations

import re
from pathlib import Path

from crewboard.config import Settings
from crewboard.database import Database
from tests.api.routes.task_http import TASKS, ok
from tests.support.http import client_for
from tests.support.mcp import http_agent
from tests.support.statements import counted
from tests.support.world import World

BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "performance.md"
ROW = re.compile(r"^\|\s*(REST|MCP)\s*\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|")


def documented() -> dict[tuple[str, str], dict[str, int]]:
    """The table of docs/performance.md: (face, call) -> {backend: statements}."""
    text = BENCHMARKS.read_text(encoding="utf-8")
    section = text.split("## Statements per claim", 1)[1].split("\n## ", 1)[0]
    table: dict[tuple[str, str], dict[str, int]] = {}
    for line in section.splitlines():
        if match := ROW.match(line):
            face, call, sqlite, postgres = match.groups()
            table[(face, call)] = {"sqlite": int(sqlite), "postgresql": int(postgres)}
    return table


def expected(database: Database, face: str, call: str) -> int:
    return documented()[(face, call)]["sqlite" if database.is_sqlite else "postgresql"]


def test_the_table_lists_every_measured_claim() -> None:
    assert set(documented()) == {
        ("REST", "POST /api/v1/projects/{slug}/tasks/{n}/claim"),
        ("REST", "POST /api/v1/projects/{slug}/tasks/claim"),
        ("MCP", "TaskClaim"),
    }


async def test_rest_claims(world: World, database: Database, settings: Settings) -> None:
    for title in ("first", "second"):
        await world.task(title, tracker="backend")
    backend = world.headers("backend")
    # Background jobs off, as on the live MCP server: they query on their own schedule.
    quiet = settings.model_copy(update={"jobs_enabled": False})
    async with client_for(settings=quiet, database=database) as client:
        ok(await client.get(f"{TASKS}/1", headers=backend))
        with counted() as given:
            claimed = ok(await client.post(f"{TASKS}/1/claim", json={}, headers=backend))
        with counted() as best:
            following = ok(await client.post(f"{TASKS}/claim", json={}, headers=backend))
    assert (claimed["number"], following["number"]) == (1, 2)
    call = "POST /api/v1/projects/{slug}/tasks/{n}/claim"
    assert len(given) == expected(database, "REST", call), given
    call = "POST /api/v1/projects/{slug}/tasks/claim"
    assert len(best) == expected(database, "REST", call), best


async def test_mcp_claim(mcp_url: str, world: World, database: Database) -> None:
    await world.task("first", tracker="backend")
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        await agent.ok("TaskGet", taskId="1")
        with counted() as seen:
            claimed = await agent.ok("TaskClaim", taskId="1")
    assert (claimed["id"], claimed["owner"]) == ("1", "backend")
    assert len(seen) == expected(database, "MCP", "TaskClaim"), seen


async def test_create_and_send_cost_mcp_what_they_cost_rest(
    mcp_url: str, world: World, database: Database, settings: Settings
) -> None:
    """MCP at REST's cost: TaskCreate and SendMessage send exactly the statements of
    ``POST …/tasks`` and ``POST …/messages`` for the same change (issue 18)."""
    backend = world.headers("backend")
    quiet = settings.model_copy(update={"jobs_enabled": False})
    rest: dict[str, list[str]] = {}
    async with client_for(settings=quiet, database=database) as client:
        ok(await client.get(f"{TASKS}/1", headers=backend), 404)
        with counted() as rest["create"]:
            ok(await client.post(TASKS, json={"title": "by rest"}, headers=backend), 201)
        messages = TASKS.removesuffix("/tasks") + "/messages"
        with counted() as rest["send"]:
            sent = await client.post(messages, json={"to": "qa", "body": "hi"}, headers=backend)
            ok(sent, 201)
    mcp: dict[str, list[str]] = {}
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        await agent.ok("TaskList")
        with counted() as mcp["create"]:
            await agent.ok("TaskCreate", subject="by mcp")
        with counted() as mcp["send"]:
            await agent.ok("SendMessage", to="qa", message="hi")
    assert [len(rest["create"]), len(rest["send"])] == [len(mcp["create"]), len(mcp["send"])], (
        rest,
        mcp,
    )
