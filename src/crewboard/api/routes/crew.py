"""A crew credential exchanged for an agent token (the stdio relay of each teammate)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from crewboard.edge.credentials import REST, require_credential
from crewboard.edge.deps import SessionDep, SettingsDep
from crewboard.schemas.tokens import CrewExchange, TokenIssued, TokenRead
from crewboard.services.accounts import CrewService

router = APIRouter(prefix="/crew", tags=["tokens"])


@router.post("/exchange")
async def exchange(
    body: CrewExchange, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenIssued:
    """``Authorization: Bearer <crew credential>``: a short-lived token of one roster agent the
    credential's person may act as (an event names both); refused for any other credential."""
    credential = require_credential(request, REST)
    issued = await CrewService(session, settings).exchange(
        credential.token, body.agent, minutes=body.minutes
    )
    return TokenIssued(**TokenRead.model_validate(issued.record).model_dump(), token=issued.token)
