"""``ThreadStore`` on SQLAlchemy Core: customer threads as conversations, and their messages.

A mixin of ``SqlConversationStore`` (same engine, same transactions). Opening a conversation is
``INSERT ... ON CONFLICT DO NOTHING`` on (platform, channel, thread) followed by a read, so two
processes handling two messages of one new thread end up with one conversation; recording a
message is the same on (conversation, message id), so a redelivered event is recorded once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update

from adapters.storage.sql.base import SqlStoreBase
from adapters.storage.sql.threads_schema import conversation_messages, support_conversations
from assistant.threads import Conversation, ThreadMessage, ThreadState

__all__ = ["SqlThreads"]

_conv = support_conversations.c
_msg = conversation_messages.c


class SqlThreads(SqlStoreBase):
    """The conversation methods of the conversation store."""

    async def open_conversation(self, conversation: Conversation) -> Conversation:
        statement = self._insert(support_conversations).values(_row(conversation)).on_conflict_do_nothing()
        async with self._transaction(write=True) as conn:
            await conn.execute(statement)
        stored = await self.get_conversation(conversation.platform, conversation.channel, conversation.thread)
        assert stored is not None  # inserted, or there already
        return stored

    async def get_conversation(self, platform: str, channel: str, thread: str) -> Conversation | None:
        query = select(support_conversations).where(
            _conv.platform == platform, _conv.channel_id == channel, _conv.thread_ts == thread
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _conversation(row) if row is not None else None

    async def conversation_by_id(self, conversation_id: str) -> Conversation | None:
        query = select(support_conversations).where(_conv.id == conversation_id)
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _conversation(row) if row is not None else None

    async def conversation_by_post(self, platform: str, channel: str, post: str) -> Conversation | None:
        query = select(support_conversations).where(
            _conv.platform == platform, _conv.handoff_channel == channel, _conv.handoff_post == post
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _conversation(row) if row is not None else None

    async def save_conversation(
        self, conversation: Conversation, *, expected: datetime | None = None
    ) -> bool:
        values = _row(conversation)
        for key in ("id", "platform", "channel_id", "thread_ts", "created_at"):
            values.pop(key)
        statement = update(support_conversations).where(_conv.id == conversation.id)
        if expected is not None:  # a conditional update: two changes at once cannot both win
            statement = statement.where(_conv.updated_at == expected)
        async with self._transaction(write=True) as conn:
            result = await conn.execute(statement.values(values))
        return bool(result.rowcount == 1)

    async def waiting_since(self, before: datetime, *, limit: int = 200) -> list[Conversation]:
        query = (
            select(support_conversations)
            .where(_conv.state == ThreadState.HANDED_OFF.value, _conv.waiting_since < before)
            .order_by(_conv.waiting_since, _conv.id)
            .limit(limit)
        )
        async with self._transaction() as conn:
            return [_conversation(row) for row in await conn.execute(query)]

    async def list_conversations(
        self, *, account: str | None = None, state: ThreadState | None = None, limit: int = 50
    ) -> list[Conversation]:
        query = select(support_conversations)
        if account is not None:
            query = query.where(_conv.account == account)
        if state is not None:
            query = query.where(_conv.state == ThreadState(state).value)
        query = query.order_by(_conv.updated_at.desc(), _conv.id).limit(limit)
        async with self._transaction() as conn:
            return [_conversation(row) for row in await conn.execute(query)]

    # messages

    async def add_thread_message(self, message: ThreadMessage) -> bool:
        values = {
            "conversation_id": message.conversation_id,
            "message_id": message.message_id,
            "author": message.author,
            "speaker": message.speaker,
            "kind": message.kind,
            "text": message.text,
            "answer_id": message.answer_id,
            "created_at": message.created_at,
        }
        statement = self._insert(conversation_messages).values(values).on_conflict_do_nothing()
        async with self._transaction(write=True) as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount == 1)

    async def get_thread_message(self, conversation_id: str, message_id: str) -> ThreadMessage | None:
        query = select(conversation_messages).where(
            _msg.conversation_id == conversation_id, _msg.message_id == message_id
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return _message(row) if row is not None else None

    async def thread_messages(
        self, conversation_id: str, *, limit: int = 500, oldest: bool = False
    ) -> list[ThreadMessage]:
        order = (
            (_msg.created_at, _msg.message_id) if oldest else (_msg.created_at.desc(), _msg.message_id.desc())
        )
        query = (
            select(conversation_messages)
            .where(_msg.conversation_id == conversation_id)
            .order_by(*order)
            .limit(limit)
        )
        async with self._transaction() as conn:
            rows = (await conn.execute(query)).all()
        found = [_message(row) for row in rows]
        return found if oldest else found[::-1]

    async def edit_thread_message(
        self, platform: str, channel: str, message_id: str, text: str | None
    ) -> int:
        of_channel = select(_conv.id).where(_conv.platform == platform, _conv.channel_id == channel)
        statement = (
            update(conversation_messages)
            .where(_msg.message_id == message_id, _msg.conversation_id.in_(of_channel))
            .values(text=text)
        )
        async with self._transaction(write=True) as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)


def _row(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "platform": conversation.platform,
        "channel_id": conversation.channel,
        "thread_ts": conversation.thread,
        "account": conversation.account,
        "state": conversation.state.value,
        "asker": conversation.asker,
        "owner": conversation.owner,
        "participants": list(conversation.participants),
        "answer_id": conversation.answer_id,
        "handoff_channel": conversation.handoff_channel,
        "handoff_post": conversation.handoff_post,
        "link": conversation.link,
        "first_response_at": conversation.first_response_at,
        "csat": conversation.csat,
        "waiting_since": conversation.waiting_since,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }


def _conversation(row: Row[Any]) -> Conversation:
    return Conversation(
        id=row.id,
        platform=row.platform,
        channel=row.channel_id,
        thread=row.thread_ts,
        account=row.account,
        state=ThreadState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        asker=row.asker,
        owner=row.owner,
        participants=tuple(row.participants or ()),
        answer_id=row.answer_id,
        handoff_channel=row.handoff_channel,
        handoff_post=row.handoff_post,
        link=row.link,
        first_response_at=row.first_response_at,
        csat=row.csat,
        waiting_since=row.waiting_since,
    )


def _message(row: Row[Any]) -> ThreadMessage:
    return ThreadMessage(
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        author=row.author,
        speaker=row.speaker,
        kind=row.kind,
        text=row.text,
        created_at=row.created_at,
        answer_id=row.answer_id,
    )
