"""Membership by invitation: an owner offers a role to an e-mail address; only the person
with that address can accept it.

An owner never learns whether an address has an account, and cannot put anyone (an admin
included) into a project without their consent: adding someone who is not yet a member
records an invitation, with the same answer for every address, whoever asks (an instance
admin too; the operator's ``crewboard member add`` on the server adds directly). A role
change of a current member (whom the owner already sees) applies at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Invitation, Member, Project, User, utcnow
from crewboard.services.core import (
    MAX_LIMIT,
    Actor,
    Conflict,
    Invalid,
    NotFound,
    check_email,
    record_event,
)
from crewboard.services.projects.access import (
    MemberView,
    ProjectService,
    Role,
    require_on_roster,
)

INVITATION_DAYS = 14


@dataclass(frozen=True, slots=True)
class InvitationView:
    """An invitation with its project."""

    invitation: Invitation
    project: Project


class InvitationService:
    """Offer, list, accept, decline and withdraw invitations."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.projects = ProjectService(session)

    async def offer(
        self, actor: Actor, slug: str, *, email: str, role: Role, agent_name: str | None = None
    ) -> MemberView | InvitationView:
        """Give a role: at once to a current member (or by an admin), else as an invitation
        (owners); the answer does not tell whether the address has an account."""
        access = await self.projects.access(actor, slug, need=Role.OWNER, write=True)
        email = check_email(email)
        if (role is Role.AGENT) != (agent_name is not None):
            raise Invalid("the agent role, and only it, names an agent", field="agent_name")
        if agent_name is not None:
            await require_on_roster(self.session, access.project, agent_name)
        member = await self.session.scalar(
            select(Member.user_id)
            .join(User, User.id == Member.user_id)
            .where(Member.project_id == access.project.id, User.email == email)
        )
        if member is not None:
            return await self.projects.set_member(
                actor, slug, email=email, role=role, agent_name=agent_name
            )
        invitation = await self.session.scalar(
            select(Invitation).where(
                Invitation.project_id == access.project.id, Invitation.email == email
            )
        )
        now = utcnow()
        if invitation is None:
            invitation = Invitation(project_id=access.project.id, email=email)
            self.session.add(invitation)
        invitation.role, invitation.agent_name = role.value, agent_name
        invitation.invited_by, invitation.created_at = actor.label, now
        invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
        await self.session.flush()
        self._record(actor, access.project.id, "member.invited", invitation)
        return InvitationView(invitation, access.project)

    async def pending(self, actor: Actor, slug: str) -> list[InvitationView]:
        """A project's open invitations, newest first (owners)."""
        access = await self.projects.access(actor, slug, need=Role.OWNER)
        rows = await self.session.scalars(
            select(Invitation)
            .where(Invitation.project_id == access.project.id, Invitation.expires_at > utcnow())
            .order_by(Invitation.id.desc())
            .limit(MAX_LIMIT)
        )
        return [InvitationView(i, access.project) for i in rows.all()]

    async def withdraw(self, actor: Actor, slug: str, invitation_id: int) -> None:
        """Take an invitation back (owners)."""
        access = await self.projects.access(actor, slug, need=Role.OWNER, write=True)
        invitation = await self.session.scalar(
            select(Invitation).where(
                Invitation.id == invitation_id, Invitation.project_id == access.project.id
            )
        )
        if invitation is None:
            raise NotFound(f"no invitation {invitation_id} in project {slug}")
        await self.session.delete(invitation)
        self._record(actor, access.project.id, "invitation.withdrawn", invitation)

    async def mine(self, actor: Actor) -> list[InvitationView]:
        """The open invitations to one's own e-mail address, newest first."""
        email = await self._my_email(actor)
        rows = await self.session.execute(
            select(Invitation, Project)
            .join(Project, Project.id == Invitation.project_id)
            .where(Invitation.email == email, Invitation.expires_at > utcnow())
            .order_by(Invitation.id.desc())
            .limit(MAX_LIMIT)
        )
        return [InvitationView(i, p) for i, p in rows.all()]

    async def accept(self, actor: Actor, invitation_id: int) -> MemberView:
        """Join the project in the offered role."""
        invitation, project = await self._own(actor, invitation_id)
        if invitation.agent_name is not None:
            try:
                await require_on_roster(self.session, project, invitation.agent_name)
            except NotFound:
                raise Conflict(
                    f"agent {invitation.agent_name} left the roster since the invitation; "
                    "ask for a new one",
                    code="conflict",
                ) from None
        user = await self.session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user not found")
        member = await self.session.get(Member, (project.id, user.id))
        if member is None:
            member = Member(
                project_id=project.id,
                user_id=user.id,
                role=invitation.role,
                agent_name=invitation.agent_name,
            )
            self.session.add(member)
            record_event(
                self.session,
                actor,
                "member.added",
                f"user:{user.id}",
                {
                    "email": user.email,
                    "role": invitation.role,
                    "agent_name": invitation.agent_name,
                    "invited_by": invitation.invited_by,
                },
                project_id=project.id,
            )
        await self.session.execute(delete(Invitation).where(Invitation.id == invitation.id))
        await self.session.flush()
        return MemberView(member, user)

    async def decline(self, actor: Actor, invitation_id: int) -> None:
        """Say no to an invitation."""
        invitation, project = await self._own(actor, invitation_id)
        await self.session.delete(invitation)
        self._record(actor, project.id, "invitation.declined", invitation)
        await self.session.flush()

    async def slug_of(self, project_id: int) -> str:
        """A project's slug (where an accepted invitation leads)."""
        slug = await self.session.scalar(select(Project.slug).where(Project.id == project_id))
        if slug is None:
            raise NotFound("project not found")
        return slug

    async def _my_email(self, actor: Actor) -> str:
        actor.require_person()
        email = await self.session.scalar(select(User.email).where(User.id == actor.user_id))
        if email is None:
            raise NotFound("user not found")
        return email

    async def _own(self, actor: Actor, invitation_id: int) -> tuple[Invitation, Project]:
        actor.require_write()
        email = await self._my_email(actor)
        row = (
            await self.session.execute(
                select(Invitation, Project)
                .join(Project, Project.id == Invitation.project_id)
                .where(
                    Invitation.id == invitation_id,
                    Invitation.email == email,
                    Invitation.expires_at > utcnow(),
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"no invitation {invitation_id} for you")
        return row[0], row[1]

    def _record(self, actor: Actor, project_id: int, kind: str, invitation: Invitation) -> None:
        record_event(
            self.session,
            actor,
            kind,
            f"invitation:{invitation.id}",
            {
                "email": invitation.email,
                "role": invitation.role,
                "agent_name": invitation.agent_name,
            },
            project_id=project_id,
        )
