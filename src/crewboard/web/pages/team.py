"""Team boards (a team's shared task list as a kanban) and the roster at work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from crewboard.services.core import TEAM_NAME_MAX
from crewboard.services.teams import TeamService
from crewboard.services.views import DashboardService
from crewboard.web.auth import ViewerDep
from crewboard.web.context import project_context
from crewboard.web.pages.board import Slug, board_columns, waits_on
from crewboard.web.render import page
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

TeamName = Annotated[str, Path(max_length=TEAM_NAME_MAX)]


@router.get("/p/{slug}/teams")
async def teams(request: Request, viewer: ViewerDep, slug: Slug) -> Response:
    """The project's teams: lead, members and task counts."""
    context = await project_context(viewer, slug, "teams")
    listed = await TeamService(viewer.session, viewer.settings).list(viewer.actor, slug, limit=200)
    context.update(teams=listed.items)
    return page(request, "teams.html", context)


@router.get("/p/{slug}/teams/{name}")
async def team_board(request: Request, viewer: ViewerDep, slug: Slug, name: TeamName) -> Response:
    """One team's shared task list as a kanban."""
    context = await project_context(viewer, slug, "teams")
    view = await TeamService(viewer.session, viewer.settings).get(viewer.actor, slug, name)
    columns, more = await board_columns(viewer, slug, team=view.team.name)
    waits = await waits_on(viewer, slug, columns)
    context.update(team=view, board=columns, more=more, waits=waits)
    return page(request, "team.html", context)


@router.get("/p/{slug}/roster")
async def roster(request: Request, viewer: ViewerDep, slug: Slug) -> Response:
    """Each agent with its current work, what blocks it, and its last activity."""
    context = await project_context(viewer, slug, "roster")
    context.update(crew=await DashboardService(viewer.session).roster_at_work(viewer.actor, slug))
    return page(request, "roster.html", context)
