"""The roster: the agents of a project (architect, frontend, backend, ...) and their trackers."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Agent, AuthSession, Member, utcnow
from crewboard.services.core import (
    AGENT_NAME_PATTERN,
    DOMAIN_MAX,
    TRACKER_PATH_MAX,
    Actor,
    Conflict,
    NotFound,
    Page,
    check_agent_name,
    check_limit,
    check_text,
    check_tracker_path,
    decode_cursor,
    default_tracker_path,
    page_of,
    record_event,
)
from crewboard.services.projects.access import ProjectService, Role, on_roster
from crewboard.services.projects.team_store import leave_teams

AGENT_NAME_RE = re.compile(AGENT_NAME_PATTERN)


class RosterService:
    """Add, list, change and remove the agents of a project."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.projects = ProjectService(session)

    async def list(
        self, actor: Actor, slug: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Agent]:
        """The roster, in the order agents were added."""
        access = await self.projects.access(actor, slug)
        after = decode_cursor(cursor)
        query = (
            select(Agent)
            .where(Agent.project_id == access.project.id)
            .order_by(Agent.id)
            .limit(check_limit(limit) + 1)
        )
        if after is not None:
            query = query.where(Agent.id > after)
        rows = (await self.session.scalars(query)).all()
        return page_of(rows, limit, lambda a: a.id)

    async def get(self, actor: Actor, slug: str, name: str) -> Agent:
        """One agent of the roster."""
        access = await self.projects.access(actor, slug)
        return await self._get(access.project.id, slug, name)

    async def _get(self, project_id: int, slug: str, name: str) -> Agent:
        if not AGENT_NAME_RE.fullmatch(name):
            # Not a name, so not on the roster (and PostgreSQL text cannot hold a NUL).
            raise NotFound(f"no such agent on the roster of {slug}")
        agent = await self.session.scalar(
            select(Agent).where(Agent.project_id == project_id, Agent.name == name)
        )
        if agent is None:
            raise NotFound(f"no agent {name} on the roster of {slug}")
        return agent

    async def add(
        self,
        actor: Actor,
        slug: str,
        *,
        name: str,
        domain: str = "",
        tracker_path: str | None = None,
    ) -> Agent:
        """Put an agent on the roster (members and owners)."""
        access = await self.projects.access(actor, slug, need=Role.MEMBER, write=True)
        name = check_agent_name(name)
        project_id = access.project.id
        if await on_roster(self.session, access.project, name):
            raise Conflict(f"agent {name} is already on the roster of {slug}", code="duplicate")
        agent = Agent(
            project_id=project_id,
            name=name,
            domain=check_text(domain, "domain", DOMAIN_MAX, required=False),
            tracker_path=check_tracker_path(
                tracker_path or default_tracker_path(name), "tracker_path", TRACKER_PATH_MAX
            ),
        )
        self.session.add(agent)
        await self.session.flush()
        record_event(
            self.session,
            actor,
            "agent.added",
            f"agent:{name}",
            {"domain": agent.domain, "tracker_path": agent.tracker_path},
            project_id=project_id,
        )
        return agent

    async def update(
        self,
        actor: Actor,
        slug: str,
        name: str,
        *,
        domain: str | None = None,
        tracker_path: str | None = None,
    ) -> Agent:
        """Change an agent's domain or tracker path (members and owners)."""
        access = await self.projects.access(actor, slug, need=Role.MEMBER, write=True)
        agent = await self._get(access.project.id, slug, name)
        changes: dict[str, object] = {}
        if domain is not None:
            agent.domain = check_text(domain, "domain", DOMAIN_MAX, required=False)
            changes["domain"] = agent.domain
        if tracker_path is not None:
            agent.tracker_path = check_tracker_path(tracker_path, "tracker_path", TRACKER_PATH_MAX)
            changes["tracker_path"] = agent.tracker_path
        if changes:
            record_event(
                self.session,
                actor,
                "agent.updated",
                f"agent:{name}",
                changes,
                project_id=access.project.id,
            )
        await self.session.flush()
        return agent

    async def remove(self, actor: Actor, slug: str, name: str) -> None:
        """Take an agent off the roster (owners); its tokens and team places go with it."""
        access = await self.projects.access(actor, slug, need=Role.OWNER, write=True)
        agent = await self._get(access.project.id, slug, name)
        bound = await self.session.scalar(
            select(Member.user_id).where(
                Member.project_id == access.project.id, Member.agent_name == name
            )
        )
        if bound is not None:
            raise Conflict(
                f"a member acts as agent {name}; change that membership first", code="agent-in-use"
            )
        # It leaves its teams with it (a team it led has no lead then).
        await leave_teams(self.session, actor, access.project, name)
        await self.session.delete(agent)
        # Its tokens die with it, so an agent re-added later under the same name starts clean.
        await self.session.execute(
            update(AuthSession)
            .where(
                AuthSession.project_id == access.project.id,
                AuthSession.agent_name == name,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        record_event(
            self.session,
            actor,
            "agent.removed",
            f"agent:{name}",
            {},
            project_id=access.project.id,
        )
        await self.session.flush()
