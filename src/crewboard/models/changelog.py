"""The append-only changelog: what was wrong, what was done, how it was verified."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, BigId, utcnow


class ChangelogEntry(Base):
    """One entry of ``.claude/CHANGELOG.md``; never updated or deleted."""

    __tablename__ = "changelog_entries"
    __table_args__ = (Index("ix_changelog_entries_project_id_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    agent: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    problem: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text)
    files: Mapped[list[str]] = mapped_column(default=list)
    verification: Mapped[str] = mapped_column(Text)
    # The entry as the file wrote it (rendered again verbatim while it still reads the same).
    source: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangelogTaskLink(Base):
    """A changelog entry names the tasks it reports on."""

    __tablename__ = "changelog_task_links"

    entry_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("changelog_entries.id", ondelete="CASCADE"), primary_key=True
    )
    task_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True, index=True
    )
