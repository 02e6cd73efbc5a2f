"""One crew credential, several teammates: each started the way Claude Code starts a
teammate (its arguments, the lead's environment), each running the stdio relay, each acting
as its own roster agent; none can be another; revoking the credential stops them all."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from crewboard.config import Settings
from tests.support.cli import cli_env
from tests.support.http import API, bearer
from tests.support.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]
STUB = Path(__file__).with_name("teammate_stub.py")
WAIT = 60.0


def _claude_args(name: str | None) -> list[str]:
    """Claude Code's spawn arguments for a teammate (none for the lead's own session)."""
    if name is None:
        return []
    return [
        "--agent-id",
        f"{name}@checkout",
        "--agent-name",
        name,
        "--team-name",
        "checkout",
        "--agent-color",
        "blue",
        "--parent-session-id",
        str(uuid.uuid4()),
        "--agent-type",
        "general-purpose",
    ]


async def _start(env: dict[str, str], name: str | None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(STUB),
        *_claude_args(name),
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    raw = await asyncio.wait_for(process.stdout.readline(), WAIT)
    assert raw, "the teammate ended without a word"
    return dict(json.loads(raw))


async def test_each_teammate_is_its_own_agent_until_the_crew_is_revoked(
    mcp_url: str, world: World, settings: Settings, tmp_path: Path
) -> None:
    lead = bearer(world.lead_token)
    async with httpx.AsyncClient(base_url=mcp_url + API) as http:
        made = await http.post(
            "/tokens", json={"project": "shop", "crew": True, "name": "crew"}, headers=lead
        )
        assert made.status_code == 201, made.text
        crew = made.json()
        # One environment for the whole crew, as the lead's children inherit it; the lead
        # itself says who it is with CREWBOARD_AGENT.
        env = cli_env(
            settings.database_url,
            CREWBOARD_CONFIG_DIR=str(tmp_path),
            CREWBOARD_URL=mcp_url,
            CREWBOARD_TOKEN=crew["token"],
            CREWBOARD_AGENT="architect",
        )
        del env["CREWBOARD_DATABASE_URL"]
        names = ["backend", "qa", None]
        crewmates = [await _start(env, name) for name in names]
        try:
            created = [await _line(p) for p in crewmates]
            assert [c["error"] for c in created] == [False, False, False], created
            numbers = [int(json.loads(c["text"])["task"]["id"]) for c in created]
            owners = []
            for number in numbers:
                task = (await http.get(f"/projects/shop/tasks/{number}", headers=lead)).json()
                owners.append(task["created_by"])
            assert owners == ["backend", "qa", "architect"]

            # A teammate Claude Code named off the roster becomes nobody.
            stray = await _start(env, "researcher-1")
            refused = await _line(stray)
            assert refused["error"] is True
            await asyncio.wait_for(stray.wait(), WAIT)

            revoked = await http.delete(f"/tokens/{crew['id']}", headers=lead)
            assert revoked.status_code == 204
            for process in crewmates:
                assert process.stdin is not None
                process.stdin.write(b"again\n")
                await process.stdin.drain()
            after = [await _line(p) for p in crewmates]
            assert [a["error"] for a in after] == [True, True, True], after
        finally:
            for process in crewmates:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
