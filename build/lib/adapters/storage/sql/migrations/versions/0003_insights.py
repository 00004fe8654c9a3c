"""Insights: bug reports, once-per-period job runs, engineers' message labels, stored models.

Written out by hand, like 0001 and 0002; ``tests/adapters/test_insights_store.py`` compares the
migrated database with ``insights_schema.py``.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bug_reports",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("symptom", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("duplicate_of", sa.String(), nullable=True),
        sa.Column("labelled_by", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("first_seen", _TIME, nullable=False),
        sa.Column("last_seen", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bug_reports"),
    )
    op.create_index("ix_bug_reports_status", "bug_reports", ["status"])
    op.create_index("ix_bug_reports_last_seen", "bug_reports", ["last_seen"])

    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("period_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("claimed_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job", "period_key", name="pk_job_runs"),
    )

    op.create_table(
        "message_labels",
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name="fk_message_labels_question_id_questions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name="pk_message_labels"),
    )

    op.create_table(
        "insight_models",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("trained_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_insight_models"),
    )


def downgrade() -> None:
    op.drop_table("insight_models")
    op.drop_table("message_labels")
    op.drop_table("job_runs")
    op.drop_table("bug_reports")
