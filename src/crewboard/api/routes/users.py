"""Users: admin management, and one's own profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from crewboard.edge.deps import ActorDep, SessionDep, SettingsDep
from crewboard.schemas.common import Cursor, Limit, Page
from crewboard.schemas.users import ProfileUpdate, Unlocked, UserCreate, UserRead, UserUpdate
from crewboard.services.accounts import UserService

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("")
async def list_users(
    actor: ActorDep,
    session: SessionDep,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[UserRead]:
    """Every user (admins)."""
    page = await UserService(session).list(actor, cursor=cursor, limit=limit)
    return Page[UserRead](
        items=[UserRead.model_validate(u) for u in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> UserRead:
    """Create a user (admins)."""
    user = await UserService(session, settings).create(
        actor, email=body.email, name=body.name, password=body.password, is_admin=body.is_admin
    )
    return UserRead.model_validate(user)


@router.get("/me")
async def get_profile(actor: ActorDep, session: SessionDep) -> UserRead:
    """One's own user."""
    return UserRead.model_validate(await UserService(session).get(actor, actor.user_id or 0))


@router.patch("/me")
async def update_profile(
    body: ProfileUpdate,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> UserRead:
    """Change one's own name or password. A password change needs ``current_password``
    (wrong guesses count against the login limits: 429 once reached), ends one's other web
    sessions and, with ``revoke_tokens: true``, revokes one's API tokens but the one in use."""
    user = await UserService(session, settings).update_profile(
        actor,
        name=body.name,
        current_password=body.current_password,
        new_password=body.new_password,
        revoke_tokens=body.revoke_tokens,
        client=request.client.host if request.client else "unknown",
    )
    return UserRead.model_validate(user)


@router.delete("/{user_id}/login-failures")
async def unlock_user(
    user_id: UserId, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> Unlocked:
    """Forget a user's failed password attempts, so guessers no longer keep them out
    (admins)."""
    cleared = await UserService(session, settings).unlock(actor, user_id)
    return Unlocked(failures_cleared=cleared)


@router.get("/{user_id}")
async def get_user(user_id: UserId, actor: ActorDep, session: SessionDep) -> UserRead:
    """A user (admins, or oneself)."""
    return UserRead.model_validate(await UserService(session).get(actor, user_id))


@router.patch("/{user_id}")
async def update_user(
    user_id: UserId, body: UserUpdate, actor: ActorDep, session: SessionDep
) -> UserRead:
    """Rename, promote, demote, disable or enable a user (admins)."""
    user = await UserService(session).update(
        actor, user_id, name=body.name, is_admin=body.is_admin, disabled=body.disabled
    )
    return UserRead.model_validate(user)
