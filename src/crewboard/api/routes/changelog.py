"""The append-only changelog of a project."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.api.presenters import entry_read
from crewboard.edge.deps import ActorDep, SessionDep, SettingsDep
from crewboard.schemas.common import AgentName, Cursor, Limit, Page, Slug
from crewboard.schemas.tasks import ChangelogIn, ChangelogRead
from crewboard.services.tasks import ChangelogDraft, ChangelogService

router = APIRouter(prefix="/projects/{slug}/changelog", tags=["changelog"])
SlugPath = Annotated[Slug, Path()]


@router.get("")
async def list_changelog(
    slug: SlugPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    agent: Annotated[AgentName | None, Query()] = None,
    task: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[ChangelogRead]:
    """Entries oldest first, optionally of one agent or about one task."""
    page = await ChangelogService(session, settings).list(
        actor, slug, agent=agent, task_number=task, cursor=cursor, limit=limit
    )
    return Page[ChangelogRead](
        items=[entry_read(v) for v in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def append_changelog(
    slug: SlugPath, body: ChangelogIn, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> ChangelogRead:
    """Append an entry (problem, fix, files, verified) written by the acting agent."""
    draft = ChangelogDraft(
        title=body.title,
        problem=body.problem,
        fix=body.fix,
        verification=body.verified,
        files=body.files,
        task_numbers=body.task_ids,
        source=body.source,
    )
    view = await ChangelogService(session, settings).append(
        actor, slug, draft, as_agent=body.as_agent
    )
    return entry_read(view)
