"""Log in, log out, and the project list at ``/``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

from crewboard.edge.credentials import SESSION_COOKIE
from crewboard.edge.csrf import CSRF_FIELD
from crewboard.edge.deps import SessionDep, SettingsDep
from crewboard.services.accounts import AuthService
from crewboard.services.core import EMAIL_MAX, SLUG_MAX, Unauthenticated
from crewboard.services.projects import ProjectService
from crewboard.web.auth import LOGIN_CSRF_COOKIE, ViewerDep, check_login_csrf, new_login_csrf
from crewboard.web.context import base_context
from crewboard.web.render import page, redirect
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# Generous on purpose: a longer password than the service allows is a failed login, not a 422.
PASSWORD_MAX = 1024


def safe_next(value: str) -> str:
    """Where to go after logging in: a path of this site only (no open redirect)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_page(
    request: Request, next_url: str, error: str | None, status: int, email: str = ""
) -> Response:
    token = new_login_csrf()
    context = {"csrf": token, "csrf_field": CSRF_FIELD, "next": next_url, "error": error}
    response = page(request, "login.html", {**context, "email": email}, status=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=request.app.state.settings.cookie_secure,
    )
    return response


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    """The login form."""
    return _login_page(request, safe_next(next), None, 200)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=EMAIL_MAX)],
    password: Annotated[str, Form(max_length=PASSWORD_MAX)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password, open a web session (HttpOnly, SameSite=Lax cookie), go on."""
    await check_login_csrf(request)
    client = request.client.host if request.client else "unknown"
    try:
        issued, _ = await AuthService(session, settings).login(email, password, client)
    except Unauthenticated as exc:
        # The refused attempt is still committed (it counts for throttling): no re-raise.
        # The e-mail stays filled in: only the password was wrong (or the account locked).
        return _login_page(request, safe_next(next), exc.message, 401, email)
    response = redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.web_session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(viewer: ViewerDep) -> Response:
    """End this web session."""
    await AuthService(viewer.session, viewer.settings).logout(viewer.actor)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/go")
async def switch_project(
    viewer: ViewerDep, project: Annotated[str, Query(max_length=SLUG_MAX)]
) -> Response:
    """The project switcher's target (a plain GET form, so it works without JS)."""
    slug = (await ProjectService(viewer.session).access(viewer.actor, project)).project.slug
    return redirect(f"/p/{slug}")


@router.get("/")
async def home(request: Request, viewer: ViewerDep) -> Response:
    """The projects this person can open."""
    return page(request, "projects.html", await base_context(viewer))
