"""Authentication at the edge: credential from the Authorization header or the session cookie,
and CSRF protection for cookie-authenticated changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.database import Database
from crewboard.services.accounts import AuthService, csrf_token_for, same_secret
from crewboard.services.core import Actor, Forbidden, Unauthenticated, unit_of_work

logger = logging.getLogger(__name__)

SESSION_COOKIE = "crewboard_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Credential:
    """A presented secret and where it came from."""

    token: str
    from_cookie: bool


def read_credential(request: Request) -> Credential | None:
    """The bearer token, else the session cookie, else None. A malformed header is an error."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("use 'Authorization: Bearer <token>'", code="bad-auth-header")
        if len(token) > _MAX_TOKEN_LENGTH:
            raise Unauthenticated("invalid credential", code="invalid-token")
        return Credential(token, from_cookie=False)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        if len(cookie) > _MAX_TOKEN_LENGTH:
            raise Unauthenticated("invalid credential", code="invalid-token")
        return Credential(cookie, from_cookie=True)
    return None


PENDING_TOUCH = "crewboard_pending_touch"


async def resolve_actor(request: Request, credential: Credential, session: AsyncSession) -> Actor:
    """Authenticate within the request's transaction, recording last use when it is stale.

    A write request records it in its own transaction. A read leaves it for
    ``record_last_use``, run once the read's own connection is back in the pool: taking a
    second connection while holding the first would exhaust the pool under many readers.
    """
    settings = request.app.state.settings
    result = await AuthService(session, settings).authenticate(credential.token)
    if result.needs_touch and result.actor.session_id is not None:
        if request.method in SAFE_METHODS:
            # On the session (per request), not request.state (the lifespan state is shared).
            session.info[PENDING_TOUCH] = result.actor.session_id
        else:
            await AuthService(session, settings).touch(result.actor.session_id)
    if credential.from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same_secret(sent, csrf_token_for(credential.token)):
            raise Forbidden("missing or wrong CSRF token", code="csrf")
    return result.actor


async def record_last_use(request: Request, database: Database, session: AsyncSession) -> None:
    """The deferred last-use write of a read request, if ``resolve_actor`` left one on the
    session; a failure is logged, not raised (the read itself succeeded, and last use is
    bookkeeping)."""
    session_id: int | None = session.info.pop(PENDING_TOUCH, None)
    if session_id is None:
        return
    try:
        async with unit_of_work(database, write=True) as session:
            await AuthService(session, request.app.state.settings).touch(session_id)
    except SQLAlchemyError as exc:
        logger.warning("could not record the last use of credential %d: %s", session_id, exc)
