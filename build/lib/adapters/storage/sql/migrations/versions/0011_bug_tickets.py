"""Integrations: bug tickets in GitHub / Jira (one row per bug report and tracker), crawled pages.

Written out by hand, like 0001-0006; ``tests/adapters/storage/test_sql_tickets.py`` compares the
migrated database with ``integrations_schema.py``.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bug_tickets",
        sa.Column("bug_id", sa.String(), nullable=False),
        sa.Column("tracker", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("marker", sa.String(255), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("ticket_key", sa.String(255), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("reported_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=True),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("taught", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bug_id", "tracker", name="pk_bug_tickets"),
    )
    op.create_index("ix_bug_tickets_state", "bug_tickets", ["state"])
    op.create_index("ix_bug_tickets_tracker_ticket_key", "bug_tickets", ["tracker", "ticket_key"])
    op.create_table(
        "crawled_pages",
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("site", sa.String(512), nullable=False),
        sa.Column("etag", sa.String(512), nullable=True),
        sa.Column("last_modified", sa.String(128), nullable=True),
        sa.Column("crawled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_crawled_pages"),
    )
    op.create_index("ix_crawled_pages_site", "crawled_pages", ["site"])


def downgrade() -> None:
    op.drop_index("ix_crawled_pages_site", table_name="crawled_pages")
    op.drop_table("crawled_pages")
    op.drop_index("ix_bug_tickets_tracker_ticket_key", table_name="bug_tickets")
    op.drop_index("ix_bug_tickets_state", table_name="bug_tickets")
    op.drop_table("bug_tickets")
