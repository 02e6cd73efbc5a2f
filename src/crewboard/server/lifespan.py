"""What runs while the app runs: the database, the background jobs, the live bus and the MCP
session manager. Started in this order, stopped in the reverse one."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.leases import lease_job
from crewboard.jobs.messages import retention_job
from crewboard.jobs.runner import PeriodicJob
from crewboard.jobs.webhooks import webhook_job
from crewboard.mcp.http import McpEndpoint
from crewboard.services.live import EventBus

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


logger = logging.getLogger(__name__)


def background_jobs(database: Database, settings: Settings) -> list[PeriodicJob]:
    """The jobs this process runs: none at all when ``settings.jobs_enabled`` is off.

    A new job is added here (its module in ``jobs/``).
    """
    if not settings.jobs_enabled:
        return []
    jobs = [lease_job(database, settings.lease_check_seconds), webhook_job(database, settings)]
    if settings.message_retention_days > 0:  # 0 keeps every message: nothing to prune
        jobs.append(retention_job(database, settings))
    return jobs


def lifespan_for(settings: Settings, database: Database | None) -> Lifespan:
    """The app's lifespan. A given ``database`` is used as is and left open at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        app.state.database = database or Database(settings)
        # Say which database this is, so a person can tell it is the one the CLI uses.
        logger.info("serving %s", app.state.database.url.render_as_string(hide_password=True))
        jobs = background_jobs(app.state.database, settings)
        for job in jobs:
            job.start()
        app.state.live = EventBus(app.state.database, settings)
        app.state.live.start()
        try:
            mcp: McpEndpoint = app.state.mcp  # mounted by server/mounts.py
            async with mcp.running():  # the MCP session manager lives with the app
                yield
        finally:
            await app.state.live.stop()
            for job in jobs:
                await job.stop()
            if owned:
                await app.state.database.dispose()

    return lifespan
