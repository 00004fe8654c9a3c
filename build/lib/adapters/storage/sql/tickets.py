"""``TicketLedger`` and ``ThreadLocator`` on SQLAlchemy Core: bug tickets and where customers asked.

The ledger is the ``bug_tickets`` table (``integrations_schema``); the threads come from the
chat adapters' ``message_links`` (the customer's question message, kind ``question``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select

from adapters.storage.sql.base import SqlStoreBase
from adapters.storage.sql.conversations_schema import message_links
from adapters.storage.sql.integrations_schema import bug_tickets
from adapters.storage.sql.schema import questions
from assistant.integrations.tickets import Thread, TicketRecord, TicketState
from assistant.models import utcnow


class SqlTicketLedger(SqlStoreBase):
    """Ticket records and question threads in the app's database."""

    async def get_ticket(self, bug_id: str, tracker: str) -> TicketRecord | None:
        query = select(bug_tickets).where(bug_tickets.c.bug_id == bug_id, bug_tickets.c.tracker == tracker)
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _record(row) if row is not None else None

    async def find_ticket(self, tracker: str, key: str) -> TicketRecord | None:
        query = select(bug_tickets).where(
            bug_tickets.c.tracker == tracker,
            or_(bug_tickets.c.ticket_key == key, bug_tickets.c.external_id == key),
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _record(row) if row is not None else None

    async def tickets(self, *, states: Sequence[TicketState] | None = None) -> list[TicketRecord]:
        query = select(bug_tickets).order_by(bug_tickets.c.created_at, bug_tickets.c.bug_id)
        if states is not None:
            query = query.where(bug_tickets.c.state.in_([TicketState(s).value for s in states]))
        async with self._transaction() as conn:
            return [_record(row) for row in await conn.execute(query)]

    async def save_ticket(self, record: TicketRecord) -> None:
        await self._upsert(bug_tickets, _row(record), ["bug_id", "tracker"])

    async def threads_of(self, question_ids: Sequence[str]) -> list[Thread]:
        if not question_ids:
            return []
        query = (
            select(
                message_links.c.platform,
                message_links.c.channel_id,
                message_links.c.thread_ts,
                questions.c.account,
            )
            .select_from(message_links.join(questions, questions.c.id == message_links.c.question_id))
            .where(message_links.c.question_id.in_(list(question_ids)), message_links.c.kind == "question")
            .order_by(message_links.c.created_at)
        )
        async with self._transaction() as conn:
            rows = (await conn.execute(query)).all()
        seen: dict[tuple[str, str, str], Thread] = {}
        for platform, channel, ts, account in rows:
            seen.setdefault((platform, channel, ts), Thread(platform, channel, ts, account))
        return list(seen.values())


def _row(record: TicketRecord) -> dict[str, Any]:
    now = utcnow()
    return {
        "bug_id": record.bug_id,
        "tracker": record.tracker,
        "state": TicketState(record.state).value,
        "marker": record.marker,
        "external_id": record.external_id,
        "ticket_key": record.key,
        "url": record.url,
        "reported_count": record.reported_count,
        "pending_count": record.pending_count,
        "fixed": record.fixed,
        "resolution": record.resolution,
        "notified": record.notified,
        "taught": record.taught,
        "last_error": record.last_error,
        "created_at": record.created_at or now,
        "updated_at": record.updated_at or now,
    }


def _record(row: Any) -> TicketRecord:
    return TicketRecord(
        bug_id=row.bug_id,
        tracker=row.tracker,
        state=TicketState(row.state),
        marker=row.marker,
        external_id=row.external_id,
        key=row.ticket_key,
        url=row.url,
        reported_count=row.reported_count,
        pending_count=row.pending_count,
        fixed=bool(row.fixed),
        resolution=row.resolution,
        notified=bool(row.notified),
        taught=bool(row.taught),
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
