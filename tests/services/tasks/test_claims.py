"""Atomic claims under concurrency: never two owners, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.tasks import Task
from crewboard.services.core import Conflict, NotFound, unit_of_work
from crewboard.services.tasks import ClaimScope, TaskChange, Tasks, check_claimable
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world

API = f"/api/v1/projects/{SLUG}/tasks"


async def _bulk_tasks(world: World, count: int) -> None:
    async with unit_of_work(world.database, write=True) as session:
        service = Tasks(session, world.settings)
        for i in range(count):
            await service.create(world.lead, SLUG, title=f"task {i}", priority=i % 4)


async def test_fifty_clients_one_task_exactly_one_wins(
    client: httpx.AsyncClient, factory: Factory, database: Database, settings: Settings
) -> None:
    agents = tuple(f"agent-{i}" for i in range(50))
    world = await build_world(factory, database, settings, agents)
    await world.task("the one task")
    responses = await asyncio.gather(
        *(client.post(f"{API}/1/claim", json={}, headers=world.headers(a)) for a in agents)
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: 49}
    winner = next(r.json()["owner"] for r in responses if r.status_code == 200)
    for loser in (r for r in responses if r.status_code == 409):
        body = loser.json()
        assert body["type"] == "urn:crewboard:problem:already-claimed"
        assert winner in body["detail"]
    task = await world.get(1)
    assert (task.owner, task.status) == (winner, "in_progress")


async def test_sixty_four_clients_drain_two_thousand_tasks_each_once(
    factory: Factory, database: Database, settings: Settings
) -> None:
    agents = tuple(f"worker-{i}" for i in range(64))
    world = await build_world(factory, database, settings, agents)
    await _bulk_tasks(world, 2000)

    async def drain(agent: str) -> list[int]:
        mine: list[int] = []
        while True:
            try:
                async with unit_of_work(database, write=True) as session:
                    view = await Tasks(session, settings).claim_next(
                        world.actors[agent], SLUG, ClaimScope(anywhere=True)
                    )
                    mine.append(view.task.number)
            except NotFound:
                return mine

    results = await asyncio.gather(*(drain(a) for a in agents))
    claimed = [n for numbers in results for n in numbers]
    assert len(claimed) == 2000
    assert sorted(claimed) == list(range(1, 2001))
    owners = {n: a for a, numbers in zip(agents, results, strict=True) for n in numbers}
    async with unit_of_work(database, write=False) as session:
        rows = (await session.execute(select(Task.number, Task.owner, Task.status))).all()
    assert {r.number: r.owner for r in rows} == owners
    assert {r.status for r in rows} == {"in_progress"}


@pytest.mark.e2e
async def test_claims_from_several_os_processes(
    factory: Factory, database: Database, settings: Settings, repo_root: Path
) -> None:
    world = await build_world(factory, database, settings, ("w1", "w2", "w3", "w4"))
    await _bulk_tasks(world, 300)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.services.claim_worker",
            settings.database_url,
            SLUG,
            world.tokens[name],
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(repo_root),
        )
        for name in ("w1", "w2", "w3", "w4")
    ]
    claimed: list[int] = []
    for proc in procs:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, err.decode()
        claimed.extend(json.loads(out))
    assert sorted(claimed) == list(range(1, 301))
    async with unit_of_work(database, write=False) as session:
        owned = await session.scalar(
            select(func.count()).select_from(Task).where(Task.owner.is_not(None))
        )
    assert owned == 300


async def test_two_writers_with_the_same_version_one_conflict(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    task = await world.task("contested", tracker="backend")

    async def rename(title: str) -> str:
        try:
            async with unit_of_work(database, write=True) as session:
                await Tasks(session, settings).update(
                    world.lead, SLUG, task.number, TaskChange(title=title), version=task.version
                )
            return "ok"
        except Conflict as exc:
            return exc.detail_code

    outcomes = await asyncio.gather(rename("first"), rename("second"))
    assert sorted(outcomes) == ["ok", "version-conflict"]
    after = await world.get(task.number)
    assert after.version == task.version + 1
    assert after.title in ("first", "second")


async def test_claim_refusals_explain_themselves(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    first = await world.task("first")
    second = await world.task("second", blocked_by=[first.number])

    async def claim(agent: str, number: int) -> str:
        try:
            async with unit_of_work(database, write=True) as session:
                await Tasks(session, settings).claim(world.actors[agent], SLUG, number)
            return "ok"
        except Conflict as exc:
            return exc.detail_code

    assert await claim("qa", second.number) == "blocked"
    assert await claim("backend", first.number) == "ok"
    assert await claim("backend", first.number) == "already-yours"
    assert await claim("qa", first.number) == "already-claimed"
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=True) as session:
            await Tasks(session, settings).claim(world.actors["qa"], SLUG, 999)


async def test_claim_next_prefers_priority_then_age_and_own_tracker(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    await world.task("old p2 shared")
    await world.task("p1 on qa", priority=1, tracker="qa")
    await world.task("p1 on backend", priority=1, tracker="backend")
    await world.task("p0 on backend later", priority=0, tracker="backend")

    async def next_for(agent: str, scope: ClaimScope) -> str:
        async with unit_of_work(database, write=True) as session:
            view = await Tasks(session, settings).claim_next(world.actors[agent], SLUG, scope)
            return view.task.title

    assert await next_for("backend", ClaimScope()) == "p0 on backend later"
    assert await next_for("backend", ClaimScope()) == "p1 on backend"
    assert await next_for("backend", ClaimScope()) == "old p2 shared"
    with pytest.raises(NotFound) as nothing:
        await next_for("backend", ClaimScope())
    assert nothing.value.detail_code == "nothing-ready"
    assert await next_for("backend", ClaimScope(anywhere=True)) == "p1 on qa"
    with pytest.raises(NotFound) as unknown:
        await next_for("backend", ClaimScope(tracker="ghost"))
    assert (unknown.value.detail_code, unknown.value.details["field"]) == ("not-found", "tracker")


async def test_claim_next_takes_the_better_of_own_tracker_and_shared(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """The default scope is two queue seeks merged: ties go to the older task on either side,
    a task waiting on an open blocker is passed over, and the answer's links are read."""
    world = await build_world(factory, database, settings)
    older = await world.task("p1 shared, older", priority=1)
    await world.task("p1 on backend, newer", priority=1, tracker="backend")
    waiting = await world.task(
        "p0 on backend, waits", priority=0, tracker="backend", blocked_by=[older.number]
    )
    await world.task("p0 on qa", priority=0, tracker="qa")
    claimed: list[tuple[str, list[int]]] = []
    for _ in range(2):
        async with unit_of_work(database, write=True) as session:
            view = await Tasks(session, settings).claim_next(
                world.actors["backend"], SLUG, ClaimScope()
            )
            claimed.append((view.task.title, view.blocks))
    assert claimed == [("p1 shared, older", [waiting.number]), ("p1 on backend, newer", [])]
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=True) as session:
            await Tasks(session, settings).claim_next(world.actors["backend"], SLUG, ClaimScope())


async def test_a_claim_in_flight_locks_only_the_task_it_takes(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """PostgreSQL: while backend's claim of its own task is not committed, qa's default
    claim still gets the shared task the same query also looked at (found by review)."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL: SQLite runs one write transaction at a time")
    world = await build_world(factory, database, settings)
    await world.task("p0 on backend", priority=0, tracker="backend")
    await world.task("p1 shared", priority=1)
    async with unit_of_work(database, write=True) as held:
        first = await Tasks(held, settings).claim_next(world.actors["backend"], SLUG, ClaimScope())
        assert first.task.title == "p0 on backend"
        async with unit_of_work(database, write=True) as session:
            view = await Tasks(session, settings).claim_next(world.actors["qa"], SLUG, ClaimScope())
        assert view.task.title == "p1 shared"


@pytest.mark.parametrize(
    ("owner", "status", "waits", "code"),
    [
        ("backend", "in_progress", [], "already-yours"),
        ("qa", "in_progress", [], "already-claimed"),
        ("qa", "pending", [], "already-claimed"),
        (None, "blocked", [], "not-claimable"),
        (None, "completed", [], "not-claimable"),
        (None, "pending", [3, 4], "blocked"),
    ],
)
def test_the_claim_rule_says_which_part_fails(
    owner: str | None, status: str, waits: list[int], code: str
) -> None:
    task = Task(number=7, owner=owner, status=status)
    with pytest.raises(Conflict) as refused:
        check_claimable(task, "backend", waits)
    assert refused.value.detail_code == code
    if code == "blocked":
        assert refused.value.details["blocked_by"] == [3, 4]
    check_claimable(Task(number=8, owner=None, status="pending"), "backend", [])
