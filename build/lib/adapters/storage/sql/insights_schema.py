"""The insights layer's tables (``assistant.insights.records``), in the store's one ``MetaData``.

Importing this module adds its tables to ``schema.metadata``; migration 0003 creates exactly
these tables.

* ``bug_reports``: one row per likely bug; its messages, accounts and examples as JSON, its
  signature (unit mean embedding) as float32 bytes like ``item_vectors``.
* ``job_runs``: one row per scheduled job and period; the primary key (job, period_key) is the
  unique claim that makes a run happen once per period across instances and restarts.
* ``message_labels``: engineers' labels of messages (one per message, the newest wins).
* ``insight_models``: trained models as bytes (the message classifier's ``.npz``, never a pickle).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, LargeBinary, String, Table, Text

from adapters.storage.sql.schema import UTCDateTime, metadata

bug_reports = Table(
    "bug_reports",
    metadata,
    Column("id", String, primary_key=True),
    Column("title", Text, nullable=False),
    Column("symptom", Text, nullable=False),
    Column("keywords", JSON, nullable=False),
    Column("examples", JSON, nullable=False),
    Column("accounts", JSON, nullable=False),
    Column("question_ids", JSON, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("duplicate_of", String),
    Column("labelled_by", String),
    Column("version", Integer, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("period_key", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("owner", String, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("summary", Text, nullable=False),
)

message_labels = Table(
    "message_labels",
    metadata,
    Column("question_id", String, ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("label", String(16), nullable=False),
    Column("actor", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

insight_models = Table(
    "insight_models",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("payload", LargeBinary, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("trained_at", UTCDateTime, nullable=False),
)
