"""Conversation state for chat adapters: handled events, channel bindings, message links, claims.

Written out by hand, like 0001, so it stays what it was; ``tests/adapters/storage`` compares the
migrated database with ``schema.py`` plus ``conversations_schema.py``.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "platform_events",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("platform", "event_id", name="pk_platform_events"),
    )
    op.create_index("ix_platform_events_received_at", "platform_events", ["received_at"])

    op.create_table(
        "channel_bindings",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(255), nullable=False),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("handoff_channel", sa.String(255), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id", name="pk_channel_bindings"),
    )

    op.create_table(
        "message_links",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(255), nullable=False),
        sa.Column("message_ts", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(64), nullable=False),
        sa.Column("answer_id", sa.String(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id", "message_ts", name="pk_message_links"),
    )
    op.create_index("ix_message_links_answer_id", "message_links", ["answer_id"])
    op.create_index(
        "ix_message_links_platform_channel_id_thread_ts",
        "message_links",
        ["platform", "channel_id", "thread_ts"],
    )

    op.create_table(
        "handoff_claims",
        sa.Column("answer_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("claimed_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("answer_id", name="pk_handoff_claims"),
    )


def downgrade() -> None:
    op.drop_table("handoff_claims")
    op.drop_table("message_links")
    op.drop_table("channel_bindings")
    op.drop_table("platform_events")
