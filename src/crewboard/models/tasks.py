"""Tasks on agents' trackers, and the dependencies between them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, BigId, utcnow

_SHARED_HELD = text("tracker IS NULL AND owner IS NOT NULL")
_SHARED = text("tracker IS NULL")
# The tail of every ready-queue index.
_READY = ("open_blocker_count", "priority", "id")

TASK_STATUSES = ("pending", "in_progress", "blocked", "completed", "cancelled")


class Task(Base):
    """One unit of work. ``number`` is per project (#12); ``version`` guards every update."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'in_progress', 'blocked', 'completed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("priority BETWEEN 0 AND 3", name="priority"),
        Index("uq_tasks_project_id_number", "project_id", "number", unique=True),
        # The ready queue, project-wide, per tracker, shared and per team: pending, waiting on
        # nothing (``open_blocker_count`` 0), then by priority and age (migration 0012).
        Index("ix_tasks_queue", "project_id", "status", *_READY),
        Index("ix_tasks_tracker_queue", "project_id", "tracker", "status", *_READY),
        # The shared ready queue: PostgreSQL does not read the tracker index as ordered by
        # priority under ``tracker IS NULL`` (migration 0011).
        Index(
            "ix_tasks_shared_queue",
            *("project_id", "status", *_READY),
            sqlite_where=_SHARED,
            postgresql_where=_SHARED,
        ),
        # A team's task list and its ready queue.
        Index("ix_tasks_team_queue", "project_id", "team_id", "status", *_READY),
        Index("ix_tasks_owner", "project_id", "owner", "status"),
        # The shared tasks an agent holds: half of its tracker. Partial, so it stays small and
        # the planner picks it over the tracker index's long run of trackerless rows.
        Index(
            "ix_tasks_shared_owner",
            *("project_id", "owner", "status", "priority", "number"),
            sqlite_where=_SHARED_HELD,
            postgresql_where=_SHARED_HELD,
        ),
        Index("ix_tasks_lease", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    active_form: Mapped[str | None] = mapped_column(String(500))
    tracker: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    priority: Mapped[int] = mapped_column(SmallInteger, default=2)
    blocked_reason: Mapped[str | None] = mapped_column(String(2000))
    needs_agent: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    source_task_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(String(1000))
    files: Mapped[list[str]] = mapped_column(default=list)
    verified: Mapped[str | None] = mapped_column(String(1000))
    lease_expires_at: Mapped[datetime | None]
    # "metadata" is taken by SQLAlchemy's declarative base; the column keeps the name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # How many unfinished tasks this one waits on. The database's triggers keep it (migration
    # 0012), whatever writes the edges or the statuses; the code never sets it after the
    # insert, and a loaded ``Task`` may hold a stale value: the rules read it in SQL only.
    open_blocker_count: Mapped[int] = mapped_column(server_default=text("0"))

    # Every ORM update is a compare-and-set on the version (UPDATE ... WHERE version = :seen).
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TaskDependency(Base):
    """``task_id`` cannot start before ``blocked_by_id`` is completed (or cancelled)."""

    __tablename__ = "task_dependencies"
    __table_args__ = (CheckConstraint("task_id <> blocked_by_id", name="not_self"),)

    task_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_by_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True, index=True
    )
