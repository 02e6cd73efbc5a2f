"""TeamService: teams of roster agents in a project, and what happens to their work.

A team's shared task list is the project's tasks that name the team; the ready queue, the
task list and claim-next take a ``team``. Permissions (see docs/teams.md):

- anyone in the project reads teams;
- members, owners and agents create teams; an agent creating one becomes its lead;
- members and owners manage any team; an agent manages the team it leads, and may join or
  leave a team by itself;
- deleting a team whose members hold in-progress tasks of it needs ``force`` (members and
  owners only): those tasks go back to pending, through the task flow.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import utcnow
from crewboard.models.tasks import Task
from crewboard.models.teams import Team, TeamMember
from crewboard.services.core import (
    TEAM_DESCRIPTION_MAX,
    TEAM_MEMBERS_PER_CALL,
    Actor,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    check_limit,
    check_team_name,
    check_text,
    decode_cursor,
    page_of,
    record_event,
)
from crewboard.services.projects import ProjectAccess, Role, find_team, require_on_roster
from crewboard.services.tasks import Status, TaskChange, Tasks


@dataclass(frozen=True, slots=True)
class TeamView:
    """A team, its members (in the order they joined) and its tasks counted by status."""

    team: Team
    members: list[TeamMember]
    task_counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class TeamDeletion:
    """A deleted team: the tasks sent back to pending, and how many tasks left the team."""

    team: Team
    deleted_at: datetime
    released: list[int]
    detached: int


class TeamService:
    """Create, read, change and delete the teams of a project."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.flow = Tasks(session, settings)
        self.projects = self.flow.projects

    # -- reading --------------------------------------------------------------------------

    async def list(
        self, actor: Actor, slug: str, *, cursor: str | None = None, limit: int = 50
    ) -> Page[TeamView]:
        """The live teams of a project, oldest first."""
        access = await self.projects.access(actor, slug)
        after = decode_cursor(cursor)
        query = (
            select(Team)
            .where(Team.project_id == access.project.id, Team.deleted_at.is_(None))
            .order_by(Team.id)
            .limit(check_limit(limit) + 1)
        )
        if after is not None:
            query = query.where(Team.id > after)
        page = page_of((await self.session.scalars(query)).all(), limit, lambda t: t.id)
        return Page(await self._views(page.items), page.next_cursor)

    async def get(self, actor: Actor, slug: str, name: str) -> TeamView:
        """One team."""
        access = await self.projects.access(actor, slug)
        return (await self._views([await self._load(access, name)]))[0]

    async def _load(self, access: ProjectAccess, name: str, *, lock: bool = False) -> Team:
        team = await find_team(self.session, access.project, check_team_name(name))
        if team is None:
            raise NotFound(f"no team {name} in project {access.project.slug}")
        if lock and self.session.get_bind().dialect.name != "sqlite":
            # Serialise changes of one team (SQLite serialises every writer already).
            await self.session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
        return team

    async def _views(self, teams: Sequence[Team]) -> builtins.list[TeamView]:
        ids = [t.id for t in teams]
        members: dict[int, builtins.list[TeamMember]] = defaultdict(list)
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        if ids:
            rows = await self.session.scalars(
                select(TeamMember)
                .where(TeamMember.team_id.in_(ids))
                .order_by(TeamMember.team_id, TeamMember.joined_at, TeamMember.agent_name)
            )
            for member in rows:
                members[member.team_id].append(member)
            tallies = await self.session.execute(
                select(Task.team_id, Task.status, func.count())
                .where(Task.team_id.in_(ids))
                .group_by(Task.team_id, Task.status)
            )
            for team_id, status, count in tallies:
                counts[int(team_id or 0)][status] = int(count)
        return [TeamView(t, members[t.id], counts[t.id]) for t in teams]

    # -- permissions ----------------------------------------------------------------------

    @staticmethod
    def may_manage(access: ProjectAccess, team: Team) -> bool:
        """Members and owners manage any team; an agent the team it leads."""
        if access.role.rank >= Role.MEMBER.rank:
            return True
        return access.agent_name is not None and access.agent_name == team.lead

    def _require_manage(self, access: ProjectAccess, team: Team, what: str) -> None:
        if not self.may_manage(access, team):
            raise Forbidden(f"only a member, or the team's lead, can {what} team {team.name}")

    async def _writer(self, actor: Actor, slug: str) -> ProjectAccess:
        # Agents (tokens, and people with the agent role) and members; never viewers.
        return await self.projects.access(actor, slug, need=Role.AGENT, write=True)

    # -- writing --------------------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        slug: str,
        *,
        name: str,
        description: str = "",
        lead: str | None = None,
        members: Sequence[str] = (),
    ) -> TeamView:
        """A new team; an agent creating one leads it. The lead is always a member."""
        access = await self._writer(actor, slug)
        me = access.agent_name
        if me is not None:
            if lead is not None and lead != me:
                raise Forbidden(f"an agent creates teams it leads; {me} cannot make {lead} lead")
            lead = me
        name = check_team_name(name)
        if await find_team(self.session, access.project, name) is not None:
            raise Conflict(f"team {name} exists in project {slug}", code="duplicate")
        if lead is not None:
            await require_on_roster(self.session, access.project, lead, "lead")
        agents = await self._roster_names(access, members, "members")
        team = Team(
            project_id=access.project.id,
            name=name,
            description=check_text(
                description, "description", TEAM_DESCRIPTION_MAX, required=False
            ),
            lead=lead,
        )
        self.session.add(team)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a concurrent creation of the same name won
            raise Conflict(f"team {name} exists in project {slug}", code="duplicate") from exc
        joined = await self._join(team, [lead, *agents] if lead else agents)
        self._record(
            actor,
            access,
            team,
            "team.created",
            {
                "description": team.description,
                "lead": lead,
                "members": joined,
            },
        )
        return (await self._views([team]))[0]

    async def update(
        self,
        actor: Actor,
        slug: str,
        name: str,
        *,
        description: str | None = None,
        lead: str | None = None,
        clear_lead: bool = False,
    ) -> TeamView:
        """Change a team's description or lead (a new lead joins the team)."""
        access = await self._writer(actor, slug)
        team = await self._load(access, name, lock=True)
        self._require_manage(access, team, "change")
        changes: dict[str, builtins.list[str | None]] = {}
        if description is not None:
            text = check_text(description, "description", TEAM_DESCRIPTION_MAX, required=False)
            if text != team.description:
                changes["description"] = [team.description, text]
                team.description = text
        new_lead = None if clear_lead else lead
        if (clear_lead or lead is not None) and new_lead != team.lead:
            if new_lead is not None:
                await require_on_roster(self.session, access.project, new_lead, "lead")
                await self._join(team, [new_lead])
            changes["lead"] = [team.lead, new_lead]
            team.lead = new_lead
        if changes:
            await self.session.flush()
            self._record(actor, access, team, "team.updated", {"changes": changes})
        return (await self._views([team]))[0]

    async def add_members(
        self, actor: Actor, slug: str, name: str, agents: Sequence[str]
    ) -> TeamView:
        """Put roster agents on a team (already there: left as is). An agent may join alone."""
        access = await self._writer(actor, slug)
        team = await self._load(access, name, lock=True)
        if list(agents) != [access.agent_name]:
            self._require_manage(access, team, "add others to")
        joined = await self._join(
            team, await self._roster_names(access, agents, "agents", required=True)
        )
        if joined:
            self._record(actor, access, team, "team.member_added", {"agents": joined})
        return (await self._views([team]))[0]

    async def remove_member(self, actor: Actor, slug: str, name: str, agent: str) -> TeamView:
        """Take an agent off a team (a lead leaving steps down). An agent may leave by itself.

        Its tasks stay as they are: on the team's list, and its own while it holds them.
        """
        access = await self._writer(actor, slug)
        team = await self._load(access, name, lock=True)
        if agent != access.agent_name:
            self._require_manage(access, team, "remove others from")
        member = await self.session.get(TeamMember, (team.id, agent))
        if member is None:
            raise NotFound(f"{agent} is not on team {name}")
        await self.session.delete(member)
        was_lead = team.lead == agent
        if was_lead:
            team.lead = None
        await self.session.flush()
        self._record(
            actor, access, team, "team.member_removed", {"agent": agent, "was_lead": was_lead}
        )
        return (await self._views([team]))[0]

    async def delete(
        self, actor: Actor, slug: str, name: str, *, force: bool = False
    ) -> TeamDeletion:
        """Delete a team (its row stays, marked deleted, and its name is free again).

        Refused (409 ``team-busy``) while its members hold in-progress tasks of it, unless
        ``force`` (members and owners): then those go back to pending, unowned. Every task
        of the team leaves it, each with a history event saying why.
        """
        access = await self._writer(actor, slug)
        team = await self._load(access, name, lock=True)
        self._require_manage(access, team, "delete")
        if force:
            access.require(Role.MEMBER)
        reason = f"team {team.name} deleted"
        held = await self._held_by_members(access, team)
        if held and not force:
            listed = ", ".join(f"#{t.number} ({t.owner})" for t in held)
            raise Conflict(
                f"members of team {team.name} still work on its tasks: {listed}; finish or "
                "release them, or delete with force",
                code="team-busy",
                tasks=[t.number for t in held],
            )
        released = []
        for task in held:
            change = TaskChange(
                status=Status.PENDING, clear_owner=True, clear_team=True, reason=reason
            )
            await self.flow.apply(actor, access, None, task, change)
            released.append(task.number)
        now = utcnow()
        detached = (
            await self.session.scalars(
                update(Task)
                .where(Task.project_id == access.project.id, Task.team_id == team.id)
                .values(team_id=None, version=Task.version + 1, updated_at=now)
                .returning(Task.number)
                .execution_options(synchronize_session=False)
            )
        ).all()
        for number in sorted(detached):
            record_event(
                self.session,
                actor,
                "task.updated",
                f"task:{number}",
                {"changes": {"team": [team.name, None]}, "reason": reason},
                project_id=access.project.id,
            )
        team.deleted_at = now
        await self.session.flush()
        self._record(
            actor,
            access,
            team,
            "team.deleted",
            {
                "force": force,
                "released": released,
                "detached": len(detached) + len(released),
            },
        )
        return TeamDeletion(team, now, released, len(detached) + len(released))

    # -- helpers --------------------------------------------------------------------------

    async def _held_by_members(self, access: ProjectAccess, team: Team) -> builtins.list[Task]:
        """The team's in-progress tasks its members hold; every task of the team is locked
        (PostgreSQL), so no claim slips in before the deletion commits."""
        if self.session.get_bind().dialect.name != "sqlite":
            await self.session.execute(
                select(Task.id).where(Task.team_id == team.id).with_for_update()
            )
        members = select(TeamMember.agent_name).where(TeamMember.team_id == team.id)
        query = (
            select(Task)
            .where(
                Task.project_id == access.project.id,
                Task.team_id == team.id,
                Task.status == Status.IN_PROGRESS.value,
                Task.owner.in_(members.scalar_subquery()),
            )
            .order_by(Task.number)
            .execution_options(populate_existing=True)
        )
        return list((await self.session.scalars(query)).all())

    async def _roster_names(
        self, access: ProjectAccess, names: Sequence[str], field: str, *, required: bool = False
    ) -> builtins.list[str]:
        """Agents named for a team: on the roster, each once, a bounded number per call."""
        if required and not names:
            raise Invalid("name at least one agent", field=field)
        if len(names) > TEAM_MEMBERS_PER_CALL:
            raise Invalid(f"at most {TEAM_MEMBERS_PER_CALL} agents per call", field=field)
        unique = list(dict.fromkeys(names))
        for name in unique:
            await require_on_roster(self.session, access.project, name, field)
        return unique

    async def _join(self, team: Team, agents: Sequence[str]) -> builtins.list[str]:
        """Add the agents not yet on the team; the ones added, in order."""
        current = set(
            (
                await self.session.scalars(
                    select(TeamMember.agent_name).where(TeamMember.team_id == team.id)
                )
            ).all()
        )
        added = [a for a in dict.fromkeys(agents) if a not in current]
        now = utcnow()
        for agent in added:
            self.session.add(TeamMember(team_id=team.id, agent_name=agent, joined_at=now))
        if added:
            await self.session.flush()
        return added

    def _record(
        self, actor: Actor, access: ProjectAccess, team: Team, kind: str, data: dict[str, object]
    ) -> None:
        record_event(
            self.session, actor, kind, f"team:{team.name}", data, project_id=access.project.id
        )
