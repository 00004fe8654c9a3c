"""Whether an answer's outcome is silence past the acceptance window rather than a person's verdict:
the calibrator discounts silence, or estimates what it means from how often people correct
(``ASSISTANT_SILENCE``, issue 20).

Written out by hand, like 0001-0015; ``tests/adapters/storage`` compares the migrated database with
``schema.py``. Outcomes labelled before this revision read as verdicts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("outcome_silent", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("outcome_silent")
