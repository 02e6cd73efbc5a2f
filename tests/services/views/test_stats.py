"""The dashboard's aggregates and read models, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import utcnow
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, NotFound, unit_of_work
from crewboard.services.tasks import Tasks
from crewboard.services.views import DashboardService
from crewboard.services.views.stats import NOBODY, StatsService
from tests.support.factory import Factory
from tests.web.test_pages import seed_shop

ALICE = "alice@example.com"


async def _actor(factory: Factory, email: str) -> Actor:
    async with unit_of_work(factory.database, write=False) as session:
        user = await UserService(session).by_email(Actor.system(), email)
        return Actor(user_id=user.id, label=email)


async def test_throughput_cycle_times_and_blocked_matrix(
    factory: Factory, database: Database, settings: Settings
) -> None:
    await seed_shop(factory)
    alice = await _actor(factory, ALICE)
    async with unit_of_work(database, write=True) as session:
        tasks = Tasks(session, settings)
        await tasks.create(alice, "shop", title="Unowned done")
        await tasks.complete(alice, "shop", 4, outcome="done without a claim")
    async with unit_of_work(database, write=False) as session:
        stats = StatsService(session)
        flow = await stats.throughput(alice, "shop", days=14)
        assert len(flow.days) == 14
        assert flow.days[-1] == utcnow().date()
        assert flow.per_agent == {"backend": [0] * 13 + [1], NOBODY: [0] * 13 + [1]}
        cycles = await stats.cycle_times(alice, "shop")
        median, count = cycles.per_agent["backend"]
        assert count == 1
        assert timedelta(0) <= median < timedelta(minutes=1)
        assert NOBODY not in cycles.per_agent  # never started: no cycle
        assert sum(n for _, n in cycles.buckets) == 1
        matrix = await stats.blocked_matrix(alice, "shop")
        assert matrix.counts == {("qa", "backend"): 1}
        tomorrow = await stats.throughput(alice, "shop", days=3, now=utcnow() + timedelta(days=1))
        assert tomorrow.per_agent["backend"] == [0, 1, 0]


async def test_read_models_are_scoped_to_the_project(
    factory: Factory, database: Database, settings: Settings
) -> None:
    await seed_shop(factory)
    alice, bob = await _actor(factory, ALICE), await _actor(factory, "bob@example.com")
    async with unit_of_work(database, write=False) as session:
        board = DashboardService(session)
        graph = await board.graph(alice, "shop")
        assert graph.edges == [(1, 2)]
        assert len(graph.tasks) == 3
        assert [t.number for t in (await board.graph(alice, "shop", team="web")).tasks] == [1]
        crew = {row.agent.name: row for row in await board.roster_at_work(alice, "shop")}
        assert [t.number for t in crew["qa"].blocked] == [3]
        assert crew["backend"].last_activity is not None
        assert len(await board.thread(alice, "shop", 1)) == 1
        for call in (
            board.activity(bob, "shop"),
            board.graph(bob, "shop"),
            board.roster_at_work(bob, "shop"),
            board.thread(bob, "shop", 1),
            StatsService(session).throughput(bob, "shop"),
            StatsService(session).cycle_times(bob, "shop"),
            StatsService(session).blocked_matrix(bob, "shop"),
        ):
            with pytest.raises(NotFound):
                await call
