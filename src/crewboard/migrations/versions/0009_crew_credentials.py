"""Crew credentials: a member's credential that only exchanges itself for short-lived agent
tokens of one project, each remembering the credential it came from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint(op.f("ck_sessions_kind"), type_="check")
        batch.drop_constraint(op.f("ck_sessions_agent_binding"), type_="check")
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_sessions_parent_id_sessions"),
            "sessions",
            ["parent_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(batch.f("ix_sessions_parent_id"), ["parent_id"], unique=False)
        batch.create_check_constraint("kind", "kind IN ('web', 'api', 'crew')")
        batch.create_check_constraint(
            "agent_binding", "kind = 'crew' OR (project_id IS NULL) = (agent_name IS NULL)"
        )
        batch.create_check_constraint(
            "crew_binding", "kind <> 'crew' OR (project_id IS NOT NULL AND agent_name IS NULL)"
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM sessions WHERE kind = 'crew'"))
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint(op.f("ck_sessions_crew_binding"), type_="check")
        batch.drop_constraint(op.f("ck_sessions_agent_binding"), type_="check")
        batch.drop_constraint(op.f("ck_sessions_kind"), type_="check")
        batch.drop_index(batch.f("ix_sessions_parent_id"))
        batch.drop_constraint(op.f("fk_sessions_parent_id_sessions"), type_="foreignkey")
        batch.drop_column("parent_id")
        batch.create_check_constraint("kind", "kind IN ('web', 'api')")
        batch.create_check_constraint(
            "agent_binding", "(project_id IS NULL) = (agent_name IS NULL)"
        )
