"""``ConversationStore`` on SQLAlchemy Core, in the same database as the knowledge store.

Built on an engine from ``migrate.connect`` (or one passed in), so SQLite gets the same WAL,
foreign-key and transaction set-up as the knowledge store; ``initialize`` runs the migrations
(idempotent; it is harmless when the knowledge store ran them already).

The "first time only" claims are plain ``INSERT ... ON CONFLICT DO NOTHING`` on a primary key,
which is atomic on SQLite and PostgreSQL alike: two processes receiving the same retried event
cannot both win. The inbox's sweep claims a pending event with ``UPDATE ... WHERE status =
'pending' AND lease_until < now``: only the instance whose update matched the row (rowcount 1)
processes it, so two instances sweeping at once never both take one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update

from adapters.storage.sql.base import SqlStoreBase
from adapters.storage.sql.candidates import SqlCandidates
from adapters.storage.sql.candidates_schema import channel_orgs, reply_candidates
from adapters.storage.sql.conversations_schema import (
    channel_bindings,
    conversation_references,
    handoff_claims,
    inbox_events,
    message_links,
    people,
    platform_events,
)
from adapters.storage.sql.threads import SqlThreads
from assistant.conversations import (
    LINK_KINDS,
    ChannelBinding,
    InboxEvent,
    InboxStatus,
    LinkKind,
    MessageLink,
)
from assistant.errors import InvalidInputError
from assistant.models import utcnow

__all__ = ["SqlConversationStore"]


class SqlConversationStore(SqlCandidates, SqlThreads, SqlStoreBase):
    """Conversation state in SQL; pass the knowledge store's URL (or an engine to share)."""

    async def _insert_once(self, table: Any, values: dict[str, Any]) -> bool:
        statement = self._insert(table).values(values).on_conflict_do_nothing()
        async with self._transaction(write=True) as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount == 1)

    # events and claims

    async def claim_event(self, platform: str, event_id: str) -> bool:
        if not event_id:
            raise InvalidInputError("An event needs an id to be claimed.")
        values = {"platform": platform, "event_id": event_id, "received_at": utcnow()}
        return await self._insert_once(platform_events, values)

    async def release_event(self, platform: str, event_id: str) -> None:
        statement = delete(platform_events).where(
            platform_events.c.platform == platform, platform_events.c.event_id == event_id
        )
        async with self._transaction(write=True) as conn:
            await conn.execute(statement)

    async def claim_handoff(self, answer_id: str, agent: str) -> bool:
        values = {"answer_id": answer_id, "agent": agent, "claimed_at": utcnow()}
        return await self._insert_once(handoff_claims, values)

    # the inbox

    async def receive_event(
        self, platform: str, event_id: str, body: Mapping[str, Any], *, lease_seconds: float
    ) -> bool:
        if not event_id:
            raise InvalidInputError("An event needs an id to be received.")
        now = utcnow()
        values = {
            "platform": platform,
            "event_id": event_id,
            "body": dict(body),
            "status": "pending",
            "attempts": 1,
            "lease_until": now + timedelta(seconds=lease_seconds),
            "created_at": now,
        }
        return await self._insert_once(inbox_events, values)

    async def claim_pending_events(
        self, platform: str, *, lease_seconds: float, limit: int = 100, exclude: Collection[str] = ()
    ) -> list[InboxEvent]:
        now = utcnow()
        expired = (
            inbox_events.c.platform == platform,
            inbox_events.c.status == "pending",
            inbox_events.c.lease_until < now,
        )
        query = select(inbox_events.c.event_id).where(*expired)
        if exclude:
            query = query.where(inbox_events.c.event_id.not_in(list(exclude)))
        query = query.order_by(inbox_events.c.created_at).limit(limit)
        async with self._transaction() as conn:
            candidates = list((await conn.execute(query)).scalars())
        claimed = []
        for event_id in candidates:
            take = (
                update(inbox_events)
                .where(*expired, inbox_events.c.event_id == event_id)
                .values(
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=inbox_events.c.attempts + 1,
                )
            )
            async with self._transaction(write=True) as conn:
                if (await conn.execute(take)).rowcount != 1:
                    continue  # another instance took it first
                row = (
                    await conn.execute(
                        select(inbox_events).where(
                            inbox_events.c.platform == platform, inbox_events.c.event_id == event_id
                        )
                    )
                ).one()
            claimed.append(_inbox_event(row))
        return claimed

    async def retry_event_after(self, platform: str, event_id: str, seconds: float) -> None:
        statement = (
            update(inbox_events)
            .where(
                inbox_events.c.platform == platform,
                inbox_events.c.event_id == event_id,
                inbox_events.c.status == "pending",
            )
            .values(lease_until=utcnow() + timedelta(seconds=seconds))
        )
        async with self._transaction(write=True) as conn:
            await conn.execute(statement)

    async def finish_event(self, platform: str, event_id: str, status: InboxStatus = "done") -> None:
        if status not in ("done", "failed"):
            raise InvalidInputError(f"An event finishes 'done' or 'failed', not {status!r}.")
        statement = (
            update(inbox_events)
            .where(inbox_events.c.platform == platform, inbox_events.c.event_id == event_id)
            .values(status=status, finished_at=utcnow(), body={})  # the body is no longer needed
        )
        async with self._transaction(write=True) as conn:
            await conn.execute(statement)

    async def prune_events(self, platform: str, before: datetime) -> int:
        statement = delete(inbox_events).where(
            inbox_events.c.platform == platform,
            inbox_events.c.status != "pending",
            inbox_events.c.finished_at < before,
        )
        async with self._transaction(write=True) as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)

    async def forget_message(self, platform: str, channel_id: str, message_ts: str) -> int:
        rows = select(inbox_events.c.event_id, inbox_events.c.body).where(inbox_events.c.platform == platform)
        changed = 0
        async with self._transaction(write=True) as conn:
            held = [
                row.event_id
                for row in (await conn.execute(rows)).all()
                if _holds(row.body, channel_id, message_ts)
            ]
            if held:
                result = await conn.execute(
                    update(inbox_events)
                    .where(inbox_events.c.platform == platform, inbox_events.c.event_id.in_(held))
                    .values(body={}, status="done", finished_at=utcnow())
                )
                changed += int(result.rowcount)
            result = await conn.execute(
                delete(reply_candidates).where(
                    reply_candidates.c.platform == platform,
                    reply_candidates.c.channel_id == channel_id,
                    reply_candidates.c.message_ts == message_ts,
                )
            )
            changed += int(result.rowcount)
        return changed

    # channels

    async def bind_channel(self, binding: ChannelBinding) -> None:
        values = {
            "platform": binding.platform,
            "channel_id": binding.channel_id,
            "account": binding.account,
            "kind": binding.kind,
            "handoff_channel": binding.handoff_channel,
            "updated_at": utcnow(),
        }
        await self._upsert(channel_bindings, values, ["platform", "channel_id"])

    async def unbind_channel(self, platform: str, channel_id: str) -> bool:
        bound = (channel_bindings.c.platform == platform, channel_bindings.c.channel_id == channel_id)
        orgs = (channel_orgs.c.platform == platform, channel_orgs.c.channel_id == channel_id)
        async with self._transaction(write=True) as conn:
            removed = (await conn.execute(delete(channel_bindings).where(*bound))).rowcount
            await conn.execute(delete(channel_orgs).where(*orgs))
        return bool(removed)

    async def get_channel(self, platform: str, channel_id: str) -> ChannelBinding | None:
        query = select(channel_bindings).where(
            channel_bindings.c.platform == platform, channel_bindings.c.channel_id == channel_id
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _binding(row) if row is not None else None

    async def list_channels(self, platform: str) -> list[ChannelBinding]:
        query = (
            select(channel_bindings)
            .where(channel_bindings.c.platform == platform)
            .order_by(channel_bindings.c.kind, channel_bindings.c.account, channel_bindings.c.channel_id)
        )
        async with self._transaction() as conn:
            return [_binding(row) for row in await conn.execute(query)]

    # messages

    async def link_message(
        self,
        platform: str,
        channel_id: str,
        message_ts: str,
        thread_ts: str,
        answer_id: str,
        question_id: str,
        kind: LinkKind,
    ) -> None:
        if kind not in LINK_KINDS:
            raise InvalidInputError(f"Unknown message link kind {kind!r}.")
        values = {
            "platform": platform,
            "channel_id": channel_id,
            "message_ts": message_ts,
            "thread_ts": thread_ts,
            "answer_id": answer_id,
            "question_id": question_id,
            "kind": kind,
            "created_at": utcnow(),
        }
        await self._upsert(message_links, values, ["platform", "channel_id", "message_ts"])

    async def find_link(self, platform: str, channel_id: str, message_ts: str) -> MessageLink | None:
        query = select(message_links).where(
            message_links.c.platform == platform,
            message_links.c.channel_id == channel_id,
            message_links.c.message_ts == message_ts,
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _link(row) if row is not None else None

    async def find_thread(self, platform: str, channel_id: str, thread_ts: str) -> MessageLink | None:
        query = (
            select(message_links)
            .where(
                message_links.c.platform == platform,
                message_links.c.channel_id == channel_id,
                message_links.c.thread_ts == thread_ts,
                message_links.c.kind.in_(("answer", "handoff")),
            )
            .order_by(message_links.c.created_at.desc(), message_links.c.message_ts.desc())
            .limit(1)
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _link(row) if row is not None else None

    # proactive messaging

    async def save_reference(self, platform: str, conversation_id: str, reference: Mapping[str, Any]) -> None:
        if not conversation_id:
            raise InvalidInputError("A conversation reference needs the conversation's id.")
        values = {
            "platform": platform,
            "conversation_id": conversation_id,
            "reference": dict(reference),
            "updated_at": utcnow(),
        }
        await self._upsert(conversation_references, values, ["platform", "conversation_id"])

    async def get_reference(self, platform: str, conversation_id: str) -> dict[str, Any] | None:
        query = select(conversation_references.c.reference).where(
            conversation_references.c.platform == platform,
            conversation_references.c.conversation_id == conversation_id,
        )
        async with self._transaction() as conn:
            reference = (await conn.execute(query)).scalar_one_or_none()
        return dict(reference) if reference is not None else None

    async def remember_name(self, platform: str, user_id: str, name: str) -> None:
        if not user_id or not name.strip() or name == user_id:
            return
        values = {
            "platform": platform,
            "user_id": user_id,
            "name": name.strip()[:255],
            "updated_at": utcnow(),
        }
        await self._upsert(people, values, ["platform", "user_id"])

    async def forget_references(self, platform: str, conversation_id: str) -> int:
        if not conversation_id:
            return 0
        ids = conversation_references.c.conversation_id
        query = delete(conversation_references).where(
            conversation_references.c.platform == platform,
            func.substr(ids, 1, len(conversation_id)) == conversation_id,
        )
        async with self._transaction(write=True) as conn:
            result = await conn.execute(query)
        return int(result.rowcount or 0)


def _holds(body: Any, channel_id: str, message_ts: str) -> bool:
    """True when an inbox body carries the message ``message_ts`` of ``channel_id``: the message
    itself, an edit of it (``message``, ``previous_message``), in Slack's event shape."""
    event = body.get("event") if isinstance(body, dict) else None
    if not isinstance(event, dict) or event.get("channel") != channel_id:
        return False
    stamps = {event.get("ts")}
    for inner in ("message", "previous_message"):
        if isinstance(event.get(inner), dict):
            stamps.add(event[inner].get("ts"))
    return message_ts in stamps and event.get("subtype") != "message_deleted"


def _binding(row: Row[Any]) -> ChannelBinding:
    return ChannelBinding(
        platform=row.platform,
        channel_id=row.channel_id,
        account=row.account,
        kind=row.kind,
        handoff_channel=row.handoff_channel,
    )


def _inbox_event(row: Row[Any]) -> InboxEvent:
    return InboxEvent(
        platform=row.platform,
        event_id=row.event_id,
        body=dict(row.body),
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
    )


def _link(row: Row[Any]) -> MessageLink:
    return MessageLink(
        platform=row.platform,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        thread_ts=row.thread_ts,
        answer_id=row.answer_id,
        question_id=row.question_id,
        kind=row.kind,
        created_at=row.created_at,
    )
