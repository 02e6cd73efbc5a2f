"""UserService: people, their profiles, and the admin's user management."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import AuthSession, User, utcnow
from crewboard.services.accounts.credentials import hash_password, verify_password
from crewboard.services.accounts.throttle import LoginThrottle, clear_failures
from crewboard.services.core import (
    NAME_MAX,
    Actor,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    check_email,
    check_limit,
    check_password,
    check_text,
    decode_cursor,
    page_of,
    record_event,
)


class UserService:
    """User CRUD for admins, profile changes for everyone.

    ``settings`` give the password hashing cost; without them, production's."""

    def __init__(self, session: AsyncSession, settings: Settings | None = None) -> None:
        self.session = session
        self.settings = settings

    async def create(
        self,
        actor: Actor,
        *,
        email: str,
        name: str | None = None,
        password: str | None = None,
        is_admin: bool = False,
    ) -> User:
        """Create a person (admins only). Without a password the user signs in by token only."""
        actor.require_admin()
        actor.require_write()
        return await self._insert(actor, email=email, name=name, password=password, admin=is_admin)

    async def _insert(
        self, actor: Actor, *, email: str, name: str | None, password: str | None, admin: bool
    ) -> User:
        email = check_email(email)
        display = check_text(name if name is not None else email.split("@")[0], "name", NAME_MAX)
        if await self._find(email) is not None:
            raise Conflict(f"a user with e-mail {email} exists", code="duplicate")
        pw_hash = (
            await hash_password(check_password(password), self.settings)
            if password is not None
            else None
        )
        user = User(email=email, name=display, password_hash=pw_hash, is_admin=admin)
        self.session.add(user)
        await self.session.flush()
        record_event(
            self.session, actor, "user.created", f"user:{user.id}", {"email": email, "admin": admin}
        )
        return user

    async def _find(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def get(self, actor: Actor, user_id: int) -> User:
        """A user by id: admins see everyone, people see themselves."""
        if not actor.is_admin and actor.user_id != user_id:
            raise NotFound("user not found")
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound("user not found")
        return user

    async def by_email(self, actor: Actor, email: str) -> User:
        """A user by e-mail (admins only)."""
        actor.require_admin()
        user = await self._find(check_email(email))
        if user is None:
            raise NotFound(f"no user with e-mail {email.strip().lower()}")
        return user

    async def list(self, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> Page[User]:
        """Every user, oldest first (admins only)."""
        actor.require_admin()
        after = decode_cursor(cursor)
        query = select(User).order_by(User.id).limit(check_limit(limit) + 1)
        if after is not None:
            query = query.where(User.id > after)
        rows = (await self.session.scalars(query)).all()
        return page_of(rows, limit, lambda u: u.id)

    async def update(
        self,
        actor: Actor,
        user_id: int,
        *,
        name: str | None = None,
        is_admin: bool | None = None,
        disabled: bool | None = None,
    ) -> User:
        """Rename, promote/demote, disable/enable a user (admins only); never the last admin."""
        actor.require_admin()
        actor.require_write()
        user = await self.get(actor, user_id)
        changes: dict[str, object] = {}
        if name is not None:
            user.name = check_text(name, "name", NAME_MAX)
            changes["name"] = user.name
        loses_admin = user.is_admin and (is_admin is False or (disabled and not user.disabled_at))
        if loses_admin:
            await self._keep_an_admin(user)
        if is_admin is not None and is_admin != user.is_admin:
            user.is_admin = is_admin
            changes["admin"] = is_admin
        if disabled is not None and disabled != (user.disabled_at is not None):
            user.disabled_at = utcnow() if disabled else None
            changes["disabled"] = disabled
        if changes:
            record_event(self.session, actor, "user.updated", f"user:{user.id}", changes)
        await self.session.flush()
        return user

    async def set_password(self, actor: Actor, user_id: int, password: str) -> User:
        """Set a user's password without the current one (admins only: a locked-out person)."""
        actor.require_admin()
        actor.require_write()
        user = await self.get(actor, user_id)
        user.password_hash = await hash_password(check_password(password), self.settings)
        ended = await self._end_web_sessions(user.id, keep=None)
        # A person locked out by guessers gets back in with the new password at once.
        await clear_failures(self.session, user.email)
        record_event(
            self.session,
            actor,
            "user.updated",
            f"user:{user.id}",
            {"fields": ["password"], "sessions_ended": ended},
        )
        await self.session.flush()
        return user

    async def _check_current(self, user: User, password: str, client: str) -> None:
        """The current password, throttled as a login is; a wrong one is counted."""
        if user.password_hash is None:
            return
        throttle = LoginThrottle(self.session, self.settings or Settings())
        now = utcnow()
        await throttle.check(user.email, client, now)
        if not await verify_password(user.password_hash, password, self.settings):
            throttle.record(user.email, client, now, succeeded=False)
            error = Invalid("the current password is wrong", field="current_password")
            error.keep_changes = True
            raise error

    async def unlock(self, actor: Actor, user_id: int) -> int:
        """Forget a person's failed password attempts (admins: someone kept out by guessers);
        how many were forgotten."""
        actor.require_admin()
        actor.require_write()
        user = await self.get(actor, user_id)
        cleared = await clear_failures(self.session, user.email)
        record_event(
            self.session, actor, "user.unlocked", f"user:{user.id}", {"failures_cleared": cleared}
        )
        await self.session.flush()
        return cleared

    async def _end_web_sessions(self, user_id: int, *, keep: int | None) -> int:
        """Revoke the user's open web sessions but ``keep``; how many ended."""
        return await self._revoke_kinds(user_id, ("web",), keep)

    async def _revoke_tokens(self, user_id: int, *, keep: int | None) -> int:
        """Revoke the user's API tokens and crew credentials but ``keep``; how many."""
        return await self._revoke_kinds(user_id, ("api", "crew"), keep)

    async def _revoke_kinds(self, user_id: int, kinds: tuple[str, ...], keep: int | None) -> int:
        query = (
            update(AuthSession)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.kind.in_(kinds),
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        if keep is not None:
            query = query.where(AuthSession.id != keep)
        result = await self.session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)

    async def _keep_an_admin(self, user: User) -> None:
        # Lock the admin rows (PostgreSQL) so two admins cannot demote each other at once;
        # SQLite write transactions are already serialised by BEGIN IMMEDIATE.
        others = await self.session.scalars(
            select(User.id)
            .where(User.is_admin.is_(True), User.disabled_at.is_(None), User.id != user.id)
            .with_for_update()
        )
        if not others.first():
            raise Conflict("this is the last active admin", code="last-admin")

    async def update_profile(
        self,
        actor: Actor,
        *,
        name: str | None = None,
        current_password: str | None = None,
        new_password: str | None = None,
        revoke_tokens: bool = False,
        client: str = "unknown",
    ) -> User:
        """Change one's own name or password. A password change needs the current one, which
        is a guess like a login's: counted and throttled with them from ``client``. It ends
        the person's other web sessions and, with ``revoke_tokens``, their API tokens but
        the one in use."""
        actor.require_person()
        actor.require_write()
        if actor.user_id is None:
            raise Forbidden("only a person has a profile")
        user = await self.get(actor, actor.user_id)
        if revoke_tokens and new_password is None:
            raise Invalid("revoke_tokens goes with a new password", field="revoke_tokens")
        if new_password is not None:
            # First: a refused guess is kept (counted) and nothing else may be.
            await self._check_current(user, current_password or "", client)
        changes: list[str] = []
        if name is not None:
            user.name = check_text(name, "name", NAME_MAX)
            changes.append("name")
        tokens_revoked = 0
        if new_password is not None:
            user.password_hash = await hash_password(check_password(new_password), self.settings)
            changes.append("password")
            # Whoever knew the old password may be logged in elsewhere: those sessions end,
            # the one making the change goes on (tokens stay; /account revokes them).
            ended = await self._end_web_sessions(user.id, keep=actor.session_id)
            if revoke_tokens:
                tokens_revoked = await self._revoke_tokens(user.id, keep=actor.session_id)
        if changes:
            data: dict[str, object] = {"fields": changes}
            if "password" in changes:
                data["sessions_ended"] = ended
                if revoke_tokens:
                    data["tokens_revoked"] = tokens_revoked
            record_event(self.session, actor, "user.updated", f"user:{user.id}", data)
        await self.session.flush()
        return user

    async def sole_admin(self, actor: Actor) -> User | None:
        """The instance's only active admin, or None when there are none or several
        (admins only)."""
        actor.require_admin()
        admins = (
            await self.session.scalars(
                select(User)
                .where(User.is_admin.is_(True), User.disabled_at.is_(None))
                .order_by(User.id)
                .limit(2)
            )
        ).all()
        return admins[0] if len(admins) == 1 else None

    async def count(self) -> int:
        """How many users exist (0 means the instance still needs its first admin)."""
        return int(await self.session.scalar(select(func.count()).select_from(User)) or 0)
