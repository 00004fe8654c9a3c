"""The insight jobs: persisted schedules on the app database, and one run per period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.scheduler.jobs import (
    ANOMALY_CHECK,
    BUG_SCAN,
    WEEKLY_DIGEST,
    InsightRuntime,
    install_runtime,
    run_anomaly_check,
    run_bug_scan,
    run_weekly_digest,
    weekly_digest_job,
)
from adapters.scheduler.runner import start_insight_jobs
from adapters.scheduler.scheduler import (
    JOBSTORE_TABLE,
    build_scheduler,
    start_scheduler,
    stop_scheduler,
    sync_url,
)
from adapters.storage.sql.insights import SqlInsightSource
from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.models import Question
from assistant.service import Assistant
from tests.postgres import fresh_database

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # Monday morning: the digest covers 2–8 March


class RecordingPublisher:
    def __init__(self, *, fail: bool = False) -> None:
        self.digests: list[tuple[Digest, Sequence[tuple[str, bytes]]]] = []
        self.anomalies: list[Sequence[Anomaly]] = []
        self.bugs: list[BugScan] = []
        self.fail = fail

    async def publish_digest(self, digest: Digest, charts: Sequence[tuple[str, bytes]]) -> None:
        if self.fail:
            raise OSError("chat platform down")
        self.digests.append((digest, charts))

    async def publish_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        self.anomalies.append(anomalies)

    async def publish_bugs(self, scan: BugScan) -> None:
        self.bugs.append(scan)


def insight_settings(**overrides: object) -> InsightSettings:
    return InsightSettings(_env_file=None, **overrides)  # type: ignore[call-arg]


@pytest.fixture
async def filled(assistant: Assistant) -> Assistant:
    texts = [
        "Export to CSV fails with error 500",
        "CSV export gives a 500 error",
        "export to csv is broken, error 500",
    ]
    for i, text in enumerate(texts):
        at = NOW - timedelta(days=3, hours=i)
        await assistant.ask(Question(text=text, account=f"acct{i % 2}", asked_at=at))
    return assistant


@pytest.fixture
async def instances(filled: Assistant, settings: Settings, embedder) -> AsyncIterator[list[InsightRuntime]]:  # type: ignore[no-untyped-def]
    """Two instances of the app: their own sources, services and publishers, one database."""
    sources = [
        SqlInsightSource(settings.database_url, embedder=embedder, owner=f"instance-{i}") for i in range(2)
    ]
    for source in sources:
        await source.initialize()
    runtimes = [
        InsightRuntime(
            service=InsightService(source=source, settings=insight_settings()),
            publisher=RecordingPublisher(),
            clock=lambda: NOW,
        )
        for source in sources
    ]
    try:
        yield runtimes
    finally:
        for source in sources:
            await source.close()


def published(runtimes: list[InsightRuntime]) -> list[RecordingPublisher]:
    return [r.publisher for r in runtimes]  # type: ignore[misc]


def test_sync_url() -> None:
    assert sync_url("sqlite+aiosqlite:////tmp/a.db") == "sqlite:////tmp/a.db"
    assert sync_url("postgresql+asyncpg://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"
    with pytest.raises(ConfigurationError):
        sync_url("mysql+aiomysql://h/db")


@pytest.fixture(params=["sqlite", "postgresql"])
async def app_database(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[str]:
    """The app's database URL: the SQLite file, or a fresh PostgreSQL database (skipped if absent)."""
    if request.param == "sqlite":
        yield settings.database_url
        return
    async with fresh_database() as url:
        yield url


def stored_job_ids(database_url: str) -> list[str]:
    engine = sqlalchemy.create_engine(sync_url(database_url))
    try:
        with engine.connect() as db:
            return sorted(row[0] for row in db.execute(sqlalchemy.text(f"SELECT id FROM {JOBSTORE_TABLE}")))
    finally:
        engine.dispose()


async def test_jobs_persist_in_the_app_database(app_database: str) -> None:
    zone = "Europe/Berlin"
    scheduler = build_scheduler(database_url=app_database, settings=insight_settings(timezone=zone))
    scheduler.start(paused=True)
    try:
        weekly = scheduler.get_job(WEEKLY_DIGEST)
        assert weekly is not None and weekly.func is weekly_digest_job
        next_run = weekly.next_run_time
        assert (next_run.weekday(), next_run.hour, next_run.minute, str(next_run.tzinfo)) == (0, 9, 0, zone)
    finally:
        scheduler.shutdown(wait=False)

    # a restart with a changed schedule replaces the stored job instead of adding one
    again = build_scheduler(
        database_url=app_database, settings=insight_settings(weekly_digest_cron="30 7 * * fri")
    )
    again.start(paused=True)
    try:
        friday = again.get_job(WEEKLY_DIGEST).next_run_time
        assert (friday.weekday(), friday.hour, friday.minute) == (4, 7, 30)
    finally:
        again.shutdown(wait=False)
    assert stored_job_ids(app_database) == sorted([WEEKLY_DIGEST, ANOMALY_CHECK, BUG_SCAN])


def test_a_bad_cron_expression_is_a_configuration_error(settings: Settings) -> None:
    with pytest.raises(ConfigurationError):
        build_scheduler(
            database_url=settings.database_url, settings=insight_settings(bug_scan_cron="0 * * * nope")
        )


async def test_two_instances_firing_together_publish_one_digest(instances: list[InsightRuntime]) -> None:
    results = await asyncio.gather(*(run_weekly_digest(runtime, NOW) for runtime in instances))
    assert sorted(results) == [False, True]
    digests = [d for p in published(instances) for d in p.digests]
    assert len(digests) == 1
    digest, charts = digests[0]
    assert digest.period_start == datetime(2026, 3, 2, tzinfo=digest.period_start.tzinfo)
    assert digest.questions == 3 and charts[0][0].endswith(".png")
    assert all(png.startswith(b"\x89PNG") for _, png in charts)

    # a restart, or a later firing in the same week: a no-op
    assert not await run_weekly_digest(instances[1], NOW + timedelta(hours=5))
    assert sum(len(p.digests) for p in published(instances)) == 1
    # next week is a new period
    assert await run_weekly_digest(instances[1], NOW + timedelta(days=7))


async def test_a_failed_run_is_run_again(instances: list[InsightRuntime]) -> None:
    failing = InsightRuntime(service=instances[0].service, publisher=RecordingPublisher(fail=True))
    with pytest.raises(OSError):
        await run_weekly_digest(failing, NOW)
    runs = await instances[0].service.source.job_runs(WEEKLY_DIGEST)  # type: ignore[attr-defined]
    assert [(r["status"], r["summary"]) for r in runs] == [("failed", "OSError")]
    assert await run_weekly_digest(instances[1], NOW)
    assert len(published(instances)[1].digests) == 1


async def test_bug_scan_runs_hourly_and_announces_once(instances: list[InsightRuntime]) -> None:
    first, second = instances
    assert await run_bug_scan(first, NOW)
    assert not await run_bug_scan(second, NOW + timedelta(minutes=20)), "same hour"
    assert await run_bug_scan(second, NOW + timedelta(hours=1))
    scans = [s for p in published(instances) for s in p.bugs]
    assert len(scans) == 1 and len(scans[0].new) == 1 and scans[0].new[0].count == 3


async def test_anomaly_check_is_keyed_by_the_day_checked(instances: list[InsightRuntime]) -> None:
    assert await run_anomaly_check(instances[0], NOW)
    assert not await run_anomaly_check(instances[1], NOW + timedelta(hours=3))
    runs = await instances[0].service.source.job_runs(ANOMALY_CHECK)  # type: ignore[attr-defined]
    assert [r["period_key"] for r in runs] == ["2026-03-08"]


async def test_entry_points_need_an_installed_runtime(instances: list[InsightRuntime]) -> None:
    install_runtime(None)
    with pytest.raises(ConfigurationError):
        await asyncio.to_thread(weekly_digest_job)
    install_runtime(instances[0])  # no loop: not started by start_insight_jobs
    try:
        with pytest.raises(ConfigurationError, match="event loop"):
            await asyncio.to_thread(weekly_digest_job)
    finally:
        install_runtime(None)
    install_runtime(replace(instances[0], loop=asyncio.get_running_loop()))
    try:
        await asyncio.to_thread(weekly_digest_job)  # as the scheduler's thread calls it; clock is NOW
    finally:
        install_runtime(None)
    assert len(published(instances)[0].digests) == 1


async def hold_a_write(database_url: str, *, seconds: float, holding: asyncio.Event) -> None:
    """A coroutine of the service's loop in the middle of a write transaction for a while."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as db:
            await db.execute(sqlalchemy.text("CREATE TABLE IF NOT EXISTS write_probe (n INTEGER)"))
            await db.execute(sqlalchemy.text("INSERT INTO write_probe VALUES (1)"))
            holding.set()
            await asyncio.sleep(seconds)
    finally:
        await engine.dispose()


async def test_the_scheduler_starts_and_fires_while_the_loop_is_mid_write(
    filled: Assistant,
    settings: Settings,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    """On SQLite the job store's synchronous writes wait out a coroutine's write, not deadlock it."""
    holding = asyncio.Event()
    writer = asyncio.create_task(hold_a_write(settings.database_url, seconds=1.0, holding=holding))
    await holding.wait()
    scheduler = build_scheduler(database_url=settings.database_url, settings=insight_settings())
    await start_scheduler(scheduler)  # creates the job table once the write is done
    await writer
    await stop_scheduler(scheduler)

    jobs = await start_insight_jobs(
        settings, insight_settings(), publisher=RecordingPublisher(), embedder=embedder
    )
    try:
        assert jobs.runtime.loop is asyncio.get_running_loop()
        holding.clear()
        writer = asyncio.create_task(hold_a_write(settings.database_url, seconds=1.0, holding=holding))
        await holding.wait()
        await asyncio.to_thread(jobs.scheduler.modify_job, BUG_SCAN, next_run_time=datetime.now(UTC))
        await writer
        for _ in range(200):  # the scheduler's thread fires it; the scan runs on this loop
            runs = await jobs.source.job_runs(BUG_SCAN)
            if runs and runs[0]["status"] != "running":
                break
            await asyncio.sleep(0.05)
        assert [r["status"] for r in runs] == ["done"]
    finally:
        await jobs.stop()
    assert stored_job_ids(settings.database_url) == sorted([WEEKLY_DIGEST, ANOMALY_CHECK, BUG_SCAN])
