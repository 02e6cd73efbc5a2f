"""Schemas for projects, members and the roster."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, StringConstraints

from crewboard.schemas.common import (
    AgentName,
    DisplayName,
    RequestModel,
    ResponseModel,
    Slug,
)
from crewboard.services.core import DOMAIN_MAX, PATH_MAX, TRACKER_PATH_MAX

RepoPath = Annotated[str, StringConstraints(max_length=PATH_MAX)]
Domain = Annotated[str, StringConstraints(max_length=DOMAIN_MAX)]
TrackerPath = Annotated[str, StringConstraints(min_length=1, max_length=TRACKER_PATH_MAX)]


class ProjectCreate(RequestModel):
    """A new project; the caller becomes its owner."""

    slug: Slug
    name: DisplayName | None = None
    repo_path: RepoPath | None = None


class ProjectUpdate(RequestModel):
    """Rename a project or set its repository path (empty string clears it)."""

    name: DisplayName | None = None
    repo_path: RepoPath | None = None


class ProjectRead(ResponseModel):
    """A project."""

    id: int
    slug: str
    name: str
    repo_path: str | None
    created_at: datetime


class MemberSet(RequestModel):
    """Add a person to a project, or change their role."""

    email: EmailStr
    role: Literal["owner", "member", "agent", "viewer"]
    agent_name: AgentName | None = None


class MemberRead(ResponseModel):
    """A member and their role."""

    user_id: int
    email: str
    name: str
    role: str
    agent_name: str | None
    created_at: datetime


class AgentCreate(RequestModel):
    """An agent for the roster."""

    name: AgentName
    domain: Domain = ""
    tracker_path: TrackerPath | None = None


class AgentUpdate(RequestModel):
    """Change an agent's domain or tracker path."""

    domain: Domain | None = None
    tracker_path: TrackerPath | None = None


class AgentRead(ResponseModel):
    """An agent of the roster."""

    name: str
    domain: str
    tracker_path: str
    created_at: datetime


class InvitationRead(ResponseModel):
    """An invitation to a project (``PUT …/members`` answers one with 202 when the person is
    not a member yet, whether or not the address has an account)."""

    id: int
    project: str
    project_name: str
    email: str
    role: str
    agent_name: str | None
    invited_by: str
    created_at: datetime
    expires_at: datetime
