"""Schemas for users, login and setup."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, StringConstraints

from crewboard.schemas.common import DisplayName, RequestModel, ResponseModel
from crewboard.services.core import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, SETUP_SECRET_MAX

Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
# Login takes any string up to the maximum so that a wrong-length password is just "wrong".
LoginPassword = Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class UserRead(ResponseModel):
    """A person as the API shows them (never the password hash)."""

    id: int
    email: str
    name: str
    is_admin: bool
    created_at: datetime
    disabled_at: datetime | None


class UserCreate(RequestModel):
    """Create a user (admins)."""

    email: EmailStr
    name: DisplayName | None = None
    password: Password | None = None
    is_admin: bool = False


class UserUpdate(RequestModel):
    """Change a user (admins)."""

    name: DisplayName | None = None
    is_admin: bool | None = None
    disabled: bool | None = None


class ProfileUpdate(RequestModel):
    """Change one's own profile."""

    name: DisplayName | None = None
    current_password: LoginPassword | None = None
    new_password: Password | None = None
    revoke_tokens: bool = False


class Unlocked(ResponseModel):
    """How many failed password attempts an unlock forgot."""

    failures_cleared: int


class LoginRequest(RequestModel):
    """E-mail and password."""

    email: Annotated[str, StringConstraints(min_length=3, max_length=EMAIL_MAX)]
    password: LoginPassword


class SetupRequest(RequestModel):
    """The first admin, created with the setup secret the server printed."""

    setup_secret: Annotated[str, StringConstraints(min_length=1, max_length=SETUP_SECRET_MAX)]
    email: EmailStr
    name: DisplayName | None = None
    password: Password


class LoginResult(ResponseModel):
    """A web session was opened; the cookie carries it, the CSRF token goes in X-CSRF-Token."""

    user: UserRead
    csrf_token: str
    expires_at: datetime


class MeRead(ResponseModel):
    """Who the credential belongs to."""

    user: UserRead
    kind: str
    project: str | None
    agent_name: str | None
    scopes: list[str]
    csrf_token: str | None
