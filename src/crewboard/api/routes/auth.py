"""First-admin setup, login, logout and "who am I"."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from crewboard.edge.credentials import SESSION_COOKIE, read_credential
from crewboard.edge.deps import ActorDep, SessionDep, SettingsDep
from crewboard.schemas.users import (
    LoginRequest,
    LoginResult,
    MeRead,
    SetupRequest,
    UserRead,
)
from crewboard.services.accounts import AuthService, UserService, csrf_token_for

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/setup", status_code=status.HTTP_201_CREATED)
async def setup(body: SetupRequest, session: SessionDep, settings: SettingsDep) -> UserRead:
    """Create the first admin with the one-time secret ``crewboard serve`` printed."""
    user = await AuthService(session, settings).complete_setup(
        body.setup_secret, email=body.email, name=body.name, password=body.password
    )
    return UserRead.model_validate(user)


@router.post("/login")
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> LoginResult:
    """Open a web session: sets an HttpOnly cookie and returns the CSRF token for changes."""
    client = request.client.host if request.client else "unknown"
    issued, user = await AuthService(session, settings).login(body.email, body.password, client)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.web_session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return LoginResult(
        user=UserRead.model_validate(user),
        csrf_token=csrf_token_for(issued.token),
        expires_at=issued.record.expires_at,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    actor: ActorDep, response: Response, session: SessionDep, settings: SettingsDep
) -> None:
    """Revoke the credential used for this request (a web session or a token)."""
    await AuthService(session, settings).logout(actor)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me")
async def me(actor: ActorDep, request: Request, session: SessionDep) -> MeRead:
    """The person, and the agent and project if this is an agent token."""
    user = await UserService(session).get(actor, actor.user_id or 0)
    credential = read_credential(request)
    csrf = csrf_token_for(credential.token) if credential and credential.from_cookie else None
    return MeRead(
        user=UserRead.model_validate(user),
        kind="agent" if actor.is_agent else "user",
        project=actor.project_slug,
        agent_name=actor.agent_name,
        scopes=sorted(actor.scopes),
        csrf_token=csrf,
    )
