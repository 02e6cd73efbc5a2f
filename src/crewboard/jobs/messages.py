"""The message-retention job: deletes old messages that every recipient has read."""

from __future__ import annotations

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.runner import PeriodicJob
from crewboard.services.core import unit_of_work
from crewboard.services.messages import prune_messages


def retention_job(database: Database, settings: Settings) -> PeriodicJob:
    """A job that runs ``prune_messages`` in its own write transaction."""

    async def work() -> int:
        async with unit_of_work(database, write=True) as session:
            return await prune_messages(session, settings.message_retention_days)

    return PeriodicJob("message-retention", settings.message_prune_seconds, work)
