"""``crewboard mcp`` over stdio, spawned by the official client: relaying to a server, and
running on a local database."""

from __future__ import annotations

from pathlib import Path

import pytest

from crewboard.config import Settings
from tests.mcp.test_tools import NAMES
from tests.support.cli import assert_one_line_error, cli_env, run_subprocess
from tests.support.mcp import stdio_agent
from tests.support.world import World

pytestmark = pytest.mark.e2e  # `crewboard mcp` spawned by the official client


def _env(settings: Settings, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = cli_env(settings.database_url, CREWBOARD_CONFIG_DIR=str(tmp_path), **extra)
    del env["CREWBOARD_DATABASE_URL"]  # each mode must name its own target
    return env


async def test_relay_to_the_server(
    mcp_url: str, world: World, settings: Settings, tmp_path: Path
) -> None:
    await world.task("Shared work")
    env = _env(settings, tmp_path, CREWBOARD_URL=mcp_url, CREWBOARD_TOKEN=world.tokens["qa"])
    async with stdio_agent([], env) as qa:
        assert {t.name for t in (await qa.session.list_tools()).tools} == NAMES
        claimed = await qa.ok("TaskClaim")
        assert claimed["owner"] == "qa"
        await qa.error("TaskGet", "not-found", taskId="42")
        await qa.error("TaskGet", "validation", taskId=[1])
        await qa.error("SendMessage", "invalid", to="nobody", message="hi")
        assert "- #1 [P2] Shared work — owner: qa" in await qa.text("TrackerRead")
    assert (await world.get(1)).owner == "qa"


async def test_local_database(world: World, settings: Settings, tmp_path: Path) -> None:
    await world.task("Local work", tracker="backend")
    args = ["--database-url", settings.database_url, "--project", "shop", "--agent", "backend"]
    async with stdio_agent(args, _env(settings, tmp_path)) as backend:
        assert {t.name for t in (await backend.session.list_tools()).tools} == NAMES
        done = await backend.ok(
            "TaskUpdate",
            taskId="1",
            status="completed",
            outcome="done",
            files=["x.py"],
            verified="pytest",
        )
        assert done["statusChange"] == {"from": "pending", "to": "completed"}
        await backend.ok("SendMessage", to="qa", message="local hello")
        await backend.error("TaskClaim", "nothing-ready")
        await backend.error("TaskUpdate", "not-found", taskId="7", status="completed")
    task = await world.get(1)
    assert (task.status, task.owner, task.files) == ("completed", "backend", ["x.py"])


async def test_start_failures_are_one_line(
    mcp_url: str, world: World, settings: Settings, tmp_path: Path
) -> None:
    bad = _env(settings, tmp_path, CREWBOARD_URL=mcp_url, CREWBOARD_TOKEN="cb_wrong")
    assert_one_line_error(await run_subprocess(bad, "mcp"), 4, "invalid")
    person = _env(settings, tmp_path, CREWBOARD_URL=mcp_url, CREWBOARD_TOKEN=world.lead_token)
    assert_one_line_error(await run_subprocess(person, "mcp"), 4, "agent token")
    local = ["mcp", "--database-url", settings.database_url, "--project", "shop"]
    env = _env(settings, tmp_path)
    assert_one_line_error(await run_subprocess(env, *local, "--agent", "nobody"), 3, "nobody")
    assert_one_line_error(await run_subprocess(env, *local), 2, "--agent")
