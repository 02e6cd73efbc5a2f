"""SQLAlchemy models, one module per table family."""

from __future__ import annotations

from crewboard.models.base import Base, utcnow
from crewboard.models.changelog import ChangelogEntry, ChangelogTaskLink
from crewboard.models.events import Event
from crewboard.models.projects import Agent, Member, Project
from crewboard.models.tasks import Task, TaskDependency
from crewboard.models.teams import Team, TeamMember
from crewboard.models.users import AuthSession, LoginAttempt, SetupSecret, User

__all__ = [
    "Agent",
    "AuthSession",
    "Base",
    "ChangelogEntry",
    "ChangelogTaskLink",
    "Event",
    "LoginAttempt",
    "Member",
    "Project",
    "SetupSecret",
    "Task",
    "TaskDependency",
    "Team",
    "TeamMember",
    "User",
    "utcnow",
]
