"""The web dashboard: server-rendered pages at ``/`` over the same services as the API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from crewboard.web import (
    forms_tasks,
    pages_auth,
    pages_board,
    pages_feed,
    pages_messages,
    pages_team,
)

STATIC_PATH = "/static"


def mount_web(app: FastAPI) -> None:
    """Add the dashboard's pages and its static files (CSS, JS: all served from here)."""
    for module in (pages_auth, forms_tasks, pages_board, pages_team, pages_messages, pages_feed):
        app.include_router(module.router)
    app.mount(STATIC_PATH, StaticFiles(packages=[("crewboard.web", "static")]), name="static")
