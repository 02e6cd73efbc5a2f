"""Who is looking at a page, and the CSRF check of every form post.

The dashboard reads the web-session cookie only (never a bearer header), through the edge's
one credential reader (``edge.credentials.WEB``). A form post must carry ``csrf_token``,
derived from the session secret (``csrf_token_for``, the same value the API expects in
``X-CSRF-Token``). The login form, which comes before any session, uses a double-submit
cookie instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.edge.credentials import WEB, require_credential
from crewboard.edge.csrf import CSRF_FIELD, check_form_csrf, form_field
from crewboard.edge.deps import SessionDep, settings_of, writes
from crewboard.edge.resolve import resolve_actor
from crewboard.services.accounts import csrf_token_for, same_secret
from crewboard.services.core import Actor, Forbidden

LOGIN_CSRF_COOKIE = "crewboard_login_csrf"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind a page request, with what its forms need."""

    actor: Actor
    csrf: str
    session: AsyncSession
    settings: Settings


async def _viewer(request: Request, session: SessionDep) -> Viewer:
    credential = require_credential(request, WEB)
    write = writes(request)
    if write:
        # Checked before the credential, so a forged post learns nothing and changes nothing.
        await check_form_csrf(request, credential)
    settings = settings_of(request)
    actor = await resolve_actor(
        session,
        settings,
        credential,
        WEB,
        write=write,
        budgets=request.app.state.budgets,
        slug=request.path_params.get("slug"),
    )
    return Viewer(actor, csrf_token_for(credential.token), session, settings)


ViewerDep = Annotated[Viewer, Depends(_viewer)]


def new_login_csrf() -> str:
    """A fresh secret for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)


async def check_login_csrf(request: Request) -> None:
    """The login form's token must match its cookie (a cross-site page can set neither)."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = await form_field(request, CSRF_FIELD)
    if not cookie or not sent or not same_secret(cookie, sent):
        raise Forbidden("missing or wrong CSRF token; reload the login page", code="csrf")
