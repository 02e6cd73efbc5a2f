"""The FastAPI application factory. Nothing connects at import time: the lifespan
(server/lifespan.py) opens the database and starts the jobs and the live bus; the faces are
mounted by server/mounts.py."""

from __future__ import annotations

from fastapi import FastAPI

from crewboard import __version__
from crewboard.api.middleware.errors import install_error_handlers, unexpected_error
from crewboard.api.middleware.request_context import RequestContextMiddleware
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.rate import Budgets
from crewboard.server.lifespan import lifespan_for
from crewboard.server.mounts import API_PREFIX, mount_faces


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app. A given ``database`` is used as is and left open at shutdown; with
    ``settings.jobs_enabled`` off, no background job starts (tests)."""
    settings = settings or Settings()
    app = FastAPI(
        title="crewboard",
        version=__version__,
        summary="Shared tracker, mailbox and changelog for teams of coding agents",
        lifespan=lifespan_for(settings, database),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the stock docs pages load assets from a CDN; crewboard serves none
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.budgets = Budgets(settings)
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        on_error=unexpected_error,
    )
    app.state.mcp = mount_faces(app)
    return app
