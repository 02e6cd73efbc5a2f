"""messages and deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=260), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("reply_to", sa.Integer(), nullable=True),
        sa.Column("approve", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_messages_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_messages_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reply_to"],
            ["messages.id"],
            name=op.f("fk_messages_reply_to_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(
        "ix_messages_project_id_request_id", "messages", ["project_id", "request_id"], unique=False
    )
    op.create_index("ix_messages_created_at", "messages", ["created_at"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=260), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_deliveries_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_deliveries_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "recipient", name=op.f("pk_deliveries")),
    )
    op.create_index(
        "ix_deliveries_inbox", "deliveries", ["project_id", "recipient", "message_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_inbox", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_messages_created_at", table_name="messages")
    op.drop_index("ix_messages_project_id_request_id", table_name="messages")
    op.drop_table("messages")
