"""``crewboard demo``: a demo project with a past week of work, in one command, given to
whoever runs it; refused when it exists."""

from __future__ import annotations

import re

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import utcnow
from crewboard.services.accounts import AuthService
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.projects import RosterService
from crewboard.services.tasks import TaskFilter, Tasks
from crewboard.services.views import DashboardService, StatsService
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
        feed = DashboardService(session)
        activity = await feed.activity(system, "demo", limit=200)
        while older := await feed.activity(system, "demo", before=activity[-1].id, limit=200):
            activity += older
        kinds = {e.kind for e in activity}
        assert {"message.sent", "changelog.appended", "team.created", "task.claimed"} <= kinds
        # A week lived at working hours: completions on several days, nothing in the future,
        # the newest moments today (the board is alive), real cycle times.
        stats = StatsService(session)
        throughput = await stats.throughput(system, "demo")
        per_day = [sum(day) for day in zip(*throughput.per_agent.values(), strict=True)]
        assert sum(1 for n in per_day if n) >= 3, per_day
        cycles = await stats.cycle_times(system, "demo")
        assert all(median.total_seconds() > 1800 for median, _ in cycles.per_agent.values())
        now = utcnow()
        assert all(e.at <= now for e in activity)
        assert (now - max(e.at for e in activity)).total_seconds() < 600
        assert len({e.at.date() for e in activity}) >= 4
        past = [e.at for e in activity if e.kind == "changelog.appended"]
        assert all(8 <= at.hour < 18 for at in past)
    again = await cli("demo")
    assert again.code == 1
    assert "exists" in again.stderr


async def test_demo_for_an_existing_user_prints_no_password(cli: Invoke, factory: Factory) -> None:
    await factory.user("lead@example.com", password="a long passphrase")
    result = await cli("demo", "--project", "show", "--email", "lead@example.com")
    assert result.code == 0, result.stderr
    assert "owned by lead@example.com" in result.stdout
    assert "with your own password" in result.stdout


async def test_demo_goes_to_the_only_admin_or_asks(cli: Invoke, factory: Factory) -> None:
    """Run after `crewboard user create … --admin`, the demo is that admin's; with several
    people who could own it, it asks for --email and creates nothing."""
    await factory.user("lead@example.com", admin=True, password="a long passphrase")
    mine = await cli("demo")
    assert mine.code == 0, mine.stderr
    assert "owned by lead@example.com" in mine.stdout
    assert "password" not in mine.stdout.replace("your own password", "")
    await factory.user("second@example.com", admin=True, password="a long passphrase")
    asked = await cli("demo", "--project", "other")
    assert asked.code == 2, asked
    assert "--email" in asked.stderr
    assert len(asked.stderr.strip().splitlines()) == 1
    bad = await cli("demo", "--project", "other", "--email", "not-an-address")
    assert bad.code == 2
    assert "e-mail" in bad.stderr
    listed = await cli("project", "list", "--json")
    assert "other" not in listed.stdout
