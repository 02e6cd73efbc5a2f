"""Who is looking at a page, and the CSRF check of every form post.

The dashboard authenticates with the web-session cookie only (never a bearer header).
A form post must carry ``csrf_token``, derived from the session secret
(``csrf_token_for``, the same value the API expects in ``X-CSRF-Token``). The login form,
which comes before any session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.edge.auth import PENDING_TOUCH, SAFE_METHODS, SESSION_COOKIE
from crewboard.edge.deps import SessionDep
from crewboard.services.accounts import AuthService, csrf_token_for, same_secret
from crewboard.services.core import Actor, Forbidden, Unauthenticated

CSRF_FIELD = "csrf_token"
LOGIN_CSRF_COOKIE = "crewboard_login_csrf"
_MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind a page request, with what its forms need."""

    actor: Actor
    csrf: str
    session: AsyncSession
    settings: Settings


def session_cookie(request: Request) -> str | None:
    """The web-session secret, if a sane one was sent."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    return token


async def form_field(request: Request, name: str) -> str:
    """One text field of a posted form ('' when absent)."""
    form = await request.form()
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _viewer(request: Request, session: SessionDep) -> Viewer:
    token = session_cookie(request)
    if token is None:
        raise Unauthenticated("log in first", code="unauthenticated")
    csrf = csrf_token_for(token)
    if request.method not in SAFE_METHODS:
        # Checked before the credential, so a forged post learns nothing and changes nothing.
        sent = await form_field(request, CSRF_FIELD)
        if not sent or not same_secret(sent, csrf):
            raise Forbidden("missing or wrong CSRF token", code="csrf")
    settings: Settings = request.app.state.settings
    auth = AuthService(session, settings)
    result = await auth.authenticate(token)
    if result.needs_touch and result.actor.session_id is not None:
        if request.method in SAFE_METHODS:
            session.info[PENDING_TOUCH] = result.actor.session_id  # written after the read
        else:
            await auth.touch(result.actor.session_id)
    if result.kind != "web":  # an API token pasted into the cookie is not a web login
        raise Unauthenticated("log in first", code="unauthenticated")
    return Viewer(result.actor, csrf, session, settings)


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
