"""Customer threads as conversations: their state, owner, participants and messages.

Written out by hand, like 0001-0011; ``tests/adapters/storage/test_sql_threads.py`` compares the
migrated database with ``threads_schema.py``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(255), nullable=False),
        sa.Column("thread_ts", sa.String(255), nullable=False),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("asker", sa.String(255), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("answer_id", sa.String(), nullable=True),
        sa.Column("handoff_channel", sa.String(255), nullable=True),
        sa.Column("handoff_post", sa.String(255), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_support_conversations"),
        sa.UniqueConstraint(
            "platform",
            "channel_id",
            "thread_ts",
            name="uq_support_conversations_platform_channel_id_thread_ts",
        ),
    )
    op.create_index("ix_support_conversations_account_state", "support_conversations", ["account", "state"])
    op.create_index("ix_support_conversations_updated_at", "support_conversations", ["updated_at"])
    op.create_index(
        "ix_support_conversations_state_waiting_since", "support_conversations", ["state", "waiting_since"]
    )
    op.create_index(
        "ix_support_conversations_handoff_channel_handoff_post",
        "support_conversations",
        ["handoff_channel", "handoff_post"],
    )
    op.create_table(
        "conversation_messages",
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("speaker", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("answer_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", "message_id", name="pk_conversation_messages"),
    )
    op.create_index(
        "ix_conversation_messages_conversation_id_created_at",
        "conversation_messages",
        ["conversation_id", "created_at"],
    )
    op.create_index("ix_conversation_messages_message_id", "conversation_messages", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_messages_message_id", table_name="conversation_messages")
    op.drop_index("ix_conversation_messages_conversation_id_created_at", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    op.drop_index("ix_support_conversations_handoff_channel_handoff_post", table_name="support_conversations")
    op.drop_index("ix_support_conversations_state_waiting_since", table_name="support_conversations")
    op.drop_index("ix_support_conversations_updated_at", table_name="support_conversations")
    op.drop_index("ix_support_conversations_account_state", table_name="support_conversations")
    op.drop_table("support_conversations")
