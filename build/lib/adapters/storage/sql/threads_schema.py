"""The tables of customer threads as conversations (``assistant.threads``), in the store's one
``MetaData``.

Migration 0012 creates them; importing this module adds them to ``schema.metadata``.

* ``support_conversations``: one row per customer thread (unique on platform, channel, thread):
  its state, owner, participants, latest exchange and where its hand-off post (ticket card) is.
* ``conversation_messages``: what was said in it, keyed by the platform's message id, so a
  redelivered event is recorded once; ``text`` is NULL once the author deleted the message.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text, UniqueConstraint

from adapters.storage.sql.schema import UTCDateTime, metadata

support_conversations = Table(
    "support_conversations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("platform", String(32), nullable=False),
    Column("channel_id", String(255), nullable=False),
    Column("thread_ts", String(255), nullable=False),
    Column("account", String),
    Column("state", String(32), nullable=False),
    Column("asker", String(255)),
    Column("owner", String(255)),
    Column("participants", JSON, nullable=False),
    Column("answer_id", String),
    Column("handoff_channel", String(255)),
    Column("handoff_post", String(255)),
    Column("link", Text),
    Column("first_response_at", UTCDateTime),
    Column("csat", Integer),
    Column("waiting_since", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "channel_id", "thread_ts"),
    # list_conversations: by account and state, newest first.
    Index(None, "account", "state"),
    # waiting_since: handed-off conversations by how long they have waited.
    Index(None, "state", "waiting_since"),
    Index(None, "updated_at"),
    # conversation_by_post: an agent's reply under a hand-off post.
    Index(None, "handoff_channel", "handoff_post"),
)

conversation_messages = Table(
    "conversation_messages",
    metadata,
    Column("conversation_id", String(64), primary_key=True),
    Column("message_id", String(255), primary_key=True),
    Column("author", String(255), nullable=False),
    Column("speaker", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text),
    Column("answer_id", String),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "conversation_id", "created_at"),
    # edit_thread_message: an edit or deletion names the message only.
    Index(None, "message_id"),
)
