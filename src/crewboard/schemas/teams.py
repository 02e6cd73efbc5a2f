"""Schemas for teams."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from crewboard.schemas.common import AgentName, RequestModel, ResponseModel
from crewboard.services.core import (
    TEAM_DESCRIPTION_MAX,
    TEAM_MEMBERS_PER_CALL,
    TEAM_NAME_MAX,
    TEAM_NAME_PATTERN,
)

TeamName = Annotated[str, StringConstraints(pattern=TEAM_NAME_PATTERN, max_length=TEAM_NAME_MAX)]
TeamDescription = Annotated[str, StringConstraints(max_length=TEAM_DESCRIPTION_MAX)]


class TeamCreate(RequestModel):
    """A new team. An agent creating one leads it; ``members`` join it at once."""

    name: TeamName
    description: TeamDescription = ""
    lead: AgentName | None = None
    members: Annotated[list[AgentName], Field(max_length=TEAM_MEMBERS_PER_CALL)] = Field(
        default_factory=list
    )


class TeamUpdate(RequestModel):
    """Change the description or the lead (``lead: null`` leaves the team without one)."""

    description: TeamDescription | None = None
    lead: AgentName | None = None


class TeamMembersAdd(RequestModel):
    """Agents of the roster to put on the team."""

    agents: Annotated[list[AgentName], Field(min_length=1, max_length=TEAM_MEMBERS_PER_CALL)]


class TeamMemberRead(ResponseModel):
    """A member of a team."""

    name: str
    joined_at: datetime


class TeamRead(ResponseModel):
    """A team, its members and its tasks counted by status."""

    name: str
    description: str
    lead: str | None
    members: list[TeamMemberRead]
    tasks: dict[str, int]
    created_at: datetime


class TeamDeleted(ResponseModel):
    """A deleted team: tasks sent back to pending (``released``), tasks that left it."""

    name: str
    deleted_at: datetime
    released: list[int]
    detached: int
