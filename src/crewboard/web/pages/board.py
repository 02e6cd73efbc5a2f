"""The kanban board (all tasks, one agent's, or one team's) and the task detail page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from crewboard.models.tasks import Task
from crewboard.services.core import AGENT_NAME_MAX, ID_MAX, MAX_LIMIT, SLUG_MAX, TEAM_NAME_MAX
from crewboard.services.tasks import ChangelogService, Status, TaskFilter, Tasks
from crewboard.services.teams import TeamService
from crewboard.services.views import DashboardService
from crewboard.web.auth import Viewer, ViewerDep
from crewboard.web.context import COLUMNS, project_context
from crewboard.web.render import page
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Slug = Annotated[str, Path(max_length=SLUG_MAX)]
Number = Annotated[int, Path(ge=1, le=ID_MAX)]
# No control characters: PostgreSQL text cannot hold a NUL (the query would fail, 500).
Name = Annotated[
    str | None, Query(max_length=max(AGENT_NAME_MAX, TEAM_NAME_MAX), pattern=r"^[^\x00-\x1f\x7f]*$")
]
BOARD_LIMIT = MAX_LIMIT
SHOWN = tuple(Status(status) for status, _ in COLUMNS)


async def board_columns(
    viewer: Viewer, slug: str, *, agent: str | None = None, team: str | None = None
) -> tuple[dict[str, list[Task]], bool]:
    """Tasks by column: an agent's are those on its tracker or owned by it."""
    tasks = Tasks(viewer.session, viewer.settings)
    filters = (
        [TaskFilter(tracker=agent, statuses=SHOWN), TaskFilter(owner=agent, statuses=SHOWN)]
        if agent
        else [TaskFilter(team=team, statuses=SHOWN)]
    )
    found: dict[int, Task] = {}
    more = False
    for wanted in filters:
        listed = await tasks.list(viewer.actor, slug, wanted, limit=BOARD_LIMIT)
        more = more or listed.next_cursor is not None
        found.update((t.id, t) for t in listed.items)
    columns: dict[str, list[Task]] = {status: [] for status, _ in COLUMNS}
    for task in sorted(found.values(), key=lambda t: (t.priority, t.number)):
        columns[task.status].append(task)
    columns[Status.COMPLETED.value].sort(key=lambda t: t.completed_at or t.updated_at, reverse=True)
    return columns, more


async def waits_on(
    viewer: Viewer, slug: str, columns: dict[str, list[Task]]
) -> dict[int, list[tuple[int, str]]]:
    """What each card waits on, for the whole board in one query."""
    shown = [t.number for column in columns.values() for t in column if t.status != "completed"]
    return await DashboardService(viewer.session).waiting_on(viewer.actor, slug, shown)


@router.get("/p/{slug}")
async def board(request: Request, viewer: ViewerDep, slug: Slug, agent: Name = None) -> Response:
    """The kanban: Pending / In Progress / Blocked / Completed, for everyone or one agent."""
    context = await project_context(viewer, slug, "board")
    columns, more = await board_columns(viewer, slug, agent=agent or None)
    teams = await TeamService(viewer.session, viewer.settings).list(viewer.actor, slug, limit=200)
    context.update(
        board=columns,
        waits=await waits_on(viewer, slug, columns),
        more=more,
        agent=agent or "",
        team="",
        team_names=[t.team.name for t in teams.items],
    )
    return page(request, "board.html", context)


@router.get("/p/{slug}/tasks/{number}")
async def task_detail(request: Request, viewer: ViewerDep, slug: Slug, number: Number) -> Response:
    """A task: description, history, dependencies both ways, follow-ups, completion record,
    linked changelog entries, and the actions the viewer may take."""
    context = await project_context(viewer, slug, "board")
    tasks = Tasks(viewer.session, viewer.settings)
    view = await tasks.get(viewer.actor, slug, number)
    task = view.task
    history = await tasks.history(viewer.actor, slug, number, limit=200)
    follow_ups = await tasks.linking.follow_ups(viewer.actor, slug, number)  # shown bare
    entries = await ChangelogService(viewer.session, viewer.settings).list(
        viewer.actor, slug, task_number=number, limit=50
    )
    context.update(
        task=task,
        links=view,
        history=history.items,
        follow_ups=follow_ups,
        entries=entries.items,
    )
    context.update(_offers(context, task))
    return page(request, "task.html", context)


def _offers(context: dict[str, Any], task: Task) -> dict[str, Any]:
    """The status moves and the assign form the page offers, by the services' own rules
    (they decide again on submit): claiming for anyone who may claim, the rest for those
    who may change the task."""
    if not context["can_write"]:
        return {"moves": [], "may_assign": False}
    modify = Tasks.may_modify(context["access"], task)
    claim = task.owner is None or task.owner == context["acts_as"] or context["is_member"]
    moves: list[tuple[str, str]] = []
    if task.status == Status.PENDING.value and claim:
        moves.append(("in_progress", "In progress (claim & start)"))
    if modify and task.status == Status.BLOCKED.value:
        moves.append(("in_progress", "Unblocked: back to work"))
    if modify and task.status in (Status.PENDING.value, Status.IN_PROGRESS.value):
        moves.append(("blocked", "Blocked"))
    if modify and task.status in OPEN:
        moves.append(("completed", "Completed"))
    if modify and task.status == Status.IN_PROGRESS.value:
        moves.append(("pending", "Pending (release to the queue)"))
    return {"moves": moves, "may_assign": modify and task.status in OPEN}


OPEN = (Status.PENDING.value, Status.IN_PROGRESS.value, Status.BLOCKED.value)
