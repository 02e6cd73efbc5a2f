"""Messages: the two send limits read an index each, and only as far as the limit

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Each send checks the sender's rate (messages in the last minute) and the recipient's unread
count. The rate read ``ix_messages_created_at``: every message of the last minute, of every
sender of every project, to count one sender's. The unread count read the recipient's whole
inbox, read messages included. Both grew with traffic, not with the limits. These indexes
hold exactly what each count reads, and the counts stop at the limit
(services/messages/limits.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNREAD = sa.text("read_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_messages_sent", "messages", ["project_id", "sender", "created_at"])
    op.create_index(
        "ix_deliveries_unread",
        "deliveries",
        ["project_id", "recipient", "message_id"],
        sqlite_where=_UNREAD,
        postgresql_where=_UNREAD,
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_unread", table_name="deliveries")
    op.drop_index("ix_messages_sent", table_name="messages")
