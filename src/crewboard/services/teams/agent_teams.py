"""Claude Code's agent-teams semantics on top of the task, team and message services.

- ``TaskUpdate`` naming oneself as the owner of an unowned task is the atomic claim
  (``TaskClaims.claim``, under the one claim rule); the rest of the same update is then
  applied to the claimed task, in the same transaction.
- ``SendMessage`` to ``"*"`` broadcasts to the sender's team (the one it is on, or the one
  it names when it is on several).
- A local agent (``crewboard mcp --database-url``) acts for a roster agent without a token.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.database.statements import Statement, fetch
from crewboard.models import Member, Project
from crewboard.models.teams import Team, TeamMember
from crewboard.services.core import ALL_SCOPES, Actor, Invalid, NotFound
from crewboard.services.projects import ProjectService, Role, require_on_roster
from crewboard.services.tasks import Applied, Status, TaskChange, Tasks


async def update_task(
    tasks: Tasks,
    actor: Actor,
    slug: str,
    number: int,
    change: TaskChange,
    *,
    version: int | None = None,
) -> Applied:
    """A Claude Code ``TaskUpdate``: a claim when the caller names itself owner of an unowned
    task, otherwise an ordinary versioned update (``version`` optional). The answer shows no
    links, so none are read."""
    access, me, task = await tasks.prepare(actor, slug, number, None, version)
    if change.owner is None or change.owner != me or task.owner is not None:
        return await tasks.apply(actor, access, me, task, change)
    before = task.status
    claimed = await tasks.claims.claim(actor, slug, number)
    # Pending with oneself as owner would release the claim again: keep the owner named.
    rest = replace(change, owner=me if change.status == Status.PENDING else None)
    if rest.status == Status.IN_PROGRESS:
        rest = replace(rest, status=None)
    fields = ["owner", "status"]
    if rest != TaskChange():
        result = await tasks.apply(actor, access, me, claimed, rest)
        fields += [f for f in result.updated_fields if f not in fields]
        claimed = result.task
    after = claimed.status
    return Applied(claimed, fields, (before, after) if before != after else None)


# On the driver (database/statements.py): every TaskCreate and TaskList without a team asks.
_TEAMS_OF = Statement(
    select(Team.name)
    .join(TeamMember, TeamMember.team_id == Team.id)
    .where(
        Team.project_id == bindparam("p_project"),
        Team.deleted_at.is_(None),
        TeamMember.agent_name == bindparam("p_agent"),
    )
    .order_by(Team.name)
)


async def _teams_of(session: AsyncSession, actor: Actor, slug: str) -> tuple[str | None, list[str]]:
    """The acting agent and the live teams it is on, by name."""
    access = await ProjectService(session).access(actor, slug)
    if access.agent_name is None:
        return None, []
    params = {"p_project": access.project.id, "p_agent": access.agent_name}
    names = [row.name for row in await fetch(session, _TEAMS_OF, params)]
    return access.agent_name, names


async def only_team(session: AsyncSession, actor: Actor, slug: str, team: str | None) -> str | None:
    """A ``team_name`` Claude Code left out: the caller's team when it is on exactly one
    (none, or several: no team, as the call would be without one)."""
    if team is not None:
        return team
    _, names = await _teams_of(session, actor, slug)
    return names[0] if len(names) == 1 else None


async def sender_team(session: AsyncSession, actor: Actor, slug: str, team: str | None) -> str:
    """The team a ``"*"`` message goes to: the named one, else the sender's only team."""
    if team is not None:
        return team
    await ProjectService(session).access(actor, slug, need=Role.AGENT, write=True)
    agent, names = await _teams_of(session, actor, slug)
    if agent is None:
        raise Invalid("name the team to broadcast to (team_name)", field="team_name")
    if not names:
        raise Invalid(f"{agent} is on no team; name one (team_name)", field="team_name")
    if len(names) > 1:
        raise Invalid(
            f"{agent} is on several teams ({', '.join(names)}); name one (team_name)",
            field="team_name",
        )
    return names[0]


async def local_agent(session: AsyncSession, slug: str, agent: str) -> Actor:
    """The actor of a local, token-less agent: that roster agent of the project, acting on
    behalf of the project's first owner. Whoever can open the database can already do
    anything to it (the admin commands act as the system), so this grants nothing more;
    every rule still applies to the agent it yields."""
    project = await session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise NotFound(f"project {slug} not found")
    await require_on_roster(session, project, agent, "agent")
    owner = await session.scalar(
        select(Member.user_id)
        .where(Member.project_id == project.id, Member.role == Role.OWNER.value)
        .order_by(Member.user_id)
        .limit(1)
    )
    if owner is None:
        raise NotFound(f"project {slug} has no owner to act for {agent}")
    return Actor(
        user_id=owner,
        label=f"{agent} (local)",
        project_id=project.id,
        project_slug=slug,
        agent_name=agent,
        scopes=ALL_SCOPES,
    )
