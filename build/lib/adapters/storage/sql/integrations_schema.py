"""The integrations' tables, in the store's one ``MetaData`` (migration 0011 creates them).

* ``bug_tickets``: one row per bug report and tracker: the external ticket (id, key, link) once
  known, written as ``pending`` before the create is sent (``assistant.integrations.tickets``).
* ``crawled_pages``: each crawled page's validators (``ETag``, ``Last-Modified``) for the next
  crawl's conditional requests.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from adapters.storage.sql.schema import UTCDateTime, metadata

bug_tickets = Table(
    "bug_tickets",
    metadata,
    Column("bug_id", String, primary_key=True),
    Column("tracker", String(32), primary_key=True),
    Column("state", String(16), nullable=False, index=True),
    Column("marker", String(255), nullable=False),
    Column("external_id", String(255)),
    Column("ticket_key", String(255)),
    Column("url", Text),
    Column("reported_count", Integer, nullable=False),
    Column("pending_count", Integer),
    Column("fixed", Boolean, nullable=False),
    Column("resolution", Text, nullable=False),
    Column("notified", Boolean, nullable=False),
    Column("taught", Boolean, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # webhooks find a record by the tracker's key
    Index(None, "tracker", "ticket_key"),
)

crawled_pages = Table(
    "crawled_pages",
    metadata,
    Column("url", String(2048), primary_key=True),
    Column("site", String(512), nullable=False, index=True),
    Column("etag", String(512)),
    Column("last_modified", String(128)),
    Column("crawled_at", UTCDateTime, nullable=False),
)
