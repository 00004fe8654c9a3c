"""Display names of the people the chat adapters met, so ``assistant learned`` says who taught what.

Written out by hand, like 0001-0012; ``tests/adapters/storage/test_sql_conversations.py`` compares
the migrated database with ``conversations_schema.py``.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name="pk_people"),
    )


def downgrade() -> None:
    op.drop_table("people")
