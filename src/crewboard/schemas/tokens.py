"""Schemas for API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from crewboard.schemas.common import AgentName, RequestModel, ResponseModel, Slug
from crewboard.services.core import ID_MAX, TOKEN_DAYS_MAX, TOKEN_NAME_MAX


class TokenCreate(RequestModel):
    """A new token: a person's, or an agent's in one project."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=TOKEN_NAME_MAX)] | None = None
    user_id: int | None = Field(default=None, ge=1, le=ID_MAX)
    project: Slug | None = None
    agent_name: AgentName | None = None
    expires_in_days: int | None = Field(default=None, ge=1, le=TOKEN_DAYS_MAX)
    read_only: bool = False
    # A crew credential of ``project`` (no agent, not read-only): it only exchanges itself
    # for agent tokens (POST /crew/exchange).
    crew: bool = False


class CrewExchange(RequestModel):
    """The roster agent a crew credential asks a token for, and for how long (at most 12
    hours; a hook asks for minutes)."""

    agent: AgentName
    minutes: int = Field(default=12 * 60, ge=1, le=12 * 60)


class TokenRead(ResponseModel):
    """A token's record (the secret itself is never shown again); ``kind`` is ``api`` or
    ``crew``."""

    id: int
    kind: str
    user_id: int
    name: str | None
    hint: str
    scopes: list[str]
    project_id: int | None
    agent_name: str | None
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenRead):
    """A new token: ``token`` is shown this once."""

    token: str
