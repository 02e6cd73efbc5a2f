"""Two ``crewboard serve`` processes on one PostgreSQL database, jobs on in both.

A claim storm through both at once hands no task to two clients; then, with nobody
renewing, every lease expires and is handed back exactly once (one event, one message),
although both servers run the lease job.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Event
from crewboard.models.messages import Delivery, Message
from crewboard.models.tasks import Task
from crewboard.services.core import unit_of_work
from crewboard.services.teams import TeamService
from tests.reliability.load import (
    ServeProcess,
    bad_lines,
    busy_response,
    problem_code,
    require_backend,
    scale,
    serve,
)
from tests.support.backends import postgres_or_skip
from tests.support.factory import Factory
from tests.support.world import SLUG, World, build_world

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.xdist_group("heavy")]
logger = logging.getLogger(__name__)

API = f"/api/v1/projects/{SLUG}"
CLIENTS = tuple(f"c{i}" for i in range(scale(8, 16)))
LEAD = "captain"  # leads the team; claims nothing, so each of its messages is a team task's
TASKS = scale(60, 300)
ROUNDS = scale(1, 4)
LEASE_MINUTES = "0.1"  # six seconds
CHECK_SECONDS = 0.3
SETTLE = 60.0 + TASKS * 0.2  # generous: the machine is shared
HANDED_BACK = re.compile(r"handed back (\d+) task")


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (not migrated: both servers migrate it at once)."""
    require_backend("postgresql")
    async with postgres_or_skip() as url:
        yield url


async def _storm(
    servers: list[ServeProcess], world: World, claims: dict[int, list[str]], unexpected: list[str]
) -> Counter[str]:
    """Every client claims the best ready task until none is, alternating the servers."""
    seen: Counter[str] = Counter()

    async def client(agent: str) -> None:
        https = [
            httpx.AsyncClient(base_url=s.base_url, headers=world.headers(agent), timeout=60)
            for s in servers
        ]
        try:
            for i in range(TASKS * 2):
                r = await https[i % 2].post(f"{API}/tasks/claim", json={"anywhere": True})
                if r.status_code == 200:
                    task = r.json()
                    assert task["owner"] == agent, task
                    claims[task["number"]].append(agent)
                    seen["claimed"] += 1
                elif r.status_code == 404 and problem_code(r) == "nothing-ready":
                    return
                elif busy_response(r):
                    seen["busy"] += 1
                elif r.status_code == 409:
                    seen[problem_code(r)] += 1
                else:
                    unexpected.append(f"claim: {r.status_code} {r.text[:300]}")
        finally:
            for http in https:
                await http.aclose()

    await asyncio.gather(*(client(a) for a in CLIENTS))
    return seen


async def _all_back(database: Database) -> bool:
    async with unit_of_work(database, write=False) as session:
        held = await session.scalar(select(Task.id).where(Task.status != "pending").limit(1))
    return held is None


async def _check(database: Database, claims: dict[int, list[str]], team_tasks: set[int]) -> int:
    """Per task: claims and expiries alternate, one expiry per acknowledged claim, naming
    its owner; one lease-expired message each, to the owner (and the lead of a team task)."""
    async with unit_of_work(database, write=False) as session:
        tasks = {t.number: t for t in (await session.scalars(select(Task))).all()}
        events = (
            await session.execute(
                select(Event.subject, Event.kind, Event.data)
                .where(Event.kind.in_(["task.claimed", "task.lease_expired"]))
                .order_by(Event.id)
            )
        ).all()
        notes = (
            await session.execute(
                select(Message.summary, Delivery.recipient)
                .join(Delivery, Delivery.message_id == Message.id)
                .where(Message.kind == "lease_expired")
            )
        ).all()
    history: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for subject, kind, data in events:
        history[int(subject.removeprefix("task:"))].append((kind, data["owner"]))
    told: dict[int, Counter[str]] = defaultdict(Counter)
    for summary, recipient in notes:
        found = re.search(r"#(\d+)", summary or "")
        assert found, summary
        told[int(found.group(1))][recipient] += 1
    expired = 0
    for number, task in tasks.items():
        assert (task.status, task.owner, task.lease_expires_at) == ("pending", None, None)
        owners = claims.get(number, [])
        expected = [
            pair
            for owner in owners
            for pair in (("task.claimed", owner), ("task.lease_expired", owner))
        ]
        assert history[number] == expected, (number, history[number], owners)
        want: Counter[str] = Counter(owners)
        if number in team_tasks:
            want[LEAD] += len(owners)
        assert told[number] == want, (number, told[number], want)
        expired += len(owners)
    return expired


async def _world(url: str) -> tuple[Database, World, set[int]]:
    """The crew (every client on team ``storm``, led by ``captain``) and the tasks."""
    settings = Settings(database_url=url, jobs_enabled=False)
    database = Database(settings)
    world = await build_world(
        Factory(database, settings), database, settings, agents=(*CLIENTS, LEAD)
    )
    async with unit_of_work(database, write=True) as session:
        await TeamService(session, settings).create(
            world.lead, SLUG, name="storm", lead=LEAD, members=CLIENTS
        )
    team_tasks = set()
    for i in range(TASKS):
        if i % 2:
            team_tasks.add((await world.task(f"team task {i}", team="storm")).number)
        else:
            await world.task(f"shared task {i}")
    return database, world, team_tasks


async def test_two_servers_claim_storm_then_each_lease_expires_once(
    postgres_url: str, tmp_path: Path
) -> None:
    env = {
        "CREWBOARD_LEASE_MINUTES": LEASE_MINUTES,
        "CREWBOARD_JOBS_ENABLED": "true",
        "CREWBOARD_LEASE_CHECK_SECONDS": str(CHECK_SECONDS),
        "CREWBOARD_LOG_LEVEL": "INFO",  # the lease job logs each hand-back at INFO
    }
    logs = [tmp_path / "serve-1.log", tmp_path / "serve-2.log"]
    claims: dict[int, list[str]] = defaultdict(list)
    unexpected: list[str] = []
    seen: Counter[str] = Counter()
    async with (
        serve(postgres_url, logs[0], **env) as one,
        serve(postgres_url, logs[1], **env) as two,
    ):
        # Both migrate the new database at once (an advisory lock takes turns).
        await asyncio.gather(one.wait_healthy(), two.wait_healthy())
        database, world, team_tasks = await _world(postgres_url)
        try:
            for _ in range(ROUNDS):
                seen += await _storm([one, two], world, claims, unexpected)
                for _ in range(int(SETTLE / 0.5)):
                    if await _all_back(database):
                        break
                    await asyncio.sleep(0.5)
                # A few more job runs in both servers: a second hand-back would show now.
                await asyncio.sleep(CHECK_SECONDS * 5)
            expired = await _check(database, claims, team_tasks)
        finally:
            await database.dispose()
    assert unexpected == []
    assert seen["claimed"] == sum(len(owners) for owners in claims.values()) == expired
    per_server = []
    for log in logs:
        text = log.read_text(errors="replace")
        assert bad_lines(text) == []
        per_server.append(sum(int(n) for n in HANDED_BACK.findall(text)))
    # What the two jobs say they handed back adds up to the expiries: none twice.
    assert sum(per_server) == expired
    logger.warning(
        "two servers on one PostgreSQL: %d rounds, %d clients, %d tasks; %d claims acknowledged "
        "(%s), doubles 0; %d leases expired, each once (handed back by server 1: %d, by "
        "server 2: %d); one lease-expired message each to the owner (+ lead on team tasks)",
        ROUNDS,
        len(CLIENTS),
        TASKS,
        seen["claimed"],
        dict(seen),
        expired,
        *per_server,
    )
