"""The standard workloads against one running server: sequential latencies with httpx, and
claim throughput with wrk (rates and double claims checked against the database)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

from bench.claims_wrk import claim_script, wrk
from bench.common import http, percentile, timed
from bench.live import measure as live_measure
from bench.seed import SLUG
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.events import Event
from crewboard.models.tasks import Task
from crewboard.services.core import unit_of_work

logger = logging.getLogger("bench.workloads")
PROJECT = f"/api/v1/projects/{SLUG}"
API = f"{PROJECT}/tasks"


def figures(samples: list[float]) -> dict[str, float]:
    """p50/p99 in ms, and the one client's operations per second."""
    ms = [s * 1000 for s in samples]
    return {
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "ops_s": len(samples) / sum(samples),
    }


async def task_latencies(client: httpx.AsyncClient, samples: int) -> dict[str, list[float]]:
    """Ready queue, create, and update (of the tasks just created, with their version)."""

    async def ready(_: int) -> None:
        (await client.get(API, params={"ready": "true", "limit": 50})).raise_for_status()

    created: list[int] = []

    async def create(i: int) -> None:
        r = await client.post(API, json={"title": f"bench create {i}", "priority": 1})
        r.raise_for_status()
        created.append(r.json()["number"])

    async def change(i: int) -> None:
        r = await client.patch(f"{API}/{created[i]}", json={"title": f"renamed {i}", "version": 1})
        r.raise_for_status()

    return {
        "ready": await timed(ready, samples),
        "create": await timed(create, samples),
        "update": await timed(change, samples),
    }


async def latencies(
    base: str, lead: str, agents: dict[str, str], samples: int
) -> dict[str, dict[str, float]]:
    """Every sequential workload; the reader (second agent) holds the seeded inbox backlog
    and a tracker, the first agent sends to the third so that the backlog stays as seeded."""
    sender, reader, sink = list(agents)[:3]
    results: dict[str, list[float]] = {}
    async with http(base, lead) as client:
        logger.info("  ready queue, create, update: %d samples each", samples)
        results.update(await task_latencies(client, samples))

        async def tracker(_: int) -> None:
            (await client.get(f"{PROJECT}/trackers/{reader}.md")).raise_for_status()

        logger.info("  tracker render")
        results["tracker"] = await timed(tracker, samples)
    async with http(base, agents[sender]) as client:

        async def send(i: int) -> None:
            body = {"to": sink, "body": f"message {i}", "summary": "bench"}
            (await client.post(f"{PROJECT}/messages", json=body)).raise_for_status()

        logger.info("  message send, inbox read")
        results["send"] = await timed(send, samples)
    async with http(base, agents[reader]) as client:

        async def inbox(_: int) -> None:
            (await client.get(f"{PROJECT}/inbox", params={"limit": 50})).raise_for_status()

        results["inbox"] = await timed(inbox, samples)
    logger.info("  write → SSE")
    _, results["sse"] = await live_measure(base, base, lead, samples)
    return {name: figures(values) for name, values in results.items()}


@dataclass(frozen=True)
class ClaimRun:
    """One wrk claim run: the rate, what wrk was told, and what the database holds."""

    clients: int
    ops_s: float
    told: int
    owned: int
    doubles: int
    empty: int
    failed: int


async def _reset(url: str) -> int:
    """Put claimed tasks back in the queue (between runs, not measured); the last event id."""
    database = Database(Settings(database_url=url))
    try:
        async with unit_of_work(database, write=True) as session:
            await session.execute(
                update(Task)
                .where(Task.status == "in_progress")
                .values(owner=None, status="pending", lease_expires_at=None)
            )
            return int(await session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)
    finally:
        await database.dispose()


async def _claimed_since(url: str, mark: int) -> tuple[int, float, int]:
    """Claim events after ``mark``: count, seconds from first to last; tasks owned now."""
    database = Database(Settings(database_url=url))
    try:
        async with unit_of_work(database, write=False) as session:
            claimed = (Event.id > mark) & (Event.kind == "task.claimed")
            count, first, last = (
                await session.execute(
                    select(func.count(), func.min(Event.at), func.max(Event.at)).where(claimed)
                )
            ).one()
            owned = await session.scalar(
                select(func.count()).select_from(Task).where(Task.status == "in_progress")
            )
    finally:
        await database.dispose()
    span = (last - first).total_seconds() if count > 1 else 0.0
    return int(count), span, int(owned or 0)


async def claims(
    url: str, base: str, tokens: list[str], clients: list[int], seconds: float, folder: Path
) -> list[dict[str, Any]]:
    """Claim throughput with wrk at each concurrency, against a queue reset before each run.

    The rate is the claims' own commit times (first to last claim event): a small queue runs
    dry before wrk stops, and wrk's requests/s would then count the quick "nothing ready"
    answers. A double claim (two clients told they got one task) shows as more successes
    than owned tasks; owned may exceed told by requests in flight when wrk stopped counting.
    """
    script = claim_script(folder, tokens)
    runs: list[dict[str, Any]] = []
    for connections in clients:
        mark = await _reset(url)
        started = time.perf_counter()
        run = wrk(f"{base}{API}/claim", seconds, script, connections)
        elapsed = time.perf_counter() - started
        count, span, owned = await _claimed_since(url, mark)
        rate = (count - 1) / span if span > 0 else run.claimed / elapsed
        result = ClaimRun(
            connections,
            rate,
            run.claimed,
            owned,
            max(0, run.claimed - owned),
            run.empty,
            run.failed,
        )
        if run.empty:
            logger.info(
                "  the queue ran dry (%d empty answers); rate over the claims made", run.empty
            )
        if run.failed:
            logger.warning("  %d claim requests failed (neither 200 nor 404)", run.failed)
        logger.info(
            "  claims, %d clients: %.0f/s, %d told, %d owned", connections, rate, run.claimed, owned
        )
        runs.append(asdict(result))
    return runs
