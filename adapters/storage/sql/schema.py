"""The tables of the SQL store, as SQLAlchemy Core (not ORM) for speed on bulk writes.

One ``MetaData`` holds everything; ``migrations/versions`` creates exactly these tables, and a test
compares the migrated database with this module so the two cannot drift apart.

Choices that keep one schema working on SQLite and PostgreSQL alike:

* enums are stored as their string values (no PostgreSQL ENUM types to migrate);
* vectors are raw little-endian float32 bytes, not a vendor vector type;
* every time is a ``UTCDateTime``: SQLite keeps no time zone, so it is converted to UTC on write
  and marked UTC on read, and comparisons of the stored text stay chronological;
* constraint and index names come from a naming convention, so migrations can refer to them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime that always comes back in UTC, on every database.

    Naive values are taken to be UTC already (``assistant.models.utcnow`` never makes them).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite's DATETIME drops the offset; store the UTC wall time so text order is time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


documents = Table(
    "documents",
    metadata,
    Column("id", String, primary_key=True),
    Column("source", String, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("content_hash", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("url", Text),
    Column("retired", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

knowledge_items = Table(
    "knowledge_items",
    metadata,
    Column("id", String, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("resolution_key", String, nullable=False, index=True),
    Column("source", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("question", Text),
    Column("url", Text),
    Column("account", String, index=True),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("taught_by", String),
    Column("thread", String),
    Column("document_id", String, index=True),
    Column("supersedes", String),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    # FeedbackRecord, flattened so that an update is one UPDATE of plain columns.
    Column("approvals", Float, nullable=False),
    Column("rejections", Float, nullable=False),
    Column("corrections", Integer, nullable=False),
    Column("helped", Integer, nullable=False),
    Column("not_helped", Integer, nullable=False),
    # load_active_entries and count_items filter by status, list_items by kind and status.
    Index(None, "status", "kind"),
)

item_vectors = Table(
    "item_vectors",
    metadata,
    Column("item_id", String, ForeignKey("knowledge_items.id", ondelete="CASCADE"), primary_key=True),
    Column("vector", LargeBinary, nullable=False),
    Column("dimension", Integer, nullable=False),
)

questions = Table(
    "questions",
    metadata,
    Column("id", String, primary_key=True),
    Column("external_id", String, unique=True),
    Column("account", String, index=True),
    Column("channel", String),
    Column("user", String),
    Column("thread", String),
    # NULL once deleted on request; ``deleted`` tells a deletion from a question never stored.
    Column("text", Text),
    Column("deleted", Boolean, nullable=False),
    Column("asked_at", UTCDateTime, nullable=False, index=True),
)

answers = Table(
    "answers",
    metadata,
    Column("id", String, primary_key=True),
    Column("question_id", String, ForeignKey("questions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("decision", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("resolution_key", String),
    Column("item_ids", JSON, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("account", String, index=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("features", JSON, nullable=False),
    Column("outcome", Boolean),
    Column("outcome_weight", Float, nullable=False),
    # The outcome is silence past the acceptance window, not a person's verdict.
    Column("outcome_silent", Boolean, nullable=False, server_default=false()),
    # Drawn at random among silent answers to be put to a person (``learning.spot_checks``); with
    # outcome_silent False again, its outcome is that person's verdict.
    Column("spot_check", Boolean, nullable=False, server_default=false()),
    # labelled_outcomes and unlabelled_answers_before select by outcome and order by time.
    Index(None, "outcome", "created_at"),
)

learning_events = Table(
    "learning_events",
    metadata,
    Column("id", String, primary_key=True),
    Column("signal", String(16), nullable=False, index=True),
    Column("actor", String, nullable=False),
    Column("role", String(16), nullable=False),
    Column("effect", Text, nullable=False),
    Column("account", String, index=True),
    Column("answer_id", String, index=True),
    Column("item_id", String),
    Column("affected_item_id", String),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("undone_at", UTCDateTime),
    # What the change did and what it replaced, so an undo can be checked or recomputed later.
    Column("details", JSON, nullable=False),
)

# Calibration outcomes rehearsed from imported tickets (``assistant.learning.rehearsal``), by kind
# (answered tickets, replaced whenever the knowledge changes; tickets a person had to handle, kept
# from their import): read at every refit until live outcomes outnumber them.
rehearsal_outcomes = Table(
    "rehearsal_outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("features", JSON, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("weight", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# The change feed: one row per write to an item (new, status, feedback), numbered in commit order.
# Writers on PostgreSQL take one advisory lock before writing (``queries.lock_changes``), so a
# reader that has seen ``seq`` n has seen every change numbered below n; SQLite serialises writers.
item_changes = Table(
    "item_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)
