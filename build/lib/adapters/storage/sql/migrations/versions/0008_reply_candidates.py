"""Deliberate learning and identity: agents' replies kept as candidates, the event each signal made,
the organisations whose members belong to a customer channel's account.

Written out by hand, like 0001-0006; ``tests/adapters/storage`` compares the migrated database
with ``candidates_schema.py``.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply_candidates",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(255), nullable=False),
        sa.Column("message_ts", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(64), nullable=False),
        sa.Column("answer_id", sa.String(), nullable=False),
        sa.Column("signal", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(), nullable=True),
        sa.Column("promoted_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("platform", "channel_id", "message_ts", name="pk_reply_candidates"),
    )
    op.create_index(
        "ix_reply_candidates_platform_channel_id_thread_ts",
        "reply_candidates",
        ["platform", "channel_id", "thread_ts"],
    )
    op.create_table(
        "signal_marks",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("mark", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "mark", name="pk_signal_marks"),
    )
    op.create_table(
        "channel_orgs",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(255), nullable=False),
        sa.Column("org_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id", "org_id", name="pk_channel_orgs"),
    )


def downgrade() -> None:
    op.drop_table("channel_orgs")
    op.drop_table("signal_marks")
    op.drop_index("ix_reply_candidates_platform_channel_id_thread_ts", table_name="reply_candidates")
    op.drop_table("reply_candidates")
