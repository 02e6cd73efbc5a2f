"""teams, team members, the team of a task

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

SQLite cannot add a foreign key to an existing table except inline with a new column, and
rebuilding ``tasks`` (Alembic's batch mode) would drop the old table with foreign keys on,
which cascades into the dependency and changelog links. So on SQLite the column comes with
an inline ``REFERENCES``, and the downgrade leaves it in place (nulled by the teams' drop)
instead of rebuilding the table; an upgrade after that reuses it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_TEAM = sa.text("deleted_at IS NULL")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("lead", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_teams_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_index(
        "uq_teams_project_id_name",
        "teams",
        ["project_id", "name"],
        unique=True,
        sqlite_where=LIVE_TEAM,
        postgresql_where=LIVE_TEAM,
    )

    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_name", sa.String(length=64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_members_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "agent_name", name=op.f("pk_team_members")),
    )
    op.create_index(
        op.f("ix_team_members_agent_name"), "team_members", ["agent_name"], unique=False
    )

    if _sqlite():
        existing = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("tasks")}
        if "team_id" not in existing:
            op.add_column(
                "tasks",
                sa.Column(
                    "team_id",
                    sa.Integer(),
                    sa.ForeignKey("teams.id", ondelete="SET NULL"),
                    nullable=True,
                ),
                inline_references=True,
            )
    else:
        op.add_column("tasks", sa.Column("team_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_tasks_team_id_teams"),
            "tasks",
            "teams",
            ["team_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index(
        "ix_tasks_team_queue",
        "tasks",
        ["project_id", "team_id", "status", "priority", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_team_queue", table_name="tasks")
    if not _sqlite():
        op.drop_constraint(op.f("fk_tasks_team_id_teams"), "tasks", type_="foreignkey")
        op.drop_column("tasks", "team_id")
    op.drop_index(op.f("ix_team_members_agent_name"), table_name="team_members")
    op.drop_table("team_members")
    op.drop_index("uq_teams_project_id_name", table_name="teams")
    # On SQLite, dropping the teams nulls tasks.team_id (ON DELETE SET NULL).
    op.drop_table("teams")
