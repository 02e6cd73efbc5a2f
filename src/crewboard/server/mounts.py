"""What the app serves: the REST API under ``/api/v1``, ``/healthz``, MCP at ``/mcp`` and the
dashboard at ``/``. A new REST module is added to ``API_ROUTERS``; a new face gets a mount here."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from crewboard.api.problems import PROBLEM_RESPONSES, declare_problem_schema
from crewboard.api.routes import (
    agents,
    auth,
    changelog,
    crew,
    events,
    health,
    inbox_stream,
    invitations,
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
from crewboard.mcp.http import McpEndpoint, mount_mcp
from crewboard.web import mount_web

API_PREFIX = "/api/v1"
# task_actions before tasks: "/tasks/claim" must not be taken for "/tasks/{number}".
# The task and message routes come first because agents call them most, and routes match
# in order (a message send walked 23 route matchers before its own).
API_ROUTERS = (
    task_actions,
    tasks,
    messages,
    auth,
    users,
    tokens,
    crew,
    projects,
    invitations,
    agents,
    teams,
    changelog,
    markdown,
    inbox_stream,
    events,
    webhooks,
)


def mount_api(app: FastAPI) -> None:
    """The REST API and the health check."""
    # Every route may answer with these problems (api/middleware/errors.py); the spec says so.
    api = APIRouter(prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    for module in API_ROUTERS:
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    declare_problem_schema(app)


def mount_faces(app: FastAPI) -> McpEndpoint:
    """Every HTTP face; the MCP endpoint is returned for the lifespan to run."""
    mount_api(app)
    endpoint = mount_mcp(app)  # streamable HTTP at /mcp (crewboard.mcp.http)
    mount_web(app)  # the dashboard at / (crewboard.web)
    return endpoint
