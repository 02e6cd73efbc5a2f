"""tasks, dependencies, changelog

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "changelog_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_changelog_entries_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changelog_entries")),
    )
    with op.batch_alter_table("changelog_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_changelog_entries_project_id_id", ["project_id", "id"], unique=False
        )

    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active_form", sa.String(length=500), nullable=True),
        sa.Column("tracker", sa.String(length=64), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("blocked_reason", sa.String(length=2000), nullable=True),
        sa.Column("needs_agent", sa.String(length=64), nullable=True),
        sa.Column(
            "source_task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("outcome", sa.String(length=1000), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("verified", sa.String(length=1000), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'blocked', 'completed', 'cancelled')",
            name=op.f("ck_tasks_status"),
        ),
        sa.CheckConstraint("priority BETWEEN 0 AND 3", name=op.f("ck_tasks_priority")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_tasks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_task_id"],
            ["tasks.id"],
            name=op.f("fk_tasks_source_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_lease", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index("ix_tasks_owner", ["project_id", "owner", "status"], unique=False)
        batch_op.create_index(
            "ix_tasks_queue", ["project_id", "status", "priority", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_source_task_id"), ["source_task_id"], unique=False
        )
        batch_op.create_index(
            "ix_tasks_tracker_queue",
            ["project_id", "tracker", "status", "priority", "id"],
            unique=False,
        )
        batch_op.create_index("uq_tasks_project_id_number", ["project_id", "number"], unique=True)

    op.create_table(
        "changelog_task_links",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["changelog_entries.id"],
            name=op.f("fk_changelog_task_links_entry_id_changelog_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_changelog_task_links_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "task_id", name=op.f("pk_changelog_task_links")),
    )
    with op.batch_alter_table("changelog_task_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_changelog_task_links_task_id"), ["task_id"], unique=False
        )

    op.create_table(
        "task_dependencies",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "blocked_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.CheckConstraint("task_id <> blocked_by_id", name=op.f("ck_task_dependencies_not_self")),
        sa.ForeignKeyConstraint(
            ["blocked_by_id"],
            ["tasks.id"],
            name=op.f("fk_task_dependencies_blocked_by_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_dependencies_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "blocked_by_id", name=op.f("pk_task_dependencies")),
    )
    with op.batch_alter_table("task_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_dependencies_blocked_by_id"), ["blocked_by_id"], unique=False
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_project_id_subject_id", ["project_id", "subject", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_project_id_subject_id")

    with op.batch_alter_table("task_dependencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_dependencies_blocked_by_id"))

    op.drop_table("task_dependencies")
    with op.batch_alter_table("changelog_task_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_changelog_task_links_task_id"))

    op.drop_table("changelog_task_links")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("uq_tasks_project_id_number")
        batch_op.drop_index("ix_tasks_tracker_queue")
        batch_op.drop_index(batch_op.f("ix_tasks_source_task_id"))
        batch_op.drop_index("ix_tasks_queue")
        batch_op.drop_index("ix_tasks_owner")
        batch_op.drop_index("ix_tasks_lease")

    op.drop_table("tasks")
    with op.batch_alter_table("changelog_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_changelog_entries_project_id_id")

    op.drop_table("changelog_entries")
