"""Invitations on the web: an owner's pending ones (withdraw) on a project's settings page,
one's own (accept, decline) on the account page; each a call of InvitationService, as REST."""

from __future__ import annotations

from fastapi import APIRouter, Response

from crewboard.services.projects import InvitationService
from crewboard.web.auth import ViewerDep
from crewboard.web.pages.admin import Id
from crewboard.web.pages.board import Slug
from crewboard.web.render import redirect
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/account/invitations/{invitation_id}/accept")
async def accept(viewer: ViewerDep, invitation_id: Id) -> Response:
    """Join the project in the offered role, and go there."""
    joined = await InvitationService(viewer.session).accept(viewer.actor, invitation_id)
    slug = await InvitationService(viewer.session).slug_of(joined.member.project_id)
    return redirect(f"/p/{slug}")


@router.post("/account/invitations/{invitation_id}/decline")
async def decline(viewer: ViewerDep, invitation_id: Id) -> Response:
    """Say no to an invitation."""
    await InvitationService(viewer.session).decline(viewer.actor, invitation_id)
    return redirect("/account")


@router.post("/p/{slug}/settings/invitations/{invitation_id}/withdraw")
async def withdraw(viewer: ViewerDep, slug: Slug, invitation_id: Id) -> Response:
    """Take an invitation back (owners)."""
    await InvitationService(viewer.session).withdraw(viewer.actor, slug, invitation_id)
    return redirect(f"/p/{slug}/settings#members")
