"""The scheduled insight jobs, each run at most once per period across instances and restarts.

APScheduler stores a job as a reference to a module-level function, so the entry points here
(``weekly_digest_job``, ``anomaly_check_job``, ``bug_scan_job``) take no arguments and find what
they work with in the installed ``InsightRuntime``. Each first claims its period in the database
(``InsightSource.claim_job_run``, a unique row per job and period): of several instances firing
together, or a restarted one firing again, only the first to claim does the work; the others
return at once. A run that fails is recorded as failed, and the next firing may run it again.

The scheduler runs on its own thread (its job store is synchronous: on SQLite, a blocking write
from the event loop's thread would wait on a lock that only the blocked loop could release), so
the entry points are plain functions that hand their coroutine to the service's event loop
(``InsightRuntime.loop``) and wait for it there.

Periods, in the configured time zone: the weekly digest covers the previous Monday-to-Monday week
(key ``2026-W10``), the anomaly check the previous day (``2026-03-09``), the bug scan the hour
(``2026-03-09T14``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from adapters.charts import render_digest_charts
from assistant.errors import ConfigurationError
from assistant.insights.digest import Digest
from assistant.insights.publishing import DigestPublisher
from assistant.insights.service import InsightService
from assistant.insights.text import day_start, iso_week, local_day, week_start
from assistant.models import utcnow

log = logging.getLogger(__name__)

WEEKLY_DIGEST = "weekly_digest"
ANOMALY_CHECK = "anomaly_check"
BUG_SCAN = "bug_scan"

Charts = Callable[[Digest], Sequence[tuple[str, bytes]]]


@dataclass(slots=True)
class InsightRuntime:
    """What the jobs work with: the insights service, where results go, and the time."""

    service: InsightService
    publisher: DigestPublisher
    charts: Charts = render_digest_charts
    clock: Callable[[], datetime] = field(default=utcnow)
    loop: asyncio.AbstractEventLoop | None = None  # where the jobs' coroutines run (set at start)


_installed: InsightRuntime | None = None


def install_runtime(runtime: InsightRuntime | None) -> None:
    """Give the job entry points their runtime (None removes it)."""
    global _installed
    _installed = runtime


def installed_runtime() -> InsightRuntime:
    if _installed is None:
        raise ConfigurationError("The insight jobs have no runtime; call install_runtime at start.")
    return _installed


# periods


def weekly_period(now: datetime, runtime: InsightRuntime) -> tuple[str, datetime, datetime]:
    """The week before ``now``'s week: (key, since, until)."""
    zone = runtime.service.settings.zone
    monday = week_start(local_day(now, zone))
    first = monday - timedelta(days=7)
    return iso_week(first), day_start(first, zone), day_start(monday, zone)


def daily_period(now: datetime, runtime: InsightRuntime) -> tuple[str, date]:
    """The day before ``now``'s day: (key, day)."""
    day = local_day(now, runtime.service.settings.zone) - timedelta(days=1)
    return day.isoformat(), day


def hourly_period(now: datetime, runtime: InsightRuntime) -> str:
    return f"{now.astimezone(runtime.service.settings.zone):%Y-%m-%dT%H}"


# one run of each job


async def run_once(
    runtime: InsightRuntime, job: str, period_key: str, work: Callable[[], Awaitable[str]]
) -> bool:
    """Claim (job, period) and do ``work``; False when another run has it already."""
    source = runtime.service.source
    if not await source.claim_job_run(job, period_key):
        log.info("%s %s: already run or running elsewhere; skipped", job, period_key)
        return False
    try:
        summary = await work()
    except Exception as exc:
        await source.finish_job_run(job, period_key, ok=False, summary=type(exc).__name__)
        log.exception("%s %s failed", job, period_key)
        raise
    await source.finish_job_run(job, period_key, ok=True, summary=summary)
    log.info("%s %s: %s", job, period_key, summary)
    return True


async def run_weekly_digest(runtime: InsightRuntime, now: datetime | None = None) -> bool:
    key, since, until = weekly_period(now or runtime.clock(), runtime)

    async def work() -> str:
        digest = await runtime.service.digest(since, until)
        await runtime.publisher.publish_digest(digest, list(runtime.charts(digest)))
        return f"{digest.questions} questions, {len(digest.anomalies)} anomalies, {len(digest.bugs)} bugs"

    return await run_once(runtime, WEEKLY_DIGEST, key, work)


async def run_anomaly_check(runtime: InsightRuntime, now: datetime | None = None) -> bool:
    key, day = daily_period(now or runtime.clock(), runtime)
    zone = runtime.service.settings.zone

    async def work() -> str:
        anomalies = await runtime.service.anomalies(
            day_start(day, zone), day_start(day + timedelta(days=1), zone)
        )
        if anomalies:
            await runtime.publisher.publish_anomalies(anomalies)
        return f"{len(anomalies)} anomalies"

    return await run_once(runtime, ANOMALY_CHECK, key, work)


async def run_bug_scan(runtime: InsightRuntime, now: datetime | None = None) -> bool:
    moment = now or runtime.clock()

    async def work() -> str:
        scan = await runtime.service.scan_bugs(until=moment)
        if scan.new or scan.updated:
            await runtime.publisher.publish_bugs(scan)
        return f"{len(scan.new)} new, {len(scan.updated)} updated"

    return await run_once(runtime, BUG_SCAN, hourly_period(moment, runtime), work)


# APScheduler's entry points: module-level, no arguments, called on the scheduler's threads

JOB_POLL_SECONDS = 1.0


def _run_on_service_loop(run: Callable[[InsightRuntime, datetime | None], Coroutine[Any, Any, bool]]) -> None:
    """Run one job on the service's event loop and wait for it; give up if the loop stops."""
    runtime = installed_runtime()
    loop = runtime.loop
    if loop is None or loop.is_closed():
        raise ConfigurationError("The insight jobs' runtime has no running event loop to run on.")
    future = asyncio.run_coroutine_threadsafe(run(runtime, None), loop)
    while True:
        try:
            future.result(timeout=JOB_POLL_SECONDS)
            return
        except concurrent.futures.TimeoutError:
            if loop.is_closed() or not loop.is_running():
                future.cancel()
                log.warning("the service stopped while a scheduled job was running; it was cancelled")
                return


def weekly_digest_job() -> None:
    _run_on_service_loop(run_weekly_digest)


def anomaly_check_job() -> None:
    _run_on_service_loop(run_anomaly_check)


def bug_scan_job() -> None:
    _run_on_service_loop(run_bug_scan)


RUNS: dict[str, Callable[[InsightRuntime, datetime | None], Coroutine[Any, Any, bool]]] = {
    WEEKLY_DIGEST: run_weekly_digest,
    ANOMALY_CHECK: run_anomaly_check,
    BUG_SCAN: run_bug_scan,
}
