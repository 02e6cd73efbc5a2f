"""Team lookups and rules shared by tasks, the roster and ``TeamService``.

Kept apart from ``teams.py`` (which builds on the task flow) so that the task services and
the roster can use them without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Project
from crewboard.models.teams import Team, TeamMember
from crewboard.services.core import Actor, Invalid, check_team_name, record_event


async def find_team(
    session: AsyncSession, project: Project, name: str, *, lock: bool = False
) -> Team | None:
    """The live (not deleted) team of this name in the project.

    ``lock`` takes a shared row lock on PostgreSQL, so the team cannot be deleted before the
    caller's transaction ends (SQLite serialises writers anyway).
    """
    query = select(Team).where(
        Team.project_id == project.id, Team.name == name, Team.deleted_at.is_(None)
    )
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(read=True)
    return await session.scalar(query.execution_options(populate_existing=True))


async def require_team(
    session: AsyncSession, project: Project, name: str, field: str = "team", *, lock: bool = False
) -> Team:
    """A team a task names: it must exist, not deleted, in this project (422 otherwise)."""
    check_team_name(name, field)
    team = await find_team(session, project, name, lock=lock)
    if team is None:
        raise Invalid(f"no team {name} in project {project.slug}", field=field)
    return team


async def team_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """Names of teams by id, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Team.id, Team.name).where(Team.id.in_(wanted)))
    return {int(team_id): str(name) for team_id, name in rows}


async def leave_teams(session: AsyncSession, actor: Actor, project: Project, agent: str) -> None:
    """Take an agent off every team of the project (it left the roster); a lead steps down."""
    teams = (
        await session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(
                Team.project_id == project.id,
                Team.deleted_at.is_(None),
                TeamMember.agent_name == agent,
            )
            .order_by(Team.id)
        )
    ).all()
    if not teams:
        return
    await session.execute(
        delete(TeamMember).where(
            TeamMember.team_id.in_([team.id for team in teams]), TeamMember.agent_name == agent
        )
    )
    for team in teams:
        was_lead = team.lead == agent
        if was_lead:
            team.lead = None
        record_event(
            session,
            actor,
            "team.member_removed",
            f"team:{team.name}",
            {"agent": agent, "reason": "left the roster", "was_lead": was_lead},
            project_id=project.id,
        )
    await session.flush()
