"""A crew credential exchanged for an agent token (the stdio relay of each teammate)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from crewboard.edge.credentials import Accepts, require_credential
from crewboard.edge.deps import SessionDep, SettingsDep
from crewboard.schemas.tokens import CrewExchange, TokenIssued, TokenRead
from crewboard.services.accounts import CrewService

router = APIRouter(prefix="/crew", tags=["tokens"])
# A crew credential is a bearer token and nothing else: a web session cookie is never one
# (so there is no cookie write here for a cross-site page to forge).
CREW_BEARER = Accepts(
    bearer=True, cookie=False, missing="send 'Authorization: Bearer <crew credential>'"
)


@router.post("/exchange")
async def exchange(
    body: CrewExchange, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenIssued:
    """``Authorization: Bearer <crew credential>``: a short-lived token of one roster agent the
    credential's person may act as (an event names both); refused for any other credential."""
    credential = require_credential(request, CREW_BEARER)
    issued = await CrewService(session, settings).exchange(
        credential.token, body.agent, minutes=body.minutes
    )
    return TokenIssued(**TokenRead.model_validate(issued.record).model_dump(), token=issued.token)
