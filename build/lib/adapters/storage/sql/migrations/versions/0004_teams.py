"""Teams: conversation references, so proactive messages (hand-offs, digests) work after a restart.

Written out by hand, like 0001-0003; ``tests/adapters/storage`` compares the migrated database
with ``conversations_schema.py``.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04 00:00:00
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
        "conversation_references",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(512), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "conversation_id", name="pk_conversation_references"),
    )


def downgrade() -> None:
    op.drop_table("conversation_references")
