"""The SQL insight source on real SQLite, filled through the real assistant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.insights import SqlInsightSource
from adapters.storage.sql.insights_schema import bug_reports, insight_models, job_runs, message_labels
from adapters.storage.sql.migrate import connect
from adapters.storage.sql.schema import metadata
from assistant.config import Settings
from assistant.errors import InvalidInputError
from assistant.insights.records import (
    BugReport,
    BugStatus,
    InsightSource,
    MessageLabel,
    MessageRef,
    StoredModel,
)
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.models import Answer, Question, Role, Signal
from assistant.service import Assistant

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OURS = {t.name for t in (bug_reports, job_runs, message_labels, insight_models)}


@pytest.fixture
async def source(assistant: Assistant, settings: Settings, embedder) -> AsyncIterator[SqlInsightSource]:  # type: ignore[no-untyped-def]
    insight_source = SqlInsightSource(settings.database_url, embedder=embedder)
    await insight_source.initialize()
    try:
        yield insight_source
    finally:
        await insight_source.close()


async def ask(assistant: Assistant, text: str, account: str, at: datetime, **fields: str) -> Answer:
    return await assistant.ask(
        Question(text=text, account=account, channel="C1", user="U1", asked_at=at, **fields)
    )


def test_the_source_satisfies_the_protocol(source: SqlInsightSource) -> None:
    def check(value: InsightSource) -> InsightSource:
        return value

    assert check(source) is source


async def test_migration_0003_matches_the_schema(source: SqlInsightSource, settings: Settings) -> None:
    engine = connect(settings.database_url)
    try:
        async with engine.connect() as conn:

            def differences(sync_conn: Connection) -> list[object]:
                context = MigrationContext.configure(
                    sync_conn, opts={"include_name": lambda name, kind, _: kind != "table" or name in OURS}
                )
                return [d for d in compare_metadata(context, metadata) if _touches(d, OURS)]

            assert await conn.run_sync(differences) == []
            tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
            assert tables >= OURS
    finally:
        await engine.dispose()


def _touches(difference: object, tables: set[str]) -> bool:
    text = repr(difference)
    return any(f"'{name}'" in text for name in tables)


async def test_records_carry_what_happened_to_each_question(
    assistant: Assistant, source: SqlInsightSource, settings: Settings
) -> None:
    await assistant.teach(
        "How do I reset my password?", "Use the reset link.", actor="agent", role=Role.AGENT
    )
    handed = await ask(assistant, "Can we pay suppliers in crypto?", "acme", T0)
    await assistant.feedback(
        handed.id, Signal.RESOLVE, actor="agent", role=Role.AGENT, text="No, we cannot.", at=T0
    )
    second = await ask(
        assistant, "How do I reset my password?", "globex", T0 + timedelta(hours=1), external_id="e2"
    )
    await assistant.feedback(second.id, Signal.NOT_HELPED, actor="cust", role=Role.CUSTOMER, at=T0)
    await assistant.feedback(
        second.id, Signal.CORRECT, actor="agent", role=Role.AGENT, text="Reset it under Settings.", at=T0
    )
    gone = await ask(assistant, "please delete this", "acme", T0 + timedelta(hours=2))
    await assistant.delete_question(gone.question_id)
    await ask(assistant, "too late", "acme", T0 + timedelta(days=1))
    conversations = SqlConversationStore(settings.database_url)
    await conversations.link_message(
        "slack", "C1", "1700000000.000100", "1700000000.000100", handed.id, handed.question_id, "question"
    )
    await conversations.close()

    records = await source.conversation_records(T0, T0 + timedelta(days=1))

    assert [r.question_id for r in records] == [handed.question_id, second.question_id]
    first, other = records
    assert first.decision is handed.decision and first.account == "acme" and first.channel == "C1"
    assert first.agent_reply == "No, we cannot." and not first.corrected
    assert first.link == "https://slack.com/archives/C1/p1700000000000100"
    assert first.external_id == "1700000000.000100", "no stored id: the linked message's ts"
    assert other.external_id == "e2" and other.link is None
    assert other.not_helped == 1 and other.corrected and other.agent_reply == "Reset it under Settings."
    assert other.outcome is False
    assert first.embedding is not None and first.embedding.shape == (384,)
    assert first.asked_at == T0 and first.asked_at.tzinfo is not None
    assert await source.latest_question_at() == T0 + timedelta(days=1)
    assert await source.account_first_seen() == {"acme": T0, "globex": T0 + timedelta(hours=1)}


def report(bug_id: str = "bug_1", **fields: object) -> BugReport:
    values: dict[str, object] = {
        "id": bug_id,
        "title": "Export fails",
        "symptom": "Export fails with a 500",
        "keywords": ["export", "500"],
        "examples": [MessageRef("q1", "Export fails with a 500", "acme", T0, "https://x/1")],
        "accounts": ["acme", "globex"],
        "first_seen": T0,
        "last_seen": T0 + timedelta(hours=5),
        "question_ids": ["q1", "q2", "q3"],
        "signature": np.array([0.6, 0.8], dtype=np.float32),
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(fields)
    return BugReport(**values)  # type: ignore[arg-type]


async def test_bug_reports_round_trip_and_update_in_place(source: SqlInsightSource) -> None:
    await source.save_bug_report(report())
    loaded = await source.get_bug_report("bug_1")
    assert loaded is not None
    assert loaded.examples == report().examples and loaded.question_ids == ["q1", "q2", "q3"]
    assert np.array_equal(loaded.signature, report().signature) and loaded.count == 3
    await source.save_bug_report(
        report(question_ids=["q1", "q2", "q3", "q4"], version=2, status=BugStatus.BUG)
    )
    stored = await source.bug_reports()
    assert len(stored) == 1 and stored[0].version == 2 and stored[0].count == 4
    assert await source.bug_reports(statuses=(BugStatus.OPEN,)) == []
    assert await source.get_bug_report("bug_missing") is None


async def test_labels_replace_earlier_ones_and_skip_deleted_texts(
    assistant: Assistant, source: SqlInsightSource
) -> None:
    one = await ask(assistant, "Export fails", "acme", T0)
    two = await ask(assistant, "Add dark mode", "acme", T0)
    await source.save_labels([one.question_id, two.question_id], MessageLabel.BUG, "eng")
    await source.save_labels([two.question_id], MessageLabel.FEATURE, "eng2")
    labels = {m.question_id: m for m in await source.labelled_messages()}
    assert (
        labels[one.question_id].label is MessageLabel.BUG and labels[one.question_id].text == "Export fails"
    )
    assert labels[two.question_id].label is MessageLabel.FEATURE and labels[two.question_id].actor == "eng2"
    await assistant.delete_question(one.question_id)
    assert [m.question_id for m in await source.labelled_messages()] == [two.question_id]
    with pytest.raises(InvalidInputError):
        await source.save_labels(["q_unknown"], MessageLabel.BUG, "eng")


async def test_models_round_trip(source: SqlInsightSource) -> None:
    assert await source.load_model("m") is None
    await source.save_model(StoredModel("m", b"\x00bytes", {"labels": 2}, T0))
    await source.save_model(StoredModel("m", b"newer", {"labels": 3}, T0 + timedelta(days=1)))
    loaded = await source.load_model("m")
    assert loaded == StoredModel("m", b"newer", {"labels": 3}, T0 + timedelta(days=1))


async def test_one_claim_per_period_across_sources(source: SqlInsightSource, settings: Settings) -> None:
    others = [SqlInsightSource(settings.database_url, owner=f"instance-{i}") for i in range(4)]
    try:
        claims = await asyncio.gather(
            *(s.claim_job_run("weekly_digest", "2026-W10") for s in [source, *others])
        )
        assert sorted(claims) == [False] * 4 + [True]
        winner = [source, *others][claims.index(True)]
        await winner.finish_job_run("weekly_digest", "2026-W10", ok=True, summary="done")
        assert not any([await s.claim_job_run("weekly_digest", "2026-W10") for s in others])
        assert await others[0].claim_job_run("weekly_digest", "2026-W11")
        assert await others[0].claim_job_run("bug_scan", "2026-W10"), "periods are per job"
        runs = {(r["job"], r["period_key"]): r for r in await source.job_runs()}
        assert runs[("weekly_digest", "2026-W10")]["status"] == "done"
    finally:
        for other in others:
            await other.close()


async def test_a_failed_or_expired_claim_may_be_taken_once_more(
    source: SqlInsightSource, settings: Settings
) -> None:
    assert await source.claim_job_run("bug_scan", "2026-03-02T10")
    await source.finish_job_run("bug_scan", "2026-03-02T10", ok=False, summary="OSError")
    second = SqlInsightSource(settings.database_url, owner="second")
    expiring = SqlInsightSource(settings.database_url, owner="third", job_lease=timedelta(0))
    try:
        assert await second.claim_job_run("bug_scan", "2026-03-02T10")
        assert not await source.claim_job_run("bug_scan", "2026-03-02T10"), "running, within its lease"
        assert await expiring.claim_job_run("bug_scan", "2026-03-02T10"), "the lease of 0 has expired"
    finally:
        await second.close()
        await expiring.close()


async def test_a_bug_is_saved_once_then_updated(assistant: Assistant, source: SqlInsightSource) -> None:
    texts = [
        ("acme", "Export to CSV fails with error 500"),
        ("globex", "CSV export gives a 500 error since this morning"),
        ("acme", "export to csv is broken, error 500"),
    ]
    for i, (account, text) in enumerate(texts):
        await ask(assistant, text, account, T0 + timedelta(hours=i))
    service = InsightService(source=source, settings=InsightSettings(_env_file=None))  # type: ignore[call-arg]
    first = await service.scan_bugs(until=T0 + timedelta(hours=3))
    assert len(first.new) == 1 and first.updated == []
    assert (await service.scan_bugs(until=T0 + timedelta(hours=4))).changed == []

    await ask(assistant, "The CSV export still fails with a 500 error", "initech", T0 + timedelta(hours=20))
    later = await service.scan_bugs(until=T0 + timedelta(hours=21))
    assert later.new == [] and [r.id for r in later.updated] == [first.new[0].id]
    stored = await source.bug_reports()
    assert len(stored) == 1
    assert stored[0].count == 4 and stored[0].version == 2
    assert stored[0].accounts == ["acme", "globex", "initech"]
