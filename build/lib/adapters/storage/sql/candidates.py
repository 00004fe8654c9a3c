"""``CandidateStore`` on SQLAlchemy Core: agents' replies kept as candidates, signal marks, and the
organisations that belong to a customer channel.

A mixin of ``SqlConversationStore`` (same engine, same transactions). Saving a candidate is an
``INSERT ... ON CONFLICT DO NOTHING`` (a redelivered message is kept once); promoting one is a
conditional ``UPDATE ... WHERE event_id IS <expected>``, so two promotions at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, delete, select, update

from adapters.storage.sql.base import SqlStoreBase
from adapters.storage.sql.candidates_schema import channel_orgs, reply_candidates, signal_marks
from assistant.learning.candidates import ReplyCandidate
from assistant.models import Signal, utcnow

__all__ = ["SqlCandidates"]


class SqlCandidates(SqlStoreBase):
    """The candidate and signal-mark methods of the conversation store."""

    async def save_candidate(self, candidate: ReplyCandidate) -> bool:
        values: dict[str, Any] = {
            "platform": candidate.platform,
            "channel_id": candidate.channel_id,
            "message_ts": candidate.message_ts,
            "thread_ts": candidate.thread_ts,
            "answer_id": candidate.answer_id,
            "signal": candidate.signal.value,
            "actor": candidate.actor,
            "text": candidate.text,
            "created_at": candidate.created_at,
            "event_id": candidate.event_id,
            "promoted_by": candidate.promoted_by,
        }
        statement = self._insert(reply_candidates).values(values).on_conflict_do_nothing()
        async with self._transaction(write=True) as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount == 1)

    async def get_candidate(self, platform: str, channel_id: str, message_ts: str) -> ReplyCandidate | None:
        query = select(reply_candidates).where(
            reply_candidates.c.platform == platform,
            reply_candidates.c.channel_id == channel_id,
            reply_candidates.c.message_ts == message_ts,
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _candidate(row) if row is not None else None

    async def thread_candidates(self, platform: str, channel_id: str, thread_ts: str) -> list[ReplyCandidate]:
        query = (
            select(reply_candidates)
            .where(
                reply_candidates.c.platform == platform,
                reply_candidates.c.channel_id == channel_id,
                reply_candidates.c.thread_ts == thread_ts,
            )
            .order_by(reply_candidates.c.created_at.desc(), reply_candidates.c.message_ts.desc())
        )
        async with self._transaction() as conn:
            rows = (await conn.execute(query)).all()
        return [_candidate(row) for row in rows]

    async def swap_candidate_event(
        self,
        platform: str,
        channel_id: str,
        message_ts: str,
        *,
        expected: str | None,
        new: str | None,
        promoted_by: str | None,
    ) -> bool:
        column = reply_candidates.c.event_id
        statement = (
            update(reply_candidates)
            .where(
                reply_candidates.c.platform == platform,
                reply_candidates.c.channel_id == channel_id,
                reply_candidates.c.message_ts == message_ts,
                column.is_(None) if expected is None else column == expected,
            )
            .values(event_id=new, promoted_by=promoted_by)
        )
        async with self._transaction(write=True) as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount == 1)

    async def record_mark(self, platform: str, mark: str, event_id: str) -> None:
        values = {"platform": platform, "mark": mark, "event_id": event_id, "created_at": utcnow()}
        await self._upsert(signal_marks, values, ("platform", "mark"))

    async def pop_mark(self, platform: str, mark: str) -> str | None:
        where = (signal_marks.c.platform == platform, signal_marks.c.mark == mark)
        async with self._transaction(write=True) as conn:
            event_id = (await conn.execute(select(signal_marks.c.event_id).where(*where))).scalar()
            if event_id is not None:
                await conn.execute(delete(signal_marks).where(*where))
        return str(event_id) if event_id is not None else None

    async def set_channel_orgs(self, platform: str, channel_id: str, orgs: Collection[str]) -> None:
        where = (channel_orgs.c.platform == platform, channel_orgs.c.channel_id == channel_id)
        now = utcnow()
        rows = [
            {"platform": platform, "channel_id": channel_id, "org_id": org, "created_at": now} for org in orgs
        ]
        async with self._transaction(write=True) as conn:
            await conn.execute(delete(channel_orgs).where(*where))
            if rows:
                await conn.execute(channel_orgs.insert(), rows)

    async def get_channel_orgs(self, platform: str, channel_id: str) -> frozenset[str]:
        query = select(channel_orgs.c.org_id).where(
            channel_orgs.c.platform == platform, channel_orgs.c.channel_id == channel_id
        )
        async with self._transaction() as conn:
            return frozenset(str(org) for org in (await conn.execute(query)).scalars())


def _candidate(row: Row[Any]) -> ReplyCandidate:
    return ReplyCandidate(
        platform=row.platform,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        thread_ts=row.thread_ts,
        answer_id=row.answer_id,
        signal=Signal(row.signal),
        actor=row.actor,
        text=row.text,
        created_at=row.created_at,
        event_id=row.event_id,
        promoted_by=row.promoted_by,
    )
