"""``assistant migrate-store``: a SQLite store copied to PostgreSQL, every table counted, and the copy
answering exactly as the original did."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.copy import copy_store
from adapters.storage.sql.migrate import connect
from adapters.storage.sql.schema import item_changes
from adapters.wiring import build_assistant
from assistant.config import load_settings
from assistant.conversations import ChannelBinding
from assistant.errors import InvalidInputError
from assistant.knowledge.ingestion import Ingestor
from assistant.models import Question, Role, Signal, utcnow
from assistant.threads import Conversation, ThreadMessage
from tests.conftest import SAMPLES
from tests.postgres import fresh_database

pytestmark = pytest.mark.postgres

AGENT = {"actor": "dana", "role": Role.AGENT}
LINKS = "How long do payment links last?"


async def _filled_sqlite(path: Path, embedder: SentenceTransformerEmbedder) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    settings = load_settings(database_url=url, anthropic_api_key=None)
    assistant = build_assistant(settings, embedder=embedder, background_refit=False)
    await assistant.start()
    try:
        await Ingestor(assistant).ingest_paths([SAMPLES / "kb"])
        await assistant.teach(LINKS, "Payment links last 7 days.", **AGENT)
        wrong = await assistant.ask(Question(text=LINKS, account="acme", external_id="slack:C1:1.0"))
        event = await assistant.feedback(
            wrong.id, Signal.CORRECT, text="Payment links last 30 days.", make_global=True, **AGENT
        )
        await assistant.forget(event.id, **AGENT)
        await assistant.feedback(wrong.id, Signal.APPROVE, **AGENT)
    finally:
        await assistant.close()
    conversations = SqlConversationStore(url)
    await conversations.initialize()
    try:
        await conversations.claim_event("slack", "Ev1")
        await conversations.bind_channel(
            ChannelBinding(platform="slack", channel_id="C1", account="acme", kind="customer")
        )
        thread = await conversations.open_conversation(
            Conversation.start(platform="slack", channel="C1", thread="1.1", account="acme", asker="U1")
        )
        await conversations.add_thread_message(
            ThreadMessage(thread.id, "1.1", "U1", "customer", "question", "How long do links last?", utcnow())
        )
    finally:
        await conversations.close()
    return url


async def test_sqlite_to_postgresql_loses_nothing(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    source = await _filled_sqlite(tmp_path / "one.db", embedder)
    async with fresh_database() as target:
        copies = {copy.table: copy for copy in await copy_store(source, target)}
        for name in (
            "documents",
            "knowledge_items",
            "item_vectors",
            "questions",
            "answers",
            "learning_events",
            "item_changes",
            "platform_events",
            "channel_bindings",
            "support_conversations",
            "conversation_messages",
        ):
            assert copies[name].source_rows > 0, name
        assert all(copy.source_rows == copy.target_rows for copy in copies.values())

        with pytest.raises(InvalidInputError, match="not empty"):
            await copy_store(source, target)
        again = await copy_store(source, target, force=True)
        assert all(copy.source_rows == copy.target_rows for copy in again)

        settings = load_settings(database_url=target, anthropic_api_key=None)
        copied = build_assistant(settings, embedder=embedder, background_refit=False)
        await copied.start()
        try:
            answer = await copied.ask(Question(text=LINKS, account="globex"))
            assert answer.text == "Payment links last 7 days."
            assert len(await copied.learned(include_undone=True)) == 3  # teach, correct (undone), approve
            # The feed's sequence continues after the copied rows: new learning is numbered on.
            await copied.teach("What is the export limit?", "100k rows.", **AGENT)
        finally:
            await copied.close()
        engine = connect(target)
        try:
            async with engine.connect() as conn:
                seqs = (
                    await conn.execute(select(func.count(), func.count(item_changes.c.seq.distinct())))
                ).one()
        finally:
            await engine.dispose()
        assert seqs[0] == seqs[1]


async def test_the_command_reports_counts_and_refuses_a_filled_target(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    source = await _filled_sqlite(tmp_path / "two.db", embedder)
    runner = CliRunner()
    async with fresh_database() as target:
        plain = target.replace("postgresql+asyncpg://", "postgresql://")
        args = ["migrate-store", "--from", str(tmp_path / "two.db"), "--to", plain]
        first = await asyncio.to_thread(runner.invoke, app, args)
        assert first.exit_code == 0, first.output
        assert "knowledge_items:" in first.output and "every count matches" in first.output
        refused = await asyncio.to_thread(runner.invoke, app, args)
        assert refused.exit_code == 1
        assert "not empty" in refused.output
        forced = await asyncio.to_thread(runner.invoke, app, [*args, "--force"])
        assert forced.exit_code == 0, forced.output
    assert source.startswith("sqlite")


async def test_db_upgrade_on_postgresql() -> None:
    runner = CliRunner()
    async with fresh_database() as target:
        result = await asyncio.to_thread(runner.invoke, app, ["db", "upgrade", "--db", target])
        assert result.exit_code == 0, result.output
        again = await asyncio.to_thread(runner.invoke, app, ["db", "upgrade", "--db", target])
        assert again.exit_code == 0, again.output
        engine = connect(target)
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(select(func.count()).select_from(item_changes))).scalar_one() == 0
        finally:
            await engine.dispose()
