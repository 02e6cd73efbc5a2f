"""The lease-expiry job: hands expired work back to the queue."""

from __future__ import annotations

from crewboard.database import Database
from crewboard.jobs.runner import PeriodicJob
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import ExpiredLease, expire_leases


def lease_job(database: Database, interval: float) -> PeriodicJob:
    """A job that runs ``expire_leases`` in its own write transaction."""

    async def work() -> list[ExpiredLease]:
        async with unit_of_work(database, write=True) as session:
            return await expire_leases(session)

    return PeriodicJob("lease-expiry", interval, work)
