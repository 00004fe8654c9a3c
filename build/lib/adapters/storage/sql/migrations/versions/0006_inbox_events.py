"""The inbox: received platform events stored before they are acknowledged, until their work is done.

Written out by hand, like 0001-0005; ``tests/adapters/storage`` compares the migrated database
with ``conversations_schema.py``.

Revision ID: 0006
Revises: 0005
Create Date: 2025-01-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("platform", "event_id", name="pk_inbox_events"),
    )
    op.create_index(
        "ix_inbox_events_platform_status_lease_until",
        "inbox_events",
        ["platform", "status", "lease_until"],
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_events_platform_status_lease_until", table_name="inbox_events")
    op.drop_table("inbox_events")
