"""SqlConversationStore on SQLite and PostgreSQL: claims, bindings, links, threads, migration 0002."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.conversations_schema import (
    channel_bindings,
    handoff_claims,
    message_links,
    platform_events,
)
from adapters.storage.sql.migrate import alembic_config, connect
from adapters.storage.sql.schema import metadata
from assistant.conversations import ChannelBinding
from assistant.errors import InvalidInputError

conversation_tables = (platform_events, channel_bindings, message_links, handoff_claims)


@pytest.fixture
async def conversations(database_url: str) -> AsyncIterator[SqlConversationStore]:
    store = SqlConversationStore(database_url)
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()


async def test_an_event_is_claimed_once_even_concurrently(conversations: SqlConversationStore) -> None:
    results = await asyncio.gather(*(conversations.claim_event("slack", "Ev1") for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert await conversations.claim_event("teams", "Ev1") is True
    assert await conversations.claim_event("slack", "Ev2") is True


async def test_claims_survive_a_restart(database_url: str) -> None:
    first = SqlConversationStore(database_url)
    await first.initialize()
    assert await first.claim_event("slack", "Ev1")
    assert await first.claim_handoff("ans_1", "U1")
    await first.close()
    second = SqlConversationStore(database_url)
    await second.initialize()
    try:
        assert not await second.claim_event("slack", "Ev1")
        assert not await second.claim_handoff("ans_1", "U2")
        assert await second.claim_handoff("ans_2", "U2")
    finally:
        await second.close()


async def test_bindings_are_replaced_and_listed(conversations: SqlConversationStore) -> None:
    await conversations.bind_channel(ChannelBinding("slack", "C1", "acme", "customer", "C9"))
    await conversations.bind_channel(ChannelBinding("slack", "C9", None, "internal"))
    await conversations.bind_channel(ChannelBinding("slack", "C1", "acme-eu", "customer", None))
    assert await conversations.get_channel("slack", "C1") == ChannelBinding(
        "slack", "C1", "acme-eu", "customer"
    )
    assert await conversations.get_channel("teams", "C1") is None
    assert [b.channel_id for b in await conversations.list_channels("slack")] == ["C1", "C9"]


def test_a_binding_is_checked() -> None:
    with pytest.raises(InvalidInputError):
        ChannelBinding("slack", "C1", None, "customer")
    with pytest.raises(InvalidInputError):
        ChannelBinding("slack", "C1", "acme", "partner")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        ChannelBinding("slack", "C1", "acme", "customer", "C1")


async def test_links_and_the_latest_answer_of_a_thread(conversations: SqlConversationStore) -> None:
    await conversations.link_message("slack", "C1", "100.1", "100.1", "ans_1", "q_1", "question")
    assert await conversations.find_thread("slack", "C1", "100.1") is None
    await conversations.link_message("slack", "C1", "100.2", "100.1", "ans_1", "q_1", "answer")
    await conversations.link_message("slack", "C1", "100.3", "100.1", "ans_1", "q_1", "handoff")
    latest = await conversations.find_thread("slack", "C1", "100.1")
    assert latest is not None and (latest.message_ts, latest.kind) == ("100.3", "handoff")
    link = await conversations.find_link("slack", "C1", "100.2")
    assert link is not None and (link.answer_id, link.thread_ts, link.kind) == ("ans_1", "100.1", "answer")
    assert await conversations.find_link("slack", "C2", "100.2") is None
    with pytest.raises(InvalidInputError):
        await conversations.link_message("slack", "C1", "100.4", "100.1", "ans_1", "q_1", "reply")  # type: ignore[arg-type]


async def test_ping_and_migration_0002_match_the_schema(
    database_url: str, conversations: SqlConversationStore
) -> None:
    assert await conversations.ping()
    engine = connect(database_url)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            script = ScriptDirectory.from_config(alembic_config(database_url))
            assert "0002" in {rev.revision for rev in script.iterate_revisions(versions[0], "base")}

            def differences(sync_conn: Connection) -> list[object]:
                # Every table an imported schema module declares (the conversation tables among them).
                ours = set(metadata.tables)
                assert {table.name for table in conversation_tables} <= ours
                context = MigrationContext.configure(
                    sync_conn, opts={"include_name": lambda name, kind, _: kind != "table" or name in ours}
                )
                return list(compare_metadata(context, metadata))

            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_a_shared_engine_is_not_disposed(database_url: str) -> None:
    engine = connect(database_url)
    store = SqlConversationStore(engine)
    await store.initialize()
    await store.close()
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()
