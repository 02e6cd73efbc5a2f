"""SQLAlchemy models, one module per table family."""

from __future__ import annotations

from crewboard.models.base import Base, clock_at, utcnow
from crewboard.models.changelog import ChangelogEntry, ChangelogTaskLink
from crewboard.models.claude import ClaudeInboxEntry, ClaudeTeamFile
from crewboard.models.events import Event
from crewboard.models.messages import Delivery, Message
from crewboard.models.projects import Agent, Invitation, Member, Project
from crewboard.models.tasks import Task, TaskDependency
from crewboard.models.teams import Team, TeamMember
from crewboard.models.users import AuthSession, LoginAttempt, SetupSecret, User
from crewboard.models.webhooks import JobCursor, Webhook, WebhookDelivery

__all__ = [
    "Agent",
    "AuthSession",
    "Base",
    "ChangelogEntry",
    "ChangelogTaskLink",
    "ClaudeInboxEntry",
    "ClaudeTeamFile",
    "Delivery",
    "Event",
    "Invitation",
    "JobCursor",
    "LoginAttempt",
    "Member",
    "Message",
    "Project",
    "SetupSecret",
    "Task",
    "TaskDependency",
    "Team",
    "TeamMember",
    "User",
    "Webhook",
    "WebhookDelivery",
    "clock_at",
    "utcnow",
]
