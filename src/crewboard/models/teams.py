"""Teams of agents within a project, and their members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, utcnow

# A deleted team keeps its row (the history names it) and frees its name.
LIVE_TEAM = text("deleted_at IS NULL")


class Team(Base):
    """A group of roster agents sharing a task list (the project's tasks with this team)."""

    __tablename__ = "teams"
    __table_args__ = (
        Index(
            "uq_teams_project_id_name",
            "project_id",
            "name",
            unique=True,
            sqlite_where=LIVE_TEAM,
            postgresql_where=LIVE_TEAM,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(2000), default="")
    lead: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class TeamMember(Base):
    """An agent of the roster on a team."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    agent_name: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
