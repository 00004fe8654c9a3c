"""The item change feed: every instance's in-memory engine catches up with what others learned.

Written out by hand, like 0001-0004; ``tests/adapters/storage`` compares the migrated database
with ``schema.py``. No backfill: an instance starts reading the feed from its newest row, after
loading every active item.

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_item_changes"),
    )


def downgrade() -> None:
    op.drop_table("item_changes")
