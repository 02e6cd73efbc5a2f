"""Tasks: list (filters, cursor, ETag), get, create, versioned update."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from crewboard.api.presenters import change_read, task_read
from crewboard.edge.deps import ActorDep, CallDep, SessionDep, SettingsDep
from crewboard.schemas.common import AgentName, Cursor, Limit, Page, Slug
from crewboard.schemas.tasks import (
    StatusName,
    TaskChangeRead,
    TaskCreate,
    TaskRead,
    TaskUpdate,
    TeamName,
)
from crewboard.services.core import Invalid, PreconditionRequired
from crewboard.services.tasks import TaskChange, TaskFilter, Tasks, TaskView, parse_status

router = APIRouter(prefix="/projects/{slug}/tasks", tags=["tasks"])
SlugPath = Annotated[Slug, Path()]
NumberPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Query(min_length=1, max_length=200)]


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when the client already has this representation."""
    sent = request.headers.get("if-none-match", "")
    if etag in [tag.strip() for tag in sent.split(",")]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return None


@router.get("", response_model=Page[TaskRead])
async def list_tasks(
    slug: SlugPath,
    request: Request,
    response: Response,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    tracker: Annotated[AgentName | None, Query()] = None,
    owner: Annotated[AgentName | None, Query()] = None,
    status_: Annotated[list[StatusName] | None, Query(alias="status", max_length=6)] = None,
    priority: Annotated[int | None, Query(ge=0, le=3)] = None,
    ready: Annotated[bool, Query()] = False,
    text: Text | None = None,
    team: Annotated[TeamName | None, Query()] = None,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[TaskRead] | Response:
    """Tasks by number, or with ``ready=true`` the ready queue (priority, then age).

    Polling agents send ``If-None-Match`` and get 304 until something in the project changes.
    """
    service = Tasks(session, settings)
    marker = await service.change_marker(actor, slug)
    query = hashlib.sha256(str(sorted(request.query_params.multi_items())).encode()).hexdigest()
    etag = f'W/"{marker}-{query[:16]}"'
    if (cached := not_modified(request, etag)) is not None:
        return cached
    filters = TaskFilter(
        tracker=tracker,
        owner=owner,
        statuses=tuple(parse_status(s) for s in status_ or []),
        priority=priority,
        ready=ready,
        text=text,
        team=team,
    )
    page = await service.list_views(actor, slug, filters, cursor=cursor, limit=limit)
    response.headers["ETag"] = etag
    return Page[TaskRead](items=[task_read(v) for v in page.items], next_cursor=page.next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(slug: SlugPath, body: TaskCreate, call: CallDep) -> TaskRead:
    """A new pending task."""
    view = await Tasks(call.session, call.settings).create(
        call.actor,
        slug,
        title=body.title,
        description=body.description,
        active_form=body.active_form,
        tracker=body.tracker,
        priority=body.priority,
        metadata=body.metadata,
        blocked_by=body.blocked_by,
        as_agent=body.as_agent,
        team=body.team,
    )
    return task_read(view)


@router.get("/{number}", response_model=TaskRead)
async def get_task(
    slug: SlugPath,
    number: NumberPath,
    request: Request,
    response: Response,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskRead | Response:
    """One task. Its ``ETag`` (``"<version>-<links>"``) goes back as ``If-Match`` on update."""
    view = await Tasks(session, settings).get(actor, slug, number)
    etag = task_etag(view)
    if (cached := not_modified(request, etag)) is not None:
        return cached
    response.headers["ETag"] = etag
    return task_read(view)


def task_etag(view: TaskView) -> str:
    """The version, and a digest of the dependency view, which changes without a new version
    (a blocker finishing changes ``open_blockers``)."""
    links = f"{view.blocked_by}{view.open_blockers}{view.blocks}{view.source}"
    return f'"{view.task.version}-{hashlib.sha256(links.encode()).hexdigest()[:8]}"'


def _version(body_version: int | None, if_match: str | None) -> int:
    if if_match is not None:
        raw = if_match.strip().removeprefix("W/").strip('"').split("-", 1)[0]
        if not raw.isdigit() or not 0 < int(raw) < 2**31:
            raise Invalid(
                'If-Match must be the task\'s ETag, e.g. "3-…" or "3"', code="bad-if-match"
            )
        if body_version is not None and body_version != int(raw):
            raise Invalid("If-Match and version disagree", code="bad-if-match")
        return int(raw)
    if body_version is None:
        raise PreconditionRequired(
            "an update names the version it is based on (If-Match header or version field)",
            field="version",
        )
    return body_version


@router.patch("/{number}")
async def update_task(
    slug: SlugPath,
    number: NumberPath,
    body: TaskUpdate,
    response: Response,
    call: CallDep,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> TaskChangeRead:
    """Change fields and/or status as one versioned write; a stale version gets 409."""
    version = _version(body.version, if_match)
    change = TaskChange(
        title=body.title,
        description=body.description,
        active_form=body.active_form,
        priority=body.priority,
        tracker=body.tracker,
        owner=body.owner,
        clear_owner="owner" in body.model_fields_set and body.owner is None,
        status=parse_status(body.status) if body.status else None,
        blocked_reason=body.blocked_reason,
        needs_agent=body.needs_agent,
        outcome=body.outcome,
        files=body.files,
        verified=body.verified,
        metadata=body.metadata,
        add_blocked_by=body.add_blocked_by,
        add_blocks=body.add_blocks,
        team=body.team,
        clear_team="team" in body.model_fields_set and body.team is None,
    )
    service = Tasks(call.session, call.settings)
    result = await service.update(
        call.actor, slug, number, change, version=version, as_agent=body.as_agent
    )
    response.headers["ETag"] = task_etag(result.view)
    return change_read(result)
