"""AuthService: who is calling. Logins, web sessions, API tokens and the first-admin setup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from crewboard.config import Settings
from crewboard.database.statements import Statement, adopt, fetch_one, labelled
from crewboard.models import Agent, AuthSession, Member, Project, SetupSecret, User, utcnow
from crewboard.services.accounts.credentials import (
    SETUP_PREFIX,
    hash_token,
    new_token,
    token_hint,
    verify_password,
)
from crewboard.services.accounts.throttle import LoginThrottle
from crewboard.services.accounts.users import UserService
from crewboard.services.core import (
    ALL_SCOPES,
    MAX_LIMIT,
    SLUG_PATTERN,
    TOKEN_NAME_MAX,
    Actor,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    Scope,
    Unauthenticated,
    check_agent_name,
    check_email,
    check_limit,
    check_text,
    decode_cursor,
    page_of,
    record_event,
)
from crewboard.services.projects import (
    ProjectService,
    Role,
    RosterService,
    may_act_as_agent,
    resolve_access,
)


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """A new secret, returned once, with the row that stores its hash."""

    token: str
    record: AuthSession


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The actor behind a credential, and whether its last use is stale enough to record."""

    actor: Actor
    kind: str
    needs_touch: bool


# Built once: every request authenticates, and building the query cost more than running it.
# Columns, not entities: an actor needs a handful of values, not two tracked ORM objects.
_CREDENTIAL = (
    select(
        AuthSession.id,
        AuthSession.kind,
        AuthSession.scopes,
        AuthSession.project_id,
        AuthSession.agent_name,
        AuthSession.expires_at,
        AuthSession.revoked_at,
        AuthSession.last_used_at,
        AuthSession.user_id,
        User.email,
        User.is_admin,
        User.disabled_at,
        Project.slug,
    )
    .join(User, User.id == AuthSession.user_id)
    .outerjoin(Project, Project.id == AuthSession.project_id)
    .where(AuthSession.token_hash == bindparam("p_hash"))
)


def _with_project(on: ColumnElement[bool]) -> Statement:
    """The credential and, in the same statement, what ``ProjectService.access`` reads to
    resolve its access to one project (``target``): the project, the person's membership
    and, for an agent token, its roster entry. Run on the driver (database/statements.py)."""
    members, agents = cast(Table, Member.__table__), cast(Table, Agent.__table__)
    return Statement(
        _CREDENTIAL.add_columns(
            *labelled(_TARGET, "target_"),
            *labelled(members, "member_"),
            agents.c.id.label("agent_id"),
        )
        .outerjoin(_TARGET, on)
        .outerjoin(
            members,
            (members.c.project_id == _TARGET.c.id) & (members.c.user_id == AuthSession.user_id),
        )
        .outerjoin(
            agents,
            (agents.c.project_id == _TARGET.c.id) & (agents.c.name == AuthSession.agent_name),
        )
    )


_TARGET = cast(Table, Project.__table__).alias("target")
_SLUG = re.compile(SLUG_PATTERN)
_PLAIN = Statement(_CREDENTIAL)
# A project named in the request's path; an agent token's own project (its only one).
_IN_SLUG = _with_project(_TARGET.c.slug == bindparam("p_slug"))
_IN_OWN = _with_project(_TARGET.c.id == AuthSession.project_id)


CREW_KIND = "crew"


class AuthService:
    """Credentials: login/logout, tokens, authentication, setup."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    # -- authentication ---------------------------------------------------------------

    async def authenticate(
        self, token: str, *, slug: str | None = None, own_project: bool = False
    ) -> Authenticated:
        """The actor behind a bearer token or session cookie; any failure is Unauthenticated.

        With ``slug`` (a project the request names) or ``own_project`` (an agent token's
        project), the same statement also reads the caller's access to that project, and
        ``ProjectService.access`` finds it resolved for the rest of the unit of work.
        """
        params = {"p_hash": hash_token(token)}
        if slug is not None and _SLUG.fullmatch(slug):
            statement, params["p_slug"] = _IN_SLUG, slug
        else:
            statement = _IN_OWN if own_project else _PLAIN
        found = await fetch_one(self.session, statement, params)
        now = utcnow()
        if found is None:
            raise Unauthenticated("invalid credential", code="invalid-token")
        if found.revoked_at is not None:
            raise Unauthenticated("this credential was revoked", code="revoked-token")
        if found.expires_at <= now:
            raise Unauthenticated("this credential has expired", code="expired-token")
        if found.disabled_at is not None:
            raise Unauthenticated("this user is disabled", code="disabled-user")
        if found.kind == CREW_KIND:
            raise Unauthenticated(
                "a crew credential only exchanges itself for an agent token "
                "(POST /api/v1/crew/exchange)",
                code="crew-credential",
            )
        stale = found.last_used_at is None or (now - found.last_used_at) >= timedelta(
            seconds=self.settings.touch_interval_seconds
        )
        email, agent = found.email, found.agent_name
        actor = Actor(
            user_id=found.user_id,
            label=email if agent is None else f"{agent} ({email})",
            is_admin=found.is_admin,
            project_id=found.project_id,
            project_slug=found.slug,
            agent_name=agent,
            scopes=frozenset(found.scopes) & ALL_SCOPES,
            session_id=found.id,
        )
        if statement is not _PLAIN and found.target_id is not None:
            self._prime(actor, found)
        return Authenticated(actor=actor, kind=found.kind, needs_touch=stale)

    def _prime(self, actor: Actor, found: Any) -> None:
        """Hand the project part of the row to the projects' own rule and cache."""
        project = adopt(self.session, Project, found, "target_")
        member = None
        if found.member_user_id is not None:
            member = adopt(self.session, Member, found, "member_")
        access = resolve_access(
            actor, project, member, found.agent_id, found.is_admin, found.disabled_at
        )
        ProjectService(self.session).prime(actor, access)

    async def touch(self, session_id: int) -> None:
        """Record that a credential was used now."""
        await self.session.execute(
            update(AuthSession).where(AuthSession.id == session_id).values(last_used_at=utcnow())
        )

    # -- web login ----------------------------------------------------------------------

    async def login(self, email: str, password: str, client: str) -> tuple[IssuedCredential, User]:
        """Check a password and open a web session; failures are throttled (throttle.py).

        A refused attempt is recorded even though the request fails (``keep_changes``).
        """
        email = email.strip().lower()[:254]
        if any(ord(ch) < 32 for ch in email):  # PostgreSQL text cannot even hold a NUL
            raise Invalid("not an e-mail address", field="email")
        now = utcnow()
        throttle = LoginThrottle(self.session, self.settings)
        await throttle.check(email, client, now)
        user = await self.session.scalar(select(User).where(User.email == email))
        ok = await verify_password(user.password_hash if user else None, password, self.settings)
        if user is None or not ok or user.disabled_at is not None:
            throttle.record(email, client, now, succeeded=False)
            error = Unauthenticated("wrong e-mail or password", code="bad-login")
            error.keep_changes = True
            raise error
        throttle.record(email, client, now, succeeded=True)
        issued = self.issue(
            user, kind="web", hours=self.settings.web_session_hours, name="web login"
        )
        await self.session.flush()
        return issued, user

    async def logout(self, actor: Actor) -> None:
        """Revoke the credential the actor is using."""
        if actor.session_id is None:
            raise Invalid("no session to log out of")
        await self._revoke(actor, actor.session_id)

    # -- API tokens ---------------------------------------------------------------------

    async def create_token(
        self,
        actor: Actor,
        *,
        user_id: int | None = None,
        project_slug: str | None = None,
        agent_name: str | None = None,
        expires_in: timedelta | None = None,
        name: str | None = None,
        read_only: bool = False,
    ) -> IssuedCredential:
        """Issue an API token for a person, or for one (project, agent) pair."""
        actor.require_person()
        actor.require_write()
        target_id = user_id if user_id is not None else actor.user_id
        if target_id is None:
            raise Invalid("a token belongs to a user", field="user")
        if target_id != actor.user_id and not actor.is_admin:
            raise Forbidden("only an admin can issue a token for someone else")
        user = await self.session.get(User, target_id)
        if user is None or user.disabled_at is not None:
            raise NotFound("user not found")
        lifetime = (
            expires_in
            if expires_in is not None
            else timedelta(days=self.settings.token_default_days)
        )
        if not timedelta(minutes=1) <= lifetime <= timedelta(days=self.settings.token_max_days):
            raise Invalid(
                f"a token lives from 1 minute to {self.settings.token_max_days} days",
                field="expires_in",
            )
        project = await self.agent_binding(actor, user, project_slug, agent_name)
        scopes = [Scope.READ.value] if read_only else sorted(ALL_SCOPES)
        issued = self.issue(
            user,
            kind="api",
            hours=lifetime.total_seconds() / 3600,
            name=check_text(name, "name", TOKEN_NAME_MAX) if name else None,
            scopes=scopes,
            project_id=project.id if project else None,
            agent_name=agent_name,
        )
        await self.session.flush()
        record_event(
            self.session,
            actor,
            "token.created",
            f"token:{issued.record.id}",
            {"user": user.email, "agent_name": agent_name, "scopes": scopes},
            project_id=project.id if project else None,
        )
        return issued

    async def agent_binding(
        self, actor: Actor, user: User, project_slug: str | None, agent_name: str | None
    ) -> Project | None:
        if (project_slug is None) != (agent_name is None):
            raise Invalid("an agent token names both a project and an agent", field="agent")
        if project_slug is None or agent_name is None:
            return None
        check_agent_name(agent_name)
        access = await ProjectService(self.session).access(actor, project_slug, write=True)
        if access.role.rank < Role.MEMBER.rank and access.agent_name != agent_name:
            raise Forbidden(f"you may not issue tokens for agent {agent_name}")
        if not user.is_admin:
            member = await self.session.get(Member, (access.project.id, user.id))
            if member is None or not may_act_as_agent(member, agent_name):
                raise Forbidden(f"{user.email} may not act as agent {agent_name}")
        await RosterService(self.session).get(actor, project_slug, agent_name)
        return access.project

    def issue(
        self,
        user: User,
        *,
        kind: str,
        hours: float,
        name: str | None,
        scopes: list[str] | None = None,
        project_id: int | None = None,
        agent_name: str | None = None,
    ) -> IssuedCredential:
        token = new_token()
        record = AuthSession(
            user_id=user.id,
            token_hash=hash_token(token),
            hint=token_hint(token),
            kind=kind,
            name=name,
            scopes=scopes or sorted(ALL_SCOPES),
            project_id=project_id,
            agent_name=agent_name,
            expires_at=utcnow() + timedelta(hours=hours),
        )
        self.session.add(record)
        return IssuedCredential(token=token, record=record)

    async def list_tokens(
        self,
        actor: Actor,
        *,
        user_id: int | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[AuthSession]:
        """API tokens: one's own; an admin sees anyone's (everyone's when ``user_id`` is None)."""
        actor.require_person()
        after = decode_cursor(cursor)
        query = (
            select(AuthSession)
            .where(AuthSession.kind.in_(("api", CREW_KIND)))
            .order_by(AuthSession.id)
            .limit(check_limit(limit) + 1)
        )
        if not actor.is_admin:
            if user_id is not None and user_id != actor.user_id:
                raise NotFound("user not found")
            query = query.where(AuthSession.user_id == actor.user_id)
        elif user_id is not None:
            query = query.where(AuthSession.user_id == user_id)
        if after is not None:
            query = query.where(AuthSession.id > after)
        rows = (await self.session.scalars(query)).all()
        return page_of(rows, limit, lambda t: t.id)

    async def list_web_sessions(self, actor: Actor) -> list[AuthSession]:
        """One's own web logins still open (not revoked, not expired), newest first."""
        actor.require_person()
        query = (
            select(AuthSession)
            .where(
                AuthSession.kind == "web",
                AuthSession.user_id == actor.user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > utcnow(),
            )
            .order_by(AuthSession.id.desc())
            .limit(MAX_LIMIT)
        )
        return list((await self.session.scalars(query)).all())

    async def revoke_token(self, actor: Actor, token_id: int) -> None:
        """Revoke a token (its owner or an admin)."""
        actor.require_person()
        actor.require_write()
        await self._revoke(actor, token_id)

    async def _revoke(self, actor: Actor, session_id: int) -> None:
        cred = await self.session.get(AuthSession, session_id)
        if cred is None or (not actor.is_admin and cred.user_id != actor.user_id):
            raise NotFound("token not found")
        if cred.revoked_at is not None:
            return
        cred.revoked_at = utcnow()
        if cred.kind == CREW_KIND:
            # Every agent token it was exchanged for ends with it, in the same transaction.
            await self.session.execute(
                update(AuthSession)
                .where(AuthSession.parent_id == cred.id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=cred.revoked_at)
            )
        record_event(
            self.session,
            actor,
            "token.revoked",
            f"token:{cred.id}",
            # Whose streams must re-check (services/live/bus.py).
            {"kind": cred.kind, "user_id": cred.user_id},
            project_id=cred.project_id,
        )
        await self.session.flush()

    # -- first admin ----------------------------------------------------------------------

    async def issue_setup_secret(self) -> str | None:
        """On an instance with no users, a fresh one-time secret (older ones stop working)."""
        if await UserService(self.session).count() > 0:
            return None
        await self.session.execute(delete(SetupSecret))
        secret = new_token(SETUP_PREFIX)
        expires = utcnow() + timedelta(minutes=self.settings.setup_secret_minutes)
        self.session.add(SetupSecret(secret_hash=hash_token(secret), expires_at=expires))
        await self.session.flush()
        return secret

    async def complete_setup(
        self, secret: str, *, email: str, name: str | None, password: str
    ) -> User:
        """Create the first admin with the setup secret; works once, on an empty instance."""
        record = await self.session.scalar(
            select(SetupSecret)
            .where(SetupSecret.secret_hash == hash_token(secret))
            .with_for_update()  # two concurrent setups: the second sees it used
        )
        if record is None or record.used_at is not None or record.expires_at <= utcnow():
            raise Unauthenticated("invalid or expired setup secret", code="bad-setup-secret")
        if await UserService(self.session).count() > 0:
            raise Conflict("this instance is already set up", code="already-set-up")
        record.used_at = utcnow()
        setup = Actor(user_id=None, label="setup", is_admin=True, is_system=True)
        return await UserService(self.session, self.settings).create(
            setup, email=check_email(email), name=name, password=password, is_admin=True
        )
