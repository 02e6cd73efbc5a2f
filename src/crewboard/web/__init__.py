"""The web dashboard: server-rendered pages at ``/`` over the same services as the API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from crewboard.web.forms import tasks as task_forms
from crewboard.web.pages import (
    admin,
    auth,
    board,
    conversations,
    feed,
    invitations,
    messages,
    team,
)

STATIC_PATH = "/static"


def mount_web(app: FastAPI) -> None:
    """Add the dashboard's pages and its static files (CSS, JS: all served from here)."""
    modules = (auth, admin, invitations, task_forms, board, team, messages, conversations, feed)
    for module in modules:
        app.include_router(module.router)
    app.mount(STATIC_PATH, StaticFiles(packages=[("crewboard.web", "static")]), name="static")
