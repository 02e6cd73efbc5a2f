"""Crew credentials: one secret for a whole Claude Code crew, never an identity of its own.

A project member issues a crew credential for one project. It opens no route and no tool:
it only exchanges itself (``exchange``) for a short-lived agent token of one roster agent
that the member may act as, which is exactly what the member could already mint by hand
(``create_token``), so it grants nothing new. Each exchange is an event naming the person
behind it and the agent; revoking the crew credential revokes every agent token it gave,
in the same transaction. Threat model: docs/security.md.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import AuthSession, Project, User, utcnow
from crewboard.services.accounts.auth import CREW_KIND, AuthService, IssuedCredential
from crewboard.services.accounts.credentials import hash_token, new_token, token_hint
from crewboard.services.core import (
    ALL_SCOPES,
    TOKEN_NAME_MAX,
    Actor,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    check_text,
    record_event,
)
from crewboard.services.projects import ProjectService, Role

CREW_PREFIX = "cbcrew_"  # a prefix, not a secret: tells the relay what it holds
EXCHANGED_HOURS = 12  # an agent token from an exchange lives this long (or less: the crew's)
CREW_SCOPES = ["crew"]


class CrewService:
    """Issue crew credentials and exchange them for agent tokens."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.auth = AuthService(session, settings)

    async def create(
        self,
        actor: Actor,
        slug: str,
        *,
        expires_in: timedelta | None,
        name: str | None,
        user_id: int | None = None,
    ) -> IssuedCredential:
        """A crew credential of one project for a member or owner of it: the caller, or (for
        an admin, and the admin command line) ``user_id``."""
        if not actor.is_system:
            actor.require_person()
        actor.require_write()
        target = user_id if user_id is not None else actor.user_id
        if target != actor.user_id and not (actor.is_admin or actor.is_system):
            raise Forbidden("only an admin can issue a crew credential for someone else")
        user = await self.session.get(User, target) if target is not None else None
        if user is None or user.disabled_at is not None:
            raise NotFound("user not found")
        person = Actor(user_id=user.id, label=user.email, is_admin=user.is_admin, scopes=ALL_SCOPES)
        access = await ProjectService(self.session).access(
            person, slug, need=Role.MEMBER, write=True
        )
        lifetime = expires_in or timedelta(days=self.settings.token_default_days)
        if not timedelta(minutes=1) <= lifetime <= timedelta(days=self.settings.token_max_days):
            raise Invalid(
                f"a token lives from 1 minute to {self.settings.token_max_days} days",
                field="expires_in",
            )
        token = new_token(CREW_PREFIX)
        record = AuthSession(
            user_id=user.id,
            token_hash=hash_token(token),
            hint=token_hint(token),
            kind=CREW_KIND,
            name=check_text(name, "name", TOKEN_NAME_MAX) if name else None,
            scopes=CREW_SCOPES,
            project_id=access.project.id,
            agent_name=None,
            expires_at=utcnow() + lifetime,
        )
        self.session.add(record)
        await self.session.flush()
        record_event(
            self.session,
            actor,
            "token.created",
            f"token:{record.id}",
            {"user": user.email, "crew": True},
            project_id=access.project.id,
        )
        return IssuedCredential(token=token, record=record)

    async def exchange(
        self, token: str, agent_name: str, *, minutes: int = EXCHANGED_HOURS * 60
    ) -> IssuedCredential:
        """An agent token of ``agent_name`` for a valid crew credential, if the person behind
        it may act as that roster agent; any failure is Unauthenticated or the rule's own."""
        now = utcnow()
        crew = await self.session.scalar(
            select(AuthSession).where(
                AuthSession.token_hash == hash_token(token), AuthSession.kind == CREW_KIND
            )
        )
        if crew is None or crew.revoked_at is not None or crew.expires_at <= now:
            raise Unauthenticated(
                "unknown, expired or revoked crew credential", code="invalid-token"
            )
        user = await self.session.get(User, crew.user_id)
        if user is None or user.disabled_at is not None:
            raise Unauthenticated("this user is disabled", code="disabled-user")
        person = Actor(user_id=user.id, label=user.email, is_admin=user.is_admin, scopes=ALL_SCOPES)
        slug = await self.session.scalar(select(Project.slug).where(Project.id == crew.project_id))
        if slug is None:
            raise Unauthenticated(
                "unknown, expired or revoked crew credential", code="invalid-token"
            )
        # The rule of create_token: a member acting as a roster agent it may act as.
        project = await self.auth.agent_binding(person, user, slug, agent_name)
        wanted = min(max(minutes, 1), EXCHANGED_HOURS * 60) / 60
        hours = min(wanted, (crew.expires_at - now).total_seconds() / 3600)
        issued = self.auth.issue(
            user,
            kind="api",
            hours=hours,
            name=f"crew {crew.id}",
            project_id=project.id if project else None,
            agent_name=agent_name,
        )
        issued.record.parent_id = crew.id
        await self.session.flush()
        record_event(
            self.session,
            person,
            "token.exchanged",
            f"token:{issued.record.id}",
            {"user": user.email, "agent_name": agent_name, "crew": crew.id},
            project_id=crew.project_id,
        )
        return issued
