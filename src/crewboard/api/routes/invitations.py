"""One's own invitations to projects: list, accept, decline (docs/security.md, membership)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from crewboard.api.routes.projects import invitation_read, member_read
from crewboard.edge.deps import ActorDep, SessionDep
from crewboard.schemas.projects import InvitationRead, MemberRead
from crewboard.services.projects import InvitationService

router = APIRouter(prefix="/invitations", tags=["projects"])
InvitationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("")
async def list_my_invitations(actor: ActorDep, session: SessionDep) -> list[InvitationRead]:
    """The open invitations to your e-mail address, newest first."""
    return [invitation_read(v) for v in await InvitationService(session).mine(actor)]


@router.post("/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: InvitationId, actor: ActorDep, session: SessionDep
) -> MemberRead:
    """Join the project in the offered role."""
    return member_read(await InvitationService(session).accept(actor, invitation_id))


@router.delete("/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def decline_invitation(
    invitation_id: InvitationId, actor: ActorDep, session: SessionDep
) -> None:
    """Say no to an invitation."""
    await InvitationService(session).decline(actor, invitation_id)
