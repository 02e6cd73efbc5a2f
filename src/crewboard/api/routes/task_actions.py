"""The protocol's task verbs: claim, start, block, unblock, complete, release, renew;
dependencies, follow-ups and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.api.presenters import change_read, completion_read, task_read
from crewboard.edge.deps import ActorDep, CallDep, SessionDep, SettingsDep
from crewboard.schemas.common import Cursor, Limit, Page, Slug
from crewboard.schemas.tasks import (
    ActAs,
    BlockRequest,
    ClaimNext,
    CompleteRequest,
    CompletionRead,
    DependenciesIn,
    EventRead,
    FollowUpIn,
    TaskChangeRead,
    TaskRead,
)
from crewboard.services.tasks import ChangelogDraft, ClaimScope, Tasks

router = APIRouter(prefix="/projects/{slug}/tasks", tags=["tasks"])
SlugPath = Annotated[Slug, Path()]
NumberPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/claim")
async def claim_next(slug: SlugPath, body: ClaimNext, call: CallDep) -> TaskRead:
    """Claim the most urgent, oldest ready task (on a tracker, among shared ones, anywhere, or
    on a team's list).

    404 ``nothing-ready`` when there is none.
    """
    service = Tasks(call.session, call.settings)
    scope = ClaimScope(
        tracker=body.tracker, shared_only=body.shared_only, anywhere=body.anywhere, team=body.team
    )
    return task_read(await service.claim_next(call.actor, slug, scope, as_agent=body.as_agent))


@router.post("/{number}/claim")
async def claim(slug: SlugPath, number: NumberPath, body: ActAs, call: CallDep) -> TaskRead:
    """Claim this task; 409 ``already-claimed``, ``blocked`` or ``not-claimable`` if not."""
    service = Tasks(call.session, call.settings)
    return task_read(await service.claim(call.actor, slug, number, as_agent=body.as_agent))


@router.post("/{number}/start")
async def start(
    slug: SlugPath,
    number: NumberPath,
    body: ActAs,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskChangeRead:
    """In progress: claims it if unowned, or resumes one's own task."""
    service = Tasks(session, settings)
    result = await service.start(actor, slug, number, as_agent=body.as_agent, version=body.version)
    return change_read(result)


@router.post("/{number}/block")
async def block(
    slug: SlugPath,
    number: NumberPath,
    body: BlockRequest,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskChangeRead:
    """Blocked, with the reason and the agent whose help is needed."""
    service = Tasks(session, settings)
    result = await service.block(
        actor,
        slug,
        number,
        reason=body.reason,
        needs_agent=body.needs_agent,
        as_agent=body.as_agent,
        version=body.version,
    )
    return change_read(result)


@router.post("/{number}/unblock")
async def unblock(
    slug: SlugPath,
    number: NumberPath,
    body: ActAs,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskChangeRead:
    """Back in progress if someone holds it, else back to pending."""
    service = Tasks(session, settings)
    result = await service.unblock(
        actor, slug, number, as_agent=body.as_agent, version=body.version
    )
    return change_read(result)


@router.post("/{number}/complete")
async def complete(
    slug: SlugPath,
    number: NumberPath,
    body: CompleteRequest,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> CompletionRead:
    """Completed with outcome, files and verified; optionally appends the changelog entry."""
    service = Tasks(session, settings)
    draft = None
    if body.changelog is not None:
        log = body.changelog
        draft = ChangelogDraft(
            title=log.title,
            problem=log.problem,
            fix=log.fix,
            verification=log.verified or "",
            files=log.files or [],
        )
    done = await service.complete(
        actor,
        slug,
        number,
        outcome=body.outcome,
        files=body.files,
        verified=body.verified,
        changelog=draft,
        as_agent=body.as_agent,
        version=body.version,
    )
    return completion_read(done)


@router.post("/{number}/release")
async def release(
    slug: SlugPath,
    number: NumberPath,
    body: ActAs,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskChangeRead:
    """Back to the queue: pending and unowned."""
    service = Tasks(session, settings)
    result = await service.release(
        actor, slug, number, as_agent=body.as_agent, version=body.version
    )
    return change_read(result)


@router.post("/{number}/renew")
async def renew(
    slug: SlugPath,
    number: NumberPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskRead:
    """Extend the lease on a task you hold (any other write by you on it does too)."""
    service = Tasks(session, settings)
    return task_read(await service.renew(actor, slug, number))


@router.post("/{number}/dependencies")
async def add_dependencies(
    slug: SlugPath,
    number: NumberPath,
    body: DependenciesIn,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskRead:
    """Make this task wait on others; a cycle is refused (409 ``dependency-cycle``)."""
    service = Tasks(session, settings)
    return task_read(await service.add_blockers(actor, slug, number, body.blocked_by))


@router.delete("/{number}/dependencies/{blocker}")
async def remove_dependency(
    slug: SlugPath,
    number: NumberPath,
    blocker: NumberPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskRead:
    """Stop this task waiting on ``blocker``."""
    service = Tasks(session, settings)
    return task_read(await service.remove_blocker(actor, slug, number, blocker))


@router.get("/{number}/follow-ups")
async def list_follow_ups(
    slug: SlugPath,
    number: NumberPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> list[TaskRead]:
    """Tasks created as follow-ups of this one."""
    service = Tasks(session, settings)
    return [task_read(view) for view in await service.follow_ups(actor, slug, number)]


@router.post("/{number}/follow-ups", status_code=status.HTTP_201_CREATED)
async def add_follow_up(
    slug: SlugPath,
    number: NumberPath,
    body: FollowUpIn,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TaskRead:
    """A task on another agent's tracker, linked to this one."""
    service = Tasks(session, settings)
    view = await service.follow_up(
        actor,
        slug,
        number,
        tracker=body.tracker,
        title=body.title,
        description=body.description,
        priority=body.priority,
        as_agent=body.as_agent,
    )
    return task_read(view)


@router.get("/{number}/history")
async def history(
    slug: SlugPath,
    number: NumberPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[EventRead]:
    """Every change of the task, oldest first."""
    page = await Tasks(session, settings).history(actor, slug, number, cursor=cursor, limit=limit)
    return Page[EventRead](
        items=[EventRead.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )
