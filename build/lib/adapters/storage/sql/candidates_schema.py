"""The tables of deliberate learning (``assistant.learning.candidates``), in the store's one ``MetaData``.

Migration 0008 creates them; importing this module adds them to ``schema.metadata``.

* ``reply_candidates``: an agent's free-text reply in a customer thread, kept as a *candidate*
  answer until something says it is the answer; ``event_id`` is the learning event once promoted
  (set with a conditional update, so two promotions of one reply cannot both win).
* ``signal_marks``: which learning event one person's signal made (a reaction), so removing the
  reaction undoes exactly that event.
* ``channel_orgs``: the organisations (Slack team or Enterprise Grid ids, Teams tenant ids) whose
  members belong to a customer channel's account: identity, not location, decides who is answered.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from adapters.storage.sql.schema import UTCDateTime, metadata

reply_candidates = Table(
    "reply_candidates",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("channel_id", String(255), primary_key=True),
    Column("message_ts", String(64), primary_key=True),
    Column("thread_ts", String(64), nullable=False),
    Column("answer_id", String, nullable=False),
    Column("signal", String(16), nullable=False),
    Column("actor", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("event_id", String),
    Column("promoted_by", String),
    # thread_candidates: a thread's candidates, latest first.
    Index(None, "platform", "channel_id", "thread_ts"),
)

signal_marks = Table(
    "signal_marks",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("mark", String(255), primary_key=True),
    Column("event_id", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

channel_orgs = Table(
    "channel_orgs",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("channel_id", String(255), primary_key=True),
    Column("org_id", String(255), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)
