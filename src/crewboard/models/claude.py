"""What Claude Code's team files hold that crewboard's own tables do not (see docs/claude-code.md).

An imported team keeps its ``config.json`` (member colours, models, prompts, session ids …)
and each imported inbox entry keeps its exact shape, so an export writes them back as they
were. Messages never change, so a kept entry is always still true.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, utcnow


class ClaudeTeamFile(Base):
    """The ``config.json`` a team was imported from (normalised to the documented shape)."""

    __tablename__ = "claude_teams"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    config: Mapped[dict[str, Any]]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaudeInboxEntry(Base):
    """The inbox entry a message was imported from, without its ``read`` flag (a delivery's)."""

    __tablename__ = "claude_messages"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    entry: Mapped[dict[str, Any]]
