"""The chat adapters' tables (``assistant.conversations``), in the store's one ``MetaData``.

Kept apart from ``schema.py`` so the knowledge tables and the conversation tables can change on
their own; importing this module adds its tables to ``schema.metadata``. Migration 0002 creates
the first four tables, 0004 ``conversation_references``, 0006 ``inbox_events``.

* ``platform_events``: one row per handled platform event; the primary key is what makes a
  retried delivery (same event id) a no-op, across processes and restarts.
* ``channel_bindings``: which channel is a customer channel, of which account, handing off where.
* ``message_links``: which posted message carries which answer, so reactions, thread replies and
  shortcuts on it find the exchange.
* ``handoff_claims``: who took a hand-off; the primary key lets only the first agent take it.
* ``conversation_references``: where a proactive message to a conversation goes (Teams' serialised
  ``ConversationReference``: service URL, conversation, bot), so it can be sent after a restart.
* ``inbox_events``: received events that lead to work, stored before the acknowledgement; the
  primary key deduplicates redeliveries, ``status``/``lease_until`` let a sweep take over (once)
  what a crashed process left pending. Finished rows are pruned after the redelivery window.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table

from adapters.storage.sql.schema import UTCDateTime, metadata

platform_events = Table(
    "platform_events",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("event_id", String(255), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False, index=True),
)

channel_bindings = Table(
    "channel_bindings",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("channel_id", String(255), primary_key=True),
    Column("account", String),
    Column("kind", String(16), nullable=False),
    Column("handoff_channel", String(255)),
    Column("updated_at", UTCDateTime, nullable=False),
)

message_links = Table(
    "message_links",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("channel_id", String(255), primary_key=True),
    Column("message_ts", String(64), primary_key=True),
    Column("thread_ts", String(64), nullable=False),
    Column("answer_id", String, nullable=False, index=True),
    Column("question_id", String, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # find_thread: the latest link of a thread.
    Index(None, "platform", "channel_id", "thread_ts"),
)

handoff_claims = Table(
    "handoff_claims",
    metadata,
    Column("answer_id", String, primary_key=True),
    Column("agent", String, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
)

conversation_references = Table(
    "conversation_references",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("conversation_id", String(512), primary_key=True),
    Column("reference", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

inbox_events = Table(
    "inbox_events",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("event_id", String(255), primary_key=True),
    Column("body", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_until", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    # claim_pending_events: pending rows whose lease ran out.
    Index(None, "platform", "status", "lease_until"),
)

people = Table(
    "people",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("user_id", String(255), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""Display names of the people the chat adapters met (a Teams member's Entra object id, a Slack
user id): what ``assistant learned`` shows for who taught what (migration 0014)."""
