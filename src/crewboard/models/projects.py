"""Projects, their members with roles, and the roster of agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, utcnow


class Project(Base):
    """A codebase and the crew working on it; every other record belongs to one."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    repo_path: Mapped[str | None] = mapped_column(String(1024))
    # How the repository's CHANGELOG.md is written (services.markdown.ChangelogStyle as JSON);
    # None: crewboard's own format.
    changelog_style: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Member(Base):
    """A person's role in a project; role ``agent`` pins the person to one agent name."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'member', 'agent', 'viewer')", name="role"),
        CheckConstraint("(role = 'agent') = (agent_name IS NOT NULL)", name="agent_role"),
    )

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    agent_name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agent(Base):
    """An agent of the roster (architect, backend, qa, ...), with the tracker it keeps."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(500), default="")
    tracker_path: Mapped[str] = mapped_column(String(300))
    # How the agent's tracker file is written (services.markdown.TrackerStyle as JSON).
    tracker_style: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(Base):
    """An owner's offer of a role in a project to an e-mail address, until the person with
    that address accepts or declines it (or an owner withdraws it, or it expires). Whether
    the address has an account yet is nobody's business but the invitee's."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("project_id", "email"),
        CheckConstraint("role IN ('owner', 'member', 'agent', 'viewer')", name="role"),
        CheckConstraint("(role = 'agent') = (agent_name IS NOT NULL)", name="agent_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16))
    agent_name: Mapped[str | None] = mapped_column(String(64))
    invited_by: Mapped[str] = mapped_column(String(260))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
