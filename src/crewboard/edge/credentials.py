"""Reading a credential: what each face accepts, where the secret comes from, and the
refusals every face answers with the same codes (no database here)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from crewboard.services.accounts import Authenticated
from crewboard.services.core import Unauthenticated

SESSION_COOKIE = "crewboard_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Credential:
    """A presented secret and where it came from."""

    token: str
    from_cookie: bool


@dataclass(frozen=True, slots=True)
class Accepts:
    """What one face accepts: the sources it reads, the kind of credential it admits, and
    what it says when there is none."""

    bearer: bool
    cookie: bool
    missing: str
    agent_only: bool = False  # MCP: the token fixes the project and the agent name
    web_only: bool = False  # the dashboard: an API token pasted into the cookie is no login

    def admit(self, result: Authenticated) -> None:
        """Refuse a valid credential of a kind this face does not take."""
        if self.agent_only and not result.actor.is_agent:
            raise Unauthenticated(
                "the MCP endpoint takes an agent token (crewboard token create --agent NAME)",
                code="agent-token-required",
            )
        if self.web_only and result.kind != "web":
            raise Unauthenticated(self.missing, code="unauthenticated")


REST = Accepts(bearer=True, cookie=True, missing="authentication required")
MCP = Accepts(
    bearer=True, cookie=False, missing="send 'Authorization: Bearer <agent token>'", agent_only=True
)
WEB = Accepts(bearer=False, cookie=True, missing="log in first", web_only=True)


def _checked(token: str) -> str:
    if len(token) > MAX_TOKEN_LENGTH:  # never hashed nor looked up: no token is this long
        raise Unauthenticated("invalid credential", code="invalid-token")
    return token


def read_credential(conn: HTTPConnection, accepts: Accepts = REST) -> Credential | None:
    """The bearer token, else the session cookie (as ``accepts`` allows), else None.

    A malformed Authorization header or an oversized secret is an error, not an absence.
    """
    if accepts.bearer:
        header = conn.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("use 'Authorization: Bearer <token>'", code="bad-auth-header")
            return Credential(_checked(token), from_cookie=False)
    if accepts.cookie:
        cookie = conn.cookies.get(SESSION_COOKIE)
        if cookie:
            return Credential(_checked(cookie), from_cookie=True)
    return None


def require_credential(conn: HTTPConnection, accepts: Accepts = REST) -> Credential:
    """The credential ``accepts`` allows; none at all is ``unauthenticated``."""
    credential = read_credential(conn, accepts)
    if credential is None:
        raise Unauthenticated(accepts.missing, code="unauthenticated")
    return credential
