"""The initial schema: documents, knowledge items with vectors, questions, answers, learning events.

Written out by hand (not imported from ``schema.py``) so that this revision stays what it was when
later revisions change the tables; ``tests/adapters/storage`` checks it still matches schema.py.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
    )
    op.create_index("ix_documents_source", "documents", ["source"])

    op.create_table(
        "knowledge_items",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("resolution_key", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("taught_by", sa.String(), nullable=True),
        sa.Column("thread", sa.String(), nullable=True),
        sa.Column("document_id", sa.String(), nullable=True),
        sa.Column("supersedes", sa.String(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("approvals", sa.Float(), nullable=False),
        sa.Column("rejections", sa.Float(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("helped", sa.Integer(), nullable=False),
        sa.Column("not_helped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_items"),
    )
    op.create_index("ix_knowledge_items_resolution_key", "knowledge_items", ["resolution_key"])
    op.create_index("ix_knowledge_items_account", "knowledge_items", ["account"])
    op.create_index("ix_knowledge_items_created_at", "knowledge_items", ["created_at"])
    op.create_index("ix_knowledge_items_document_id", "knowledge_items", ["document_id"])
    op.create_index("ix_knowledge_items_status_kind", "knowledge_items", ["status", "kind"])

    op.create_table(
        "item_vectors",
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["knowledge_items.id"],
            name="fk_item_vectors_item_id_knowledge_items",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name="pk_item_vectors"),
    )

    op.create_table(
        "questions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("user", sa.String(), nullable=True),
        sa.Column("thread", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("asked_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
        sa.UniqueConstraint("external_id", name="uq_questions_external_id"),
    )
    op.create_index("ix_questions_account", "questions", ["account"])
    op.create_index("ix_questions_asked_at", "questions", ["asked_at"])

    op.create_table(
        "answers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("resolution_key", sa.String(), nullable=True),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.Boolean(), nullable=True),
        sa.Column("outcome_weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name="fk_answers_question_id_questions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
    )
    op.create_index("ix_answers_question_id", "answers", ["question_id"])
    op.create_index("ix_answers_account", "answers", ["account"])
    op.create_index("ix_answers_created_at", "answers", ["created_at"])
    op.create_index("ix_answers_outcome_created_at", "answers", ["outcome", "created_at"])

    op.create_table(
        "learning_events",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("signal", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("effect", sa.Text(), nullable=False),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("answer_id", sa.String(), nullable=True),
        sa.Column("item_id", sa.String(), nullable=True),
        sa.Column("affected_item_id", sa.String(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("undone_at", _TIME, nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_learning_events"),
    )
    op.create_index("ix_learning_events_signal", "learning_events", ["signal"])
    op.create_index("ix_learning_events_account", "learning_events", ["account"])
    op.create_index("ix_learning_events_answer_id", "learning_events", ["answer_id"])
    op.create_index("ix_learning_events_created_at", "learning_events", ["created_at"])


def downgrade() -> None:
    op.drop_table("learning_events")
    op.drop_table("answers")
    op.drop_table("questions")
    op.drop_table("item_vectors")
    op.drop_table("knowledge_items")
    op.drop_table("documents")
