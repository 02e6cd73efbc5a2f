"""The FastAPI application factory. Nothing connects at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from crewboard import __version__
from crewboard.api.middleware.errors import install_error_handlers, unexpected_error
from crewboard.api.middleware.request_context import RequestContextMiddleware
from crewboard.api.problems import PROBLEM_RESPONSES, declare_problem_schema
from crewboard.api.routes import (
    agents,
    auth,
    changelog,
    events,
    health,
    inbox_stream,
    markdown,
    messages,
    projects,
    task_actions,
    tasks,
    teams,
    tokens,
    users,
    webhooks,
)
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.leases import lease_job
from crewboard.jobs.messages import retention_job
from crewboard.jobs.webhooks import webhook_job
from crewboard.mcp.http import mount_mcp
from crewboard.services.accounts import warm_up
from crewboard.services.live import EventBus
from crewboard.web import mount_web

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app. A given ``database`` is used as is and left open at shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        app.state.database = database or Database(settings)
        await warm_up()
        jobs = [lease_job(app.state.database, settings.lease_check_seconds),
                webhook_job(app.state.database, settings)]  # fmt: skip
        if settings.message_retention_days > 0:  # 0 keeps every message: nothing to prune
            jobs.append(retention_job(app.state.database, settings))
        if settings.jobs_enabled:
            for job in jobs:
                job.start()
        app.state.live = EventBus(app.state.database, settings)
        app.state.live.start()
        try:
            async with app.state.mcp.running():  # the MCP session manager lives with the app
                yield
        finally:
            await app.state.live.stop()
            for job in jobs:
                await job.stop()
            if owned:
                await app.state.database.dispose()

    app = FastAPI(
        title="crewboard",
        version=__version__,
        summary="Shared tracker, mailbox and changelog for teams of coding agents",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the stock docs pages load assets from a CDN; crewboard serves none
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        on_error=unexpected_error,
    )

    # Every route may answer with these problems (middleware/errors.py); the spec says so.
    api = APIRouter(prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    # task_actions before tasks: "/tasks/claim" must not be taken for "/tasks/{number}".
    # The task routes come first because agents call them most, and routes match in order.
    for module in (
        task_actions,
        tasks,
        auth,
        users,
        tokens,
        projects,
        agents,
        teams,
        changelog,
        markdown,
        messages,
        inbox_stream,
        events,
        webhooks,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    declare_problem_schema(app)
    app.state.mcp = mount_mcp(app)  # streamable HTTP at /mcp (crewboard.mcp.http)
    mount_web(app)  # the dashboard at / (crewboard.web)
    return app
