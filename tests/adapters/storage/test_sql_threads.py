"""Conversations in SQL (SQLite and PostgreSQL): one per thread even when opened at once, messages
recorded once, edits and deletions, filters, and migration 0012 against ``threads_schema.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.migrate import connect
from adapters.storage.sql.schema import metadata
from adapters.storage.sql.threads_schema import conversation_messages, support_conversations
from assistant.threads import Conversation, ThreadMessage, ThreadState

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
async def conversations(database_url: str) -> AsyncIterator[SqlConversationStore]:
    store = SqlConversationStore(database_url)
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()


def started(thread: str = "1.1", account: str = "acme") -> Conversation:
    return Conversation.start(platform="slack", channel="C1", thread=thread, account=account, asker="U1")


def said(conversation_id: str, n: int, text: str | None = "hello") -> ThreadMessage:
    return ThreadMessage(
        conversation_id=conversation_id,
        message_id=f"1.{n}",
        author="U1",
        speaker="customer",
        kind="follow_up",
        text=text,
        created_at=T0 + timedelta(minutes=n),
    )


async def test_a_thread_has_one_conversation_however_many_open_it(
    conversations: SqlConversationStore,
) -> None:
    opened = await asyncio.gather(*(conversations.open_conversation(started()) for _ in range(6)))
    assert len({c.id for c in opened}) == 1
    assert await conversations.get_conversation("slack", "C1", "1.1") == opened[0]
    assert await conversations.get_conversation("teams", "C1", "1.1") is None


async def test_state_owner_and_participants_are_saved(conversations: SqlConversationStore) -> None:
    opened = await conversations.open_conversation(started())
    changed = opened.moved(
        ThreadState.HANDED_OFF,
        owner="U_AGENT",
        answer_id="ans_1",
        handoff_channel="C_SUP",
        handoff_post="9.9",
    ).joined("U2")
    await conversations.save_conversation(changed)
    stored = await conversations.conversation_by_id(opened.id)
    assert stored is not None
    assert (stored.state, stored.owner, stored.participants) == (
        ThreadState.HANDED_OFF,
        "U_AGENT",
        ("U1", "U2"),
    )
    assert (stored.handoff_channel, stored.handoff_post, stored.answer_id) == ("C_SUP", "9.9", "ans_1")
    assert stored.first_response_at == changed.first_response_at


async def test_a_message_is_recorded_once_and_edits_and_deletions_apply(
    conversations: SqlConversationStore,
) -> None:
    conversation = await conversations.open_conversation(started())
    assert await conversations.add_thread_message(said(conversation.id, 1, "first"))
    assert not await conversations.add_thread_message(said(conversation.id, 1, "first"))  # redelivered
    assert await conversations.add_thread_message(said(conversation.id, 2, "second"))
    assert await conversations.edit_thread_message("slack", "C1", "1.1", "first, edited") == 1
    assert await conversations.edit_thread_message("slack", "C1", "1.2", None) == 1
    assert await conversations.edit_thread_message("slack", "C_OTHER", "1.1", "x") == 0
    messages = await conversations.thread_messages(conversation.id)
    assert [(m.message_id, m.text) for m in messages] == [("1.1", "first, edited"), ("1.2", None)]
    latest = await conversations.thread_messages(conversation.id, limit=1)
    assert [m.message_id for m in latest] == ["1.2"]


async def test_conversations_are_listed_by_account_and_state(conversations: SqlConversationStore) -> None:
    a = await conversations.open_conversation(started("1.1", "acme"))
    await conversations.open_conversation(started("1.2", "globex"))
    await conversations.save_conversation(a.moved(ThreadState.ANSWERED))
    assert [c.account for c in await conversations.list_conversations(account="globex")] == ["globex"]
    answered = await conversations.list_conversations(state=ThreadState.ANSWERED)
    assert [c.id for c in answered] == [a.id]
    assert len(await conversations.list_conversations()) == 2
    assert await conversations.list_conversations(account="acme", state=ThreadState.OPEN) == []


async def test_migration_0012_matches_the_schema(
    database_url: str, conversations: SqlConversationStore
) -> None:
    engine = connect(database_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            assert version is not None

            def differences(sync_conn: Connection) -> list[object]:
                ours = set(metadata.tables)
                assert {support_conversations.name, conversation_messages.name} <= ours
                context = MigrationContext.configure(
                    sync_conn, opts={"include_name": lambda name, kind, _: kind != "table" or name in ours}
                )
                return list(compare_metadata(context, metadata))

            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_a_conditional_save_loses_to_a_change_that_came_first(
    conversations: SqlConversationStore,
) -> None:
    opened = await conversations.open_conversation(started())
    first = opened.moved(ThreadState.ANSWERED, answer_id="ans_1")
    assert await conversations.save_conversation(first, expected=opened.updated_at)
    late = opened.moved(ThreadState.HANDED_OFF)  # based on what was read before the first change
    assert not await conversations.save_conversation(late, expected=opened.updated_at)
    stored = await conversations.conversation_by_id(opened.id)
    assert (
        stored is not None and stored.state is ThreadState.ANSWERED and stored.updated_at == first.updated_at
    )


async def test_waiting_conversations_are_found_by_when_people_were_asked(
    conversations: SqlConversationStore,
) -> None:
    handed = (await conversations.open_conversation(started())).moved(ThreadState.HANDED_OFF)
    assert handed.waiting_since is not None
    await conversations.save_conversation(handed)
    await conversations.open_conversation(started("1.2"))  # open: not waiting on people
    assert await conversations.waiting_since(handed.waiting_since) == []
    [found] = await conversations.waiting_since(handed.waiting_since + timedelta(seconds=1))
    assert found.id == handed.id and found.waiting_since == handed.waiting_since


async def test_customers_writing_at_once_all_join_the_conversation(
    conversations: SqlConversationStore,
) -> None:
    from assistant.dialogue import Threads

    threads = Threads(store=conversations)
    opened = await conversations.open_conversation(started())
    users = [f"U{n}" for n in range(2, 8)]
    await asyncio.gather(
        *(
            threads.customer_said(opened, message_id=f"m{n}", user=user, text="hi")
            for n, user in enumerate(users)
        )
    )
    stored = await conversations.conversation_by_id(opened.id)
    assert stored is not None and set(stored.participants) == {"U1", *users}
    assert len(await conversations.thread_messages(opened.id)) == len(users)


async def test_a_long_threads_context_keeps_its_first_question_within_the_budget(
    conversations: SqlConversationStore,
) -> None:
    from assistant.dialogue import CONTEXT_MESSAGES, Threads
    from assistant.threads import CONTEXT_BUDGET_CHARS

    threads = Threads(store=conversations)
    opened = await conversations.open_conversation(started())
    first = "How do I set up recurring invoices for our German subsidiary?"
    await conversations.add_thread_message(said(opened.id, 0, first))
    for n in range(1, CONTEXT_MESSAGES + 100):
        await conversations.add_thread_message(said(opened.id, n, f"message {n} " + "x" * 80))
    context = await threads.context(opened)
    assert context.turns[0].text == first
    assert context.turns[-1].text.startswith(f"message {CONTEXT_MESSAGES + 99} ")
    assert sum(len(t.text) for t in context.turns) <= CONTEXT_BUDGET_CHARS
    assert context.omitted > CONTEXT_MESSAGES // 2
    assert [m.message_id for m in await conversations.thread_messages(opened.id, limit=2, oldest=True)] == [
        "1.0",
        "1.1",
    ]
