"""Projects and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.edge.deps import ActorDep, SessionDep
from crewboard.schemas.common import Cursor, Limit, Page, Slug
from crewboard.schemas.projects import (
    MemberRead,
    MemberSet,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
)
from crewboard.services.projects import MemberView, ProjectService, Role

router = APIRouter(prefix="/projects", tags=["projects"])
SlugPath = Annotated[Slug, Path()]


def _member(view: MemberView) -> MemberRead:
    return MemberRead(
        user_id=view.user.id,
        email=view.user.email,
        name=view.user.name,
        role=view.member.role,
        agent_name=view.member.agent_name,
        created_at=view.member.created_at,
    )


@router.get("")
async def list_projects(
    actor: ActorDep,
    session: SessionDep,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[ProjectRead]:
    """The projects you belong to (admins: all)."""
    page = await ProjectService(session).list(actor, cursor=cursor, limit=limit)
    return Page[ProjectRead](
        items=[ProjectRead.model_validate(p) for p in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_project(body: ProjectCreate, actor: ActorDep, session: SessionDep) -> ProjectRead:
    """Create a project; you become its owner."""
    project = await ProjectService(session).create(
        actor, slug=body.slug, name=body.name, repo_path=body.repo_path
    )
    return ProjectRead.model_validate(project)


@router.get("/{slug}")
async def get_project(slug: SlugPath, actor: ActorDep, session: SessionDep) -> ProjectRead:
    """A project you belong to."""
    access = await ProjectService(session).access(actor, slug)
    return ProjectRead.model_validate(access.project)


@router.patch("/{slug}")
async def update_project(
    slug: SlugPath, body: ProjectUpdate, actor: ActorDep, session: SessionDep
) -> ProjectRead:
    """Rename a project or set its repository path (owners)."""
    project = await ProjectService(session).update(
        actor, slug, name=body.name, repo_path=body.repo_path
    )
    return ProjectRead.model_validate(project)


@router.get("/{slug}/members")
async def list_members(
    slug: SlugPath,
    actor: ActorDep,
    session: SessionDep,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[MemberRead]:
    """The project's people and their roles."""
    page = await ProjectService(session).list_members(actor, slug, cursor=cursor, limit=limit)
    return Page[MemberRead](items=[_member(v) for v in page.items], next_cursor=page.next_cursor)


@router.put("/{slug}/members")
async def set_member(
    slug: SlugPath, body: MemberSet, actor: ActorDep, session: SessionDep
) -> MemberRead:
    """Add a person by e-mail or change their role (owners)."""
    view = await ProjectService(session).set_member(
        actor, slug, email=body.email, role=Role(body.role), agent_name=body.agent_name
    )
    return _member(view)


@router.delete("/{slug}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    slug: SlugPath,
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    actor: ActorDep,
    session: SessionDep,
) -> None:
    """Take a person out of the project (owners); the last owner stays."""
    await ProjectService(session).remove_member(actor, slug, user_id)
