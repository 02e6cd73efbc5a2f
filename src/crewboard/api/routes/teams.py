"""Teams of a project: create, list, get, change, members in and out, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.edge.deps import ActorDep, SessionDep, SettingsDep
from crewboard.schemas.common import AgentName, Cursor, Limit, Page, Slug
from crewboard.schemas.teams import (
    TeamCreate,
    TeamDeleted,
    TeamMemberRead,
    TeamMembersAdd,
    TeamName,
    TeamRead,
    TeamUpdate,
)
from crewboard.services.teams import TeamService, TeamView

router = APIRouter(prefix="/projects/{slug}/teams", tags=["teams"])
SlugPath = Annotated[Slug, Path()]
TeamPath = Annotated[TeamName, Path()]
AgentPath = Annotated[AgentName, Path()]


def team_read(view: TeamView) -> TeamRead:
    """A team as the API shows it."""
    team = view.team
    return TeamRead(
        name=team.name,
        description=team.description,
        lead=team.lead,
        members=[TeamMemberRead(name=m.agent_name, joined_at=m.joined_at) for m in view.members],
        tasks=view.task_counts,
        created_at=team.created_at,
    )


@router.get("")
async def list_teams(
    slug: SlugPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[TeamRead]:
    """The project's teams, oldest first."""
    page = await TeamService(session, settings).list(actor, slug, cursor=cursor, limit=limit)
    return Page[TeamRead](items=[team_read(v) for v in page.items], next_cursor=page.next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_team(
    slug: SlugPath, body: TeamCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> TeamRead:
    """A new team (members, owners, agents); an agent creating one becomes its lead."""
    view = await TeamService(session, settings).create(
        actor,
        slug,
        name=body.name,
        description=body.description,
        lead=body.lead,
        members=body.members,
    )
    return team_read(view)


@router.get("/{team}")
async def get_team(
    slug: SlugPath, team: TeamPath, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> TeamRead:
    """One team, its members and its tasks counted by status."""
    return team_read(await TeamService(session, settings).get(actor, slug, team))


@router.patch("/{team}")
async def update_team(
    slug: SlugPath,
    team: TeamPath,
    body: TeamUpdate,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TeamRead:
    """Change the description or the lead (members, owners, the team's lead)."""
    view = await TeamService(session, settings).update(
        actor,
        slug,
        team,
        description=body.description,
        lead=body.lead,
        clear_lead="lead" in body.model_fields_set and body.lead is None,
    )
    return team_read(view)


@router.post("/{team}/members")
async def add_members(
    slug: SlugPath,
    team: TeamPath,
    body: TeamMembersAdd,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TeamRead:
    """Put roster agents on the team (members, owners, the lead; an agent may join alone)."""
    view = await TeamService(session, settings).add_members(actor, slug, team, body.agents)
    return team_read(view)


@router.delete("/{team}/members/{agent}")
async def remove_member(
    slug: SlugPath,
    team: TeamPath,
    agent: AgentPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> TeamRead:
    """Take an agent off the team (members, owners, the lead; an agent may leave by itself)."""
    view = await TeamService(session, settings).remove_member(actor, slug, team, agent)
    return team_read(view)


@router.delete("/{team}")
async def delete_team(
    slug: SlugPath,
    team: TeamPath,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    force: Annotated[bool, Query()] = False,
) -> TeamDeleted:
    """Delete the team; 409 ``team-busy`` while its members hold in-progress tasks of it,
    unless ``force=true`` (members, owners): those tasks then go back to pending."""
    done = await TeamService(session, settings).delete(actor, slug, team, force=force)
    return TeamDeleted(
        name=done.team.name,
        deleted_at=done.deleted_at,
        released=done.released,
        detached=done.detached,
    )
