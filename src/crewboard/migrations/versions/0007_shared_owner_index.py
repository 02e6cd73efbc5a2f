"""Tasks: an index for the shared tasks an agent holds (its tracker's second half)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("tracker IS NULL AND owner IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_tasks_shared_owner",
        "tasks",
        ["project_id", "owner", "status", "priority", "number"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_shared_owner", table_name="tasks")
