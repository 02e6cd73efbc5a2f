"""People and credentials: users, authentication, tokens and sessions.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.accounts.auth import Authenticated, AuthService
    from crewboard.services.accounts.credentials import csrf_token_for, same_secret
    from crewboard.services.accounts.crew import CREW_PREFIX, CrewService
    from crewboard.services.accounts.users import UserService

EXPORTS = {
    "CREW_PREFIX": "crew",
    "CrewService": "crew",
    "Authenticated": "auth",
    "AuthService": "auth",
    "UserService": "users",
    "csrf_token_for": "credentials",
    "same_secret": "credentials",
}
__all__ = [
    "CREW_PREFIX",
    "AuthService",
    "Authenticated",
    "CrewService",
    "UserService",
    "csrf_token_for",
    "same_secret",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
