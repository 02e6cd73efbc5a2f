"""API tokens: issue (shown once), list, revoke."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.edge.deps import ActorDep, SessionDep, SettingsDep
from crewboard.schemas.common import Cursor, Limit, Page
from crewboard.schemas.tokens import TokenCreate, TokenIssued, TokenRead
from crewboard.services.accounts import AuthService, CrewService
from crewboard.services.core import Invalid

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_token(
    body: TokenCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> TokenIssued:
    """Issue a token for yourself (admins: for anyone), optionally bound to a project's agent;
    with ``crew``, a crew credential of ``project`` for yourself (members and owners)."""
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    if body.crew:
        if body.agent_name is not None or body.user_id is not None or body.read_only:
            raise Invalid("a crew credential is yours, names no agent and may write", field="crew")
        if body.project is None:
            raise Invalid("a crew credential names its project", field="project")
        crew = await CrewService(session, settings).create(
            actor, body.project, expires_in=lifetime, name=body.name
        )
        return TokenIssued(**TokenRead.model_validate(crew.record).model_dump(), token=crew.token)
    issued = await AuthService(session, settings).create_token(
        actor,
        user_id=body.user_id,
        project_slug=body.project,
        agent_name=body.agent_name,
        expires_in=lifetime,
        name=body.name,
        read_only=body.read_only,
    )
    read = TokenRead.model_validate(issued.record)
    return TokenIssued(**read.model_dump(), token=issued.token)


@router.get("")
async def list_tokens(
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[TokenRead]:
    """Your tokens (admins: anyone's with ``user_id``, or all)."""
    page = await AuthService(session, settings).list_tokens(
        actor, user_id=user_id, cursor=cursor, limit=limit
    )
    return Page[TokenRead](
        items=[TokenRead.model_validate(t) for t in page.items], next_cursor=page.next_cursor
    )


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    """Revoke a token (its owner or an admin); revoking twice is harmless."""
    await AuthService(session, settings).revoke_token(actor, token_id)
