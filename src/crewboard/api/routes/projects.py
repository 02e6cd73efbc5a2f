"""Projects and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from crewboard.edge.deps import ActorDep, SessionDep
from crewboard.schemas.common import Cursor, Limit, Page, Slug
from crewboard.schemas.projects import (
    InvitationRead,
    MemberRead,
    MemberSet,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
)
from crewboard.services.projects import (
    InvitationService,
    InvitationView,
    MemberView,
    ProjectService,
    Role,
)

router = APIRouter(prefix="/projects", tags=["projects"])
SlugPath = Annotated[Slug, Path()]


def member_read(view: MemberView) -> MemberRead:
    """A membership as the API shows it."""
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
    return Page[MemberRead](
        items=[member_read(v) for v in page.items], next_cursor=page.next_cursor
    )


def invitation_read(view: InvitationView) -> InvitationRead:
    """An invitation as the API shows it."""
    i = view.invitation
    return InvitationRead(
        id=i.id,
        project=view.project.slug,
        project_name=view.project.name,
        email=i.email,
        role=i.role,
        agent_name=i.agent_name,
        invited_by=i.invited_by,
        created_at=i.created_at,
        expires_at=i.expires_at,
    )


@router.put(
    "/{slug}/members",
    responses={202: {"model": InvitationRead, "description": "An invitation, to be accepted"}},
)
async def set_member(
    slug: SlugPath, body: MemberSet, actor: ActorDep, session: SessionDep, response: Response
) -> MemberRead | InvitationRead:
    """Give a person a role (owners). A current member's role changes at once (200); anyone
    else is invited (202, the same answer whether or not the address has an account) and
    joins on accepting (``POST /invitations/{id}/accept``)."""
    view = await InvitationService(session).offer(
        actor, slug, email=body.email, role=Role(body.role), agent_name=body.agent_name
    )
    if isinstance(view, InvitationView):
        response.status_code = status.HTTP_202_ACCEPTED
        return invitation_read(view)
    return member_read(view)


@router.get("/{slug}/invitations")
async def list_invitations(
    slug: SlugPath, actor: ActorDep, session: SessionDep
) -> list[InvitationRead]:
    """The project's open invitations, newest first (owners)."""
    invitations = InvitationService(session)
    return [invitation_read(v) for v in await invitations.pending(actor, slug)]


@router.delete("/{slug}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_invitation(
    slug: SlugPath,
    invitation_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    actor: ActorDep,
    session: SessionDep,
) -> None:
    """Take an invitation back (owners)."""
    await InvitationService(session).withdraw(actor, slug, invitation_id)


@router.delete("/{slug}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    slug: SlugPath,
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    actor: ActorDep,
    session: SessionDep,
) -> None:
    """Take a person out of the project (owners); the last owner stays."""
    await ProjectService(session).remove_member(actor, slug, user_id)
