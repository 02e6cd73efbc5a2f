"""Task actions from the dashboard's forms: create, claim/start, assign, block, unblock,
complete, release. Each is one call of the same service the API uses; ``ViewerDep`` has
already refused a post without the session's CSRF token (403, nothing changed). A form
answers with a redirect, so the changes go through the verbs that build no view (no links
read for nothing)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Response

from crewboard.services.core import AGENT_NAME_MAX
from crewboard.services.tasks import DESCRIPTION_MAX, REASON_MAX, TaskChange, Tasks
from crewboard.web.auth import Viewer, ViewerDep
from crewboard.web.pages.board import Number, Slug
from crewboard.web.render import redirect
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# The largest of the service limits each kind of field meets: the services apply the real
# limit of each field and say which one was hit.
Text = Annotated[str, Form(max_length=DESCRIPTION_MAX)]
Line = Annotated[str, Form(max_length=REASON_MAX)]
Agent = Annotated[str, Form(max_length=AGENT_NAME_MAX)]
Version = Annotated[int | None, Form(ge=1)]
_FILE_SPLIT = re.compile(r"[\n,]+")


def _opt(value: str) -> str | None:
    """An empty form field means 'not given'."""
    value = value.strip()
    return value or None


def _task_url(slug: str, number: int) -> str:
    return f"/p/{slug}/tasks/{number}"


def _tasks(viewer: Viewer) -> Tasks:
    return Tasks(viewer.session, viewer.settings)


@router.post("/p/{slug}/tasks")
async def create_task(
    viewer: ViewerDep,
    slug: Slug,
    title: Line,
    description: Text = "",
    tracker: Agent = "",
    team: Agent = "",
    priority: Annotated[int, Form(ge=0, le=3)] = 2,
    as_agent: Agent = "",
) -> Response:
    """A new pending task."""
    view = await _tasks(viewer).create(
        viewer.actor,
        slug,
        title=title.strip(),
        description=description,
        tracker=_opt(tracker),
        team=_opt(team),
        priority=priority,
        as_agent=_opt(as_agent),
    )
    return redirect(_task_url(slug, view.task.number))


@router.post("/p/{slug}/tasks/{number}/claim")
async def claim_task(
    viewer: ViewerDep, slug: Slug, number: Number, as_agent: Agent = "", version: Version = None
) -> Response:
    """Take a ready task (or resume one's own): it moves to In Progress with a lease."""
    await _tasks(viewer).protocol.start(
        viewer.actor, slug, number, as_agent=_opt(as_agent), version=version
    )
    return redirect(_task_url(slug, number))


@router.post("/p/{slug}/tasks/{number}/assign")
async def assign_task(
    viewer: ViewerDep,
    slug: Slug,
    number: Number,
    owner: Agent,
    as_agent: Agent = "",
    version: Version = None,
) -> Response:
    """Give the task to an agent (who is told by a task_assignment message)."""
    change = TaskChange(owner=owner.strip())
    await _tasks(viewer).flow.update(
        viewer.actor, slug, number, change, version=version, as_agent=_opt(as_agent)
    )
    return redirect(_task_url(slug, number))


@router.post("/p/{slug}/tasks/{number}/block")
async def block_task(
    viewer: ViewerDep,
    slug: Slug,
    number: Number,
    reason: Line,
    needs_agent: Agent = "",
    as_agent: Agent = "",
    version: Version = None,
) -> Response:
    """Blocked, with the reason and the agent whose help is needed."""
    await _tasks(viewer).protocol.block(
        viewer.actor,
        slug,
        number,
        reason=reason.strip(),
        needs_agent=_opt(needs_agent),
        as_agent=_opt(as_agent),
        version=version,
    )
    return redirect(_task_url(slug, number))


@router.post("/p/{slug}/tasks/{number}/unblock")
async def unblock_task(
    viewer: ViewerDep, slug: Slug, number: Number, as_agent: Agent = "", version: Version = None
) -> Response:
    """Back to work if someone holds it, else back to the queue."""
    await _tasks(viewer).protocol.unblock(
        viewer.actor, slug, number, as_agent=_opt(as_agent), version=version
    )
    return redirect(_task_url(slug, number))


@router.post("/p/{slug}/tasks/{number}/complete")
async def complete_task(
    viewer: ViewerDep,
    slug: Slug,
    number: Number,
    outcome: Line,
    files: Text = "",
    verified: Line = "",
    as_agent: Agent = "",
    version: Version = None,
) -> Response:
    """Completed with its outcome, the files it touched (one a line, or comma-separated) and
    how it was verified."""
    paths = [p.strip() for p in _FILE_SPLIT.split(files) if p.strip()]
    await _tasks(viewer).protocol.complete(
        viewer.actor,
        slug,
        number,
        outcome=outcome.strip(),
        files=paths,
        verified=_opt(verified),
        as_agent=_opt(as_agent),
        version=version,
    )
    return redirect(_task_url(slug, number))


@router.post("/p/{slug}/tasks/{number}/release")
async def release_task(
    viewer: ViewerDep, slug: Slug, number: Number, as_agent: Agent = "", version: Version = None
) -> Response:
    """Back to the queue: pending, unowned."""
    await _tasks(viewer).protocol.release(
        viewer.actor, slug, number, as_agent=_opt(as_agent), version=version
    )
    return redirect(_task_url(slug, number))


# The task page's one status menu: each target status is one of the verbs above.
MOVES = ("in_progress", "blocked", "completed", "pending")


@router.post("/p/{slug}/tasks/{number}/status")
async def move_task(
    viewer: ViewerDep,
    slug: Slug,
    number: Number,
    to: Annotated[str, Form(pattern="^(in_progress|blocked|completed|pending)$")],
    current: Annotated[str, Form(max_length=32)] = "",
    reason: Line = "",
    needs_agent: Agent = "",
    outcome: Line = "",
    files: Text = "",
    verified: Line = "",
    as_agent: Agent = "",
    version: Version = None,
) -> Response:
    """Move the task to ``to``: start (or resume, or unblock), block, complete or release,
    through the same service verb as each single form; the service decides, as ever."""
    if to == "blocked":
        return await block_task(viewer, slug, number, reason, needs_agent, as_agent, version)
    if to == "completed":
        return await complete_task(
            viewer, slug, number, outcome, files, verified, as_agent, version
        )
    if to == "pending":
        return await release_task(viewer, slug, number, as_agent, version)
    if current == "blocked":
        return await unblock_task(viewer, slug, number, as_agent, version)
    return await claim_task(viewer, slug, number, as_agent, version)
