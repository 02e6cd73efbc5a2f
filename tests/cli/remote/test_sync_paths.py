"""Tracker paths stay under ``.claude/trackers/``: the roster refuses any other, and
``crewboard sync`` writes nothing elsewhere even if a server names another (regressions:
a member could point a tracker at ``CLAUDE.md`` or ``.claude/agents/x.md`` and have every
teammate's sync write tracker text there, an instruction file their coding agents read)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from crewboard.models import Agent
from crewboard.services.core import Invalid, unit_of_work
from crewboard.services.projects import RosterService
from tests.cli.crew import Crew
from tests.cli.remote.test_sync import sync

OUTSIDE = [
    "CLAUDE.md",
    "src/CLAUDE.md",
    ".claude/agents/backend.md",
    ".claude/commands/x.md",
    ".claude/trackers/../agents/x.md",
    ".claude/trackers/x.txt",
    ".claude/trackersx/a.md",
    ".git/hooks/post-checkout.md",
    "README.md",
]


@pytest.mark.parametrize("path", OUTSIDE)
async def test_the_roster_refuses_a_tracker_path_outside_the_trackers(
    crew: Crew, path: str
) -> None:
    world = crew.world
    with pytest.raises(Invalid) as caught:
        async with unit_of_work(world.database, write=True) as session:
            await RosterService(session).update(world.lead, "shop", "backend", tracker_path=path)
    assert caught.value.details["field"] == "tracker_path"
    async with httpx.AsyncClient(base_url=crew.url) as http:
        response = await http.post(
            "/api/v1/projects/shop/agents",
            json={"name": "intruder", "tracker_path": path},
            headers=world.headers(),
        )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "tracker_path"


async def test_the_roster_keeps_a_path_under_the_trackers(crew: Crew) -> None:
    async with unit_of_work(crew.world.database, write=True) as session:
        agent = await RosterService(session).update(
            crew.world.lead, "shop", "backend", tracker_path=".claude/trackers/team/be.md"
        )
    assert agent.tracker_path == ".claude/trackers/team/be.md"


async def test_sync_writes_nothing_where_a_server_says_outside_the_trackers(
    crew: Crew, tmp_path: Path
) -> None:
    # What a hostile or older server could answer: stored behind the service's back.
    async with unit_of_work(crew.world.database, write=True) as session:
        await session.execute(
            update(Agent).where(Agent.name == "backend").values(tracker_path="src/CLAUDE.md")
        )
    result = await sync(crew, tmp_path)
    assert result.code != 0, result
    assert "outside .claude/trackers/" in result.stderr
    assert not (tmp_path / "src").exists()
