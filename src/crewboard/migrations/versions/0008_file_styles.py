"""Markdown files written back in their own dialect: each tracker's and the changelog's
learned style, and a changelog entry's own words

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("tracker_style", sa.JSON(), nullable=True))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("changelog_style", sa.JSON(), nullable=True))
    with op.batch_alter_table("changelog_entries") as batch:
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("changelog_entries") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("changelog_style")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("tracker_style")
