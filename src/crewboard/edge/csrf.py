"""CSRF checks of cookie-authenticated changes: the ``X-CSRF-Token`` header on REST, the
``csrf_token`` form field on the dashboard. Both carry the value derived from the session
secret (``csrf_token_for``), which only whoever holds the cookie can compute."""

from __future__ import annotations

from starlette.requests import Request

from crewboard.edge.credentials import Credential
from crewboard.services.accounts import csrf_token_for, same_secret
from crewboard.services.core import Forbidden

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def check_csrf(sent: str, expected: str) -> None:
    """Refuse a change whose CSRF token is missing or wrong."""
    if not sent or not same_secret(sent, expected):
        raise Forbidden("missing or wrong CSRF token", code="csrf")


def check_header_csrf(request: Request, credential: Credential) -> None:
    """REST: a cookie-authenticated change must send the token in ``X-CSRF-Token``
    (a bearer token is never sent by a browser on its own, so it needs none)."""
    if credential.from_cookie:
        check_csrf(request.headers.get(CSRF_HEADER, ""), csrf_token_for(credential.token))


async def form_field(request: Request, name: str) -> str:
    """One text field of a posted form ('' when absent)."""
    form = await request.form()
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def check_form_csrf(request: Request, credential: Credential) -> None:
    """The dashboard: a form post must carry ``csrf_token``."""
    check_csrf(await form_field(request, CSRF_FIELD), csrf_token_for(credential.token))
