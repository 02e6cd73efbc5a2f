"""PeriodicJob: survives a failing run, stops on request; the app starts jobs only when enabled."""

from __future__ import annotations

import asyncio
import logging

import pytest
from asgi_lifespan import LifespanManager

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.runner import PeriodicJob
from crewboard.models import utcnow
from crewboard.server.app import create_app
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Tasks
from tests.support.factory import Factory
from tests.support.world import SLUG, build_world

# A safety net for a hung loop, not a measured duration: every wait ends on an event.
PATIENCE = 30


def _job_tasks() -> list[str]:
    return sorted(
        t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("crewboard-job-")
    )


class Counting:
    """Work that fails on the runs listed in ``failing`` and signals after ``until`` runs."""

    def __init__(self, until: int, failing: set[int]) -> None:
        self.runs = 0
        self.failing = failing
        self.until = until
        self.done = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        if self.runs >= self.until:
            self.done.set()
        if self.runs in self.failing:
            raise RuntimeError(f"run {self.runs} broke")


async def test_a_failing_run_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = Counting(until=4, failing={1, 3})
    job = PeriodicJob("flaky", 0.001, work)
    with caplog.at_level(logging.ERROR, logger="crewboard.jobs.runner"):
        job.start()
        try:
            await asyncio.wait_for(work.done.wait(), PATIENCE)
        finally:
            await job.stop()
    assert work.runs >= 4
    failures = [r for r in caplog.records if r.name == "crewboard.jobs.runner"]
    assert len(failures) == 2
    for record, run in zip(failures, (1, 3), strict=True):
        assert record.levelno == logging.ERROR
        assert "job flaky failed" in record.getMessage()
        assert record.exc_info is not None
        assert str(record.exc_info[1]) == f"run {run} broke"
    assert "Traceback" in caplog.text
    assert "RuntimeError: run 3 broke" in caplog.text


async def test_run_once_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    work = Counting(until=1, failing={1})
    with caplog.at_level(logging.ERROR, logger="crewboard.jobs.runner"):
        await PeriodicJob("once", 60, work).run_once()
    assert work.runs == 1
    assert [r.getMessage() for r in caplog.records] == ["job once failed; it will run again in 60s"]


async def test_stop_ends_the_loop_even_mid_run() -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    runs = 0

    async def slow() -> None:
        nonlocal runs
        runs += 1
        entered.set()
        await release.wait()

    job = PeriodicJob("slow", 0.001, slow, stop_seconds=0.05)
    await job.stop()  # stopping a job never started is harmless
    job.start()
    assert _job_tasks() == ["crewboard-job-slow"]
    await asyncio.wait_for(entered.wait(), PATIENCE)
    await asyncio.wait_for(job.stop(), PATIENCE)
    assert _job_tasks() == []
    release.set()
    await asyncio.sleep(0)
    assert runs == 1
    await job.stop()  # and twice as well


async def test_stop_lets_a_run_in_progress_finish() -> None:
    """A run is not cancelled half-way (a database call cut off leaves its connection
    half-reset): stop waits for it, then the loop ends without another run."""
    entered, finished = asyncio.Event(), asyncio.Event()
    runs = 0

    async def brief() -> None:
        nonlocal runs
        runs += 1
        entered.set()
        await asyncio.sleep(0.05)
        finished.set()

    job = PeriodicJob("brief", 3600, brief)
    job.start()
    await asyncio.wait_for(entered.wait(), PATIENCE)
    await asyncio.wait_for(job.stop(), PATIENCE)
    assert finished.is_set()
    assert runs == 1
    assert _job_tasks() == []


async def test_stop_does_not_wait_out_the_interval() -> None:
    job = PeriodicJob("idle", 3600, _nothing)
    job.start()
    await asyncio.sleep(0.01)  # the first run is done; the loop is in its hour-long pause
    await asyncio.wait_for(job.stop(), PATIENCE)
    assert _job_tasks() == []


async def _nothing() -> None:
    return None


async def _lifespan_jobs(settings: Settings, database: Database) -> list[str]:
    async with LifespanManager(create_app(settings, database)):
        running = _job_tasks()
    assert _job_tasks() == []
    return running


async def test_the_app_starts_the_jobs_only_when_enabled(
    database: Database, settings: Settings
) -> None:
    enabled = settings.model_copy(update={"jobs_enabled": True})
    assert sorted(await _lifespan_jobs(enabled, database)) == [
        "crewboard-job-lease-expiry",
        "crewboard-job-message-retention",
        "crewboard-job-webhooks",
    ]
    keep_all = enabled.model_copy(update={"message_retention_days": 0})
    assert await _lifespan_jobs(keep_all, database) == [
        "crewboard-job-lease-expiry",
        "crewboard-job-webhooks",
    ]
    disabled = settings.model_copy(update={"jobs_enabled": False})
    assert await _lifespan_jobs(disabled, database) == []


async def test_with_jobs_disabled_a_short_lease_does_not_expire(
    factory: Factory, database: Database, settings: Settings
) -> None:
    short = settings.model_copy(
        update={"jobs_enabled": False, "lease_minutes": 0.0001, "lease_check_seconds": 0.01}
    )
    world = await build_world(factory, database, short, ("backend",))
    await world.task("short")
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, short).claim(world.actors["backend"], SLUG, 1)
    # A witness on the lease job's interval: once it has run a few times, the lease job
    # (had it been started) would have too, and the lease is long past.
    witness = Counting(until=5, failing=set())
    async with LifespanManager(create_app(short, database)):
        job = PeriodicJob("witness", short.lease_check_seconds, witness)
        job.start()
        try:
            await asyncio.wait_for(witness.done.wait(), PATIENCE)
        finally:
            await job.stop()
    task = await world.get(1)
    assert (task.status, task.owner) == ("in_progress", "backend")
    assert task.lease_expires_at is not None
    assert task.lease_expires_at < utcnow()
    # The same app with its jobs on hands the task back.
    async with LifespanManager(
        create_app(short.model_copy(update={"jobs_enabled": True}), database)
    ):
        for _ in range(PATIENCE * 20):
            if (await world.get(1)).status == "pending":
                break
            await asyncio.sleep(0.05)
    assert ((await world.get(1)).status, (await world.get(1)).owner) == ("pending", None)
