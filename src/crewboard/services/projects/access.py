"""Projects, members and roles; ``access`` is the gate of every project-scoped rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain

from sqlalchemy import bindparam, delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from crewboard.database.statements import Statement, fetch_one
from crewboard.models import Agent, Invitation, Member, Project, User
from crewboard.services.core import (
    NAME_MAX,
    PATH_MAX,
    SLUG_PATTERN,
    Actor,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    check_agent_name,
    check_email,
    check_limit,
    check_slug,
    check_text,
    decode_cursor,
    page_of,
    record_event,
)


class Role(StrEnum):
    """A member's role, weakest first."""

    VIEWER = "viewer"
    AGENT = "agent"
    MEMBER = "member"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """Order of power: viewer < agent < member < owner."""
        return _RANKS[self]


_SLUG = re.compile(SLUG_PATTERN)
# The accesses resolved in a unit of work (by ``access``, or primed by the caller's
# authentication: ``ProjectService.prime``), by (actor, slug), in its session's info.
PRIMED_KEY = "crewboard.primed_access"
# The rows an access is read from: a change to any of them in the unit of work voids the lot.
_GRANTING = (Project, Member, Agent, User)


def _granting_changed(session: Session) -> bool:
    return any(
        isinstance(row, _GRANTING) for row in chain(session.new, session.deleted, session.dirty)
    )


def _resolved(session: Session) -> dict[tuple[Actor, str], ProjectAccess]:
    """This unit of work's resolved accesses, forgotten once a row they were read from changed
    in it (a member removed, a role changed, an agent taken off the roster, a user disabled)."""
    known: dict[tuple[Actor, str], ProjectAccess] = session.info.setdefault(PRIMED_KEY, {})
    if known and _granting_changed(session):
        known.clear()
    return known


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _context: object) -> None:
    # Pending changes are seen by ``_resolved``; flushed ones would not be any more.
    if PRIMED_KEY in session.info and _granting_changed(session):
        del session.info[PRIMED_KEY]


_RANKS = {Role.VIEWER: 0, Role.AGENT: 1, Role.MEMBER: 2, Role.OWNER: 3}


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    """What an actor may do in one project, and as which agent (if any) it acts."""

    project: Project
    role: Role
    agent_name: str | None

    def require(self, role: Role) -> None:
        """Refuse unless the actor's role is at least ``role``."""
        if self.role.rank < role.rank:
            raise Forbidden(f"this needs the {role.value} role in project {self.project.slug}")


@dataclass(frozen=True, slots=True)
class MemberView:
    """A membership with its person."""

    member: Member
    user: User


# Built once (every request resolves access): the project and the caller's membership; for
# an agent token, also its roster entry and its person.
_ACCESS = (
    select(Project, Member)
    .outerjoin(Member, (Member.project_id == Project.id) & (Member.user_id == bindparam("p_user")))
    .where(Project.slug == bindparam("p_slug"))
)
_AGENT_ACCESS = (
    _ACCESS.add_columns(Agent.id, User.is_admin, User.disabled_at)
    .outerjoin(Agent, (Agent.project_id == Project.id) & (Agent.name == bindparam("p_agent")))
    .outerjoin(User, User.id == bindparam("p_user"))
)


class ProjectService:
    """Projects and their memberships."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def access(
        self, actor: Actor, slug: str, *, need: Role = Role.VIEWER, write: bool = False
    ) -> ProjectAccess:
        """Resolve the actor's rights in a project; outsiders get NotFound, never a hint.

        One query whatever the actor: the project, the actor's membership and, for an agent
        token, whether its agent is still on the roster and its person still entitled.
        """
        if write:
            actor.require_write()
        if not _SLUG.fullmatch(slug):
            # Not a slug, so no project; and PostgreSQL text cannot even hold a NUL (a 500).
            raise NotFound("project not found")
        resolved = _resolved(self.session.sync_session)
        known = resolved.get((actor, slug))
        if known is not None:
            known.require(need)
            return known
        user_id = actor.user_id if actor.user_id is not None else -1
        params = {"p_user": user_id, "p_slug": slug, "p_agent": actor.agent_name}
        if actor.is_agent:
            row = (await self.session.execute(_AGENT_ACCESS, params)).first()
            access = resolve_access(actor, *row) if row is not None else None
        else:
            row = (await self.session.execute(_ACCESS, params)).first()
            access = resolve_access(actor, *row, None, None, None) if row is not None else None
        if access is None:
            raise NotFound(f"project {slug} not found")
        resolved[(actor, slug)] = access
        access.require(need)
        return access

    def prime(self, actor: Actor, access: ProjectAccess | None) -> None:
        """Remember, for this unit of work, an access resolved with the caller's credential
        (services/accounts/auth.py reads both in one statement), so that every service of the
        unit of work finds it without a query."""
        if access is not None:
            _resolved(self.session.sync_session)[(actor, access.project.slug)] = access

    async def _member(self, project_id: int, user_id: int | None) -> Member | None:
        if user_id is None:
            return None
        return await self.session.get(Member, (project_id, user_id))

    async def create(
        self,
        actor: Actor,
        *,
        slug: str,
        name: str | None = None,
        repo_path: str | None = None,
        owner_id: int | None = None,
    ) -> Project:
        """Create a project; its creator (or the named owner) becomes its owner."""
        actor.require_person()
        actor.require_write()
        slug = check_slug(slug)
        owner = owner_id if owner_id is not None else actor.user_id
        if owner is None:
            raise Invalid("a project needs an owner", field="owner")
        if owner != actor.user_id and not actor.is_admin:
            raise Forbidden("only an admin can create a project for someone else")
        owner_user = await self.session.get(User, owner)
        if owner_user is None or owner_user.disabled_at is not None:
            raise NotFound("owner not found")
        if await self.session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
            raise Conflict(f"project {slug} exists", code="duplicate")
        project = Project(
            slug=slug,
            name=check_text(name if name is not None else slug, "name", NAME_MAX),
            repo_path=check_text(repo_path, "repo_path", PATH_MAX) if repo_path else None,
        )
        self.session.add(project)
        await self.session.flush()
        self.session.add(Member(project_id=project.id, user_id=owner, role=Role.OWNER.value))
        record_event(
            self.session,
            actor,
            "project.created",
            f"project:{slug}",
            {"name": project.name, "owner": owner_user.email},
            project_id=project.id,
        )
        await self.session.flush()
        return project

    async def list(
        self, actor: Actor, *, cursor: str | None = None, limit: int = 50
    ) -> Page[Project]:
        """The projects the actor can see: its own (admins: all, agents: their one)."""
        after = decode_cursor(cursor)
        query = select(Project).order_by(Project.id).limit(check_limit(limit) + 1)
        if actor.is_agent:
            query = query.where(Project.id == actor.project_id)
        elif not actor.is_admin:
            query = query.join(Member, Member.project_id == Project.id).where(
                Member.user_id == actor.user_id
            )
        if after is not None:
            query = query.where(Project.id > after)
        rows = (await self.session.scalars(query)).all()
        return page_of(rows, limit, lambda p: p.id)

    async def update(
        self, actor: Actor, slug: str, *, name: str | None = None, repo_path: str | None = None
    ) -> Project:
        """Rename a project or set its repository path (owners)."""
        access = await self.access(actor, slug, need=Role.OWNER, write=True)
        project = access.project
        changes: dict[str, object] = {}
        if name is not None:
            project.name = check_text(name, "name", NAME_MAX)
            changes["name"] = project.name
        if repo_path is not None:
            project.repo_path = check_text(repo_path, "repo_path", PATH_MAX, required=False) or None
            changes["repo_path"] = project.repo_path
        if changes:
            record_event(
                self.session,
                actor,
                "project.updated",
                f"project:{slug}",
                changes,
                project_id=project.id,
            )
        await self.session.flush()
        return project

    async def list_members(
        self, actor: Actor, slug: str, *, cursor: str | None = None, limit: int = 50
    ) -> Page[MemberView]:
        """Members with their people, in user-id order."""
        access = await self.access(actor, slug)
        after = decode_cursor(cursor)
        query = (
            select(Member, User)
            .join(User, User.id == Member.user_id)
            .where(Member.project_id == access.project.id)
            .order_by(Member.user_id)
            .limit(check_limit(limit) + 1)
        )
        if after is not None:
            query = query.where(Member.user_id > after)
        rows = [MemberView(m, u) for m, u in (await self.session.execute(query)).all()]
        return page_of(rows, limit, lambda v: v.user.id)

    async def set_member(
        self, actor: Actor, slug: str, *, email: str, role: Role, agent_name: str | None = None
    ) -> MemberView:
        """Add a person to the project or change their role (owners); never drop the last owner."""
        access = await self.access(actor, slug, need=Role.OWNER, write=True)
        project = access.project
        if (role is Role.AGENT) != (agent_name is not None):
            raise Invalid("the agent role, and only it, names an agent", field="agent_name")
        if agent_name is not None:
            await require_on_roster(self.session, project, agent_name)
        email = check_email(email)
        user = await self.session.scalar(select(User).where(User.email == email))
        if user is None:
            raise NotFound(f"no user with e-mail {email}")
        member = await self._member(project.id, user.id)
        if member is None:
            member = Member(project_id=project.id, user_id=user.id)
            self.session.add(member)
            kind = "member.added"
        else:
            if member.role == Role.OWNER and role is not Role.OWNER:
                await self._keep_an_owner(project.id, user.id)
            kind = "member.updated"
        member.role, member.agent_name = role.value, agent_name
        record_event(
            self.session,
            actor,
            kind,
            f"user:{user.id}",
            {"email": user.email, "role": role.value, "agent_name": agent_name},
            project_id=project.id,
        )
        await self._drop_invitations(project.id, user.email)
        await self.session.flush()
        return MemberView(member, user)

    async def remove_member(self, actor: Actor, slug: str, user_id: int) -> None:
        """Take a person out of the project (owners); never the last owner."""
        access = await self.access(actor, slug, need=Role.OWNER, write=True)
        member = await self._member(access.project.id, user_id)
        if member is None:
            raise NotFound("member not found")
        if member.role == Role.OWNER:
            await self._keep_an_owner(access.project.id, user_id)
        email = await self.session.scalar(select(User.email).where(User.id == user_id))
        if email is not None:  # an offer made before they joined must not bring them back
            await self._drop_invitations(access.project.id, email)
        await self.session.delete(member)
        record_event(
            self.session,
            actor,
            "member.removed",
            f"user:{user_id}",
            {},
            project_id=access.project.id,
        )
        await self.session.flush()

    async def _drop_invitations(self, project_id: int, email: str) -> None:
        """Open invitations of ``email`` to the project end once membership is decided."""
        await self.session.execute(
            delete(Invitation).where(Invitation.project_id == project_id, Invitation.email == email)
        )

    async def _keep_an_owner(self, project_id: int, leaving_user_id: int) -> None:
        # Lock the owner rows (PostgreSQL) so two owners cannot remove each other at once.
        others = await self.session.scalars(
            select(Member.user_id)
            .where(
                Member.project_id == project_id,
                Member.role == Role.OWNER.value,
                Member.user_id != leaving_user_id,
            )
            .with_for_update()
        )
        if not others.first():
            raise Conflict("a project keeps at least one owner", code="last-owner")


_ON_ROSTER = Statement(
    select(Agent.id).where(
        Agent.project_id == bindparam("p_project"), Agent.name == bindparam("p_name")
    )
)


async def on_roster(session: AsyncSession, project: Project, name: str) -> bool:
    """Is an agent of this name on the project's roster? (On the driver: every task written
    to a tracker and every message to an agent asks.)"""
    found = await fetch_one(session, _ON_ROSTER, {"p_project": project.id, "p_name": name})
    return found is not None


async def require_on_roster(
    session: AsyncSession, project: Project, name: str, field: str = "agent_name"
) -> str:
    """Refuse an agent name (checked for shape first) that is not on the roster."""
    try:
        check_agent_name(name)
    except Invalid as exc:
        raise Invalid(exc.message, field=field) from None
    if not await on_roster(session, project, name):
        raise NotFound(f"no agent {name} on the roster of {project.slug}", field=field)
    return name


def resolve_access(
    actor: Actor,
    project: Project,
    member: Member | None,
    agent_id: int | None,
    user_is_admin: bool | None,
    user_disabled_at: object | None,
) -> ProjectAccess | None:
    """The rule of access: the actor's rights in ``project`` from its membership and, for an
    agent token, whether its agent is on the roster (``agent_id``) and its person still exists
    (``user_is_admin`` not None), is enabled and may act for that agent. None: no access."""
    if actor.is_agent:
        # An agent token lives only as long as its agent is on the roster and its person
        # may still act for that agent.
        entitled = user_is_admin or (
            member is not None and may_act_as_agent(member, actor.agent_name)
        )
        valid = (
            actor.project_id == project.id
            and agent_id is not None
            and user_is_admin is not None
            and user_disabled_at is None
            and entitled
        )
        return ProjectAccess(project, Role.AGENT, actor.agent_name) if valid else None
    if actor.is_admin:
        return ProjectAccess(project, Role.OWNER, None)
    if member is None:
        return None
    return ProjectAccess(project, Role(member.role), member.agent_name)


def may_act_as_agent(member: Member, agent_name: str | None) -> bool:
    """Members and owners may act for any agent; an agent-role member only for its own."""
    role = Role(member.role)
    if role.rank >= Role.MEMBER.rank:
        return True
    return role is Role.AGENT and member.agent_name == agent_name
