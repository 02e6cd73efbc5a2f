"""The changelog timeline, the activity feed, the dependency graph and the charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from crewboard.services.core import AGENT_NAME_MAX
from crewboard.services.tasks import ChangelogService
from crewboard.services.views import DashboardService, StatsService
from crewboard.web.auth import ViewerDep
from crewboard.web.context import project_context
from crewboard.web.pages.board import Slug
from crewboard.web.render import page
from crewboard.web.routing import WebRoute
from crewboard.web.svg import LABEL_CHARS, NODE_H, NODE_W, layout_graph, throughput_bars

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# No control characters: PostgreSQL text cannot hold a NUL (the query would fail, 500).
Name = Annotated[str | None, Query(max_length=AGENT_NAME_MAX, pattern=r"^[^\x00-\x1f\x7f]*$")]
# The cycle-time histogram's drawing height.
HIST_H = 120


@router.get("/p/{slug}/changelog")
async def changelog(
    request: Request, viewer: ViewerDep, slug: Slug, agent: Name = None
) -> Response:
    """Changelog entries, newest first, with their linked tasks."""
    context = await project_context(viewer, slug, "changelog")
    entries = await ChangelogService(viewer.session, viewer.settings).list(
        viewer.actor, slug, agent=agent or None, limit=200
    )
    context.update(entries=list(reversed(entries.items)), entry_agent=agent or "")
    return page(request, "changelog.html", context)


@router.get("/p/{slug}/activity")
async def activity(
    request: Request,
    viewer: ViewerDep,
    slug: Slug,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Every recorded change, newest first (message bodies are never in it)."""
    context = await project_context(viewer, slug, "activity")
    events = await DashboardService(viewer.session).activity(
        viewer.actor, slug, before=before, limit=100
    )
    context.update(events=events, older=events[-1].id if len(events) == 100 else None)
    return page(request, "activity.html", context)


@router.get("/p/{slug}/graph")
async def graph(
    request: Request, viewer: ViewerDep, slug: Slug, team: Name = None, tracker: Name = None
) -> Response:
    """The dependency graph of a team's, a tracker's or the project's tasks, as SVG."""
    context = await project_context(viewer, slug, "graph")
    drawn = await DashboardService(viewer.session).graph(
        viewer.actor, slug, team=team or None, tracker=tracker or None
    )
    context.update(
        layout=layout_graph(drawn),
        truncated=drawn.truncated,
        node_w=NODE_W,
        label_chars=LABEL_CHARS,
        node_h=NODE_H,
        graph_team=team or "",
        graph_tracker=tracker or "",
    )
    return page(request, "graph.html", context)


@router.get("/p/{slug}/charts")
async def charts(request: Request, viewer: ViewerDep, slug: Slug) -> Response:
    """Completed per agent per day, cycle times, and who is blocked waiting on whom."""
    context = await project_context(viewer, slug, "charts")
    stats = StatsService(viewer.session)
    cycles = await stats.cycle_times(viewer.actor, slug)
    most = max([1, *(count for _, count in cycles.buckets)])
    matrix = await stats.blocked_matrix(viewer.actor, slug)
    context.update(
        throughput=throughput_bars(await stats.throughput(viewer.actor, slug, days=14)),
        cycles=cycles,
        hist=[(label, count, round(count * HIST_H / most)) for label, count in cycles.buckets],
        hist_h=HIST_H,
        matrix=matrix,
        matrix_top=max([1, *matrix.counts.values()]),
    )
    return page(request, "charts.html", context)
