"""``crewboard demo``: a living demo project in one command, refused when it exists."""

from __future__ import annotations

import re

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.accounts import AuthService
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.projects import RosterService
from crewboard.services.tasks import TaskFilter, Tasks
from crewboard.services.views import DashboardService
from tests.cli.conftest import Invoke
from tests.support.factory import Factory


async def test_demo_seeds_every_state_and_prints_a_login(
    cli: Invoke, database: Database, settings: Settings
) -> None:
    result = await cli("demo")
    assert result.code == 0, result.stderr
    found = re.search(r"log in as (\S+) with password (\S+)", result.stdout)
    assert found is not None, result.stdout
    async with unit_of_work(database, write=True) as session:
        await AuthService(session, settings).login(found.group(1), found.group(2), "test")
    system = Actor.system()
    async with unit_of_work(database, write=False) as session:
        roster = await RosterService(session).list(system, "demo")
        assert [a.name for a in roster.items] == [
            "architect",
            "frontend",
            "backend",
            "domain-expert",
            "reviewer",
            "qa",
        ]
        tasks = await Tasks(session, settings).list(system, "demo", TaskFilter(), limit=50)
        assert {t.status for t in tasks.items} >= {"pending", "in_progress", "blocked", "completed"}
        kinds = {e.kind for e in await DashboardService(session).activity(system, "demo")}
        assert {"message.sent", "changelog.appended", "team.created"} <= kinds
    again = await cli("demo")
    assert again.code == 1
    assert "exists" in again.stderr


async def test_demo_for_an_existing_user_prints_no_password(cli: Invoke, factory: Factory) -> None:
    await factory.user("lead@example.com", password="a long passphrase")
    result = await cli("demo", "--project", "show", "--email", "lead@example.com")
    assert result.code == 0, result.stderr
    assert "password" in result.stdout
    assert "with that user's own password" in result.stdout
