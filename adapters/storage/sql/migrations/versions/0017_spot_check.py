"""Whether an answer was drawn at random among silent ones to be put to a person (a spot check):
their verdicts say what silence means (``learning.spot_checks``, issue 20).

Written out by hand, like 0001-0016; ``tests/adapters/storage`` compares the migrated database with
``schema.py``. Answers before this revision were never drawn.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("spot_check", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("spot_check")
