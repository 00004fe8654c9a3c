"""The integrations at run time: one ``IntegrationRuntime`` for ``serve``, the CLI and the webhooks.

``open_integrations`` builds the trackers, the ledger, the insight source and the ticket sync
(``None`` when no tracker is configured). ``run_ticket_sync`` is the one entry point of a sync:
``assistant integrations sync`` calls it directly, and ``serve`` calls it every
``ASSISTANT_TICKETS_SYNC_MINUTES`` from ``IntegrationJobs`` after claiming the period in the
database (``claim_job_run``, as the insight jobs do), so that of several instances one syncs.

A failing integration never blocks answering: the loop runs beside the chat handlers, catches
every error (logged without secrets) and tries again next period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from adapters.insights_wiring import build_insight_service, build_insight_source
from adapters.integrations.accounts import hubspot_companies
from adapters.integrations.http import Sleep
from adapters.integrations.hubspot import ChurnPush, HubSpotCompanies
from adapters.integrations.settings import IntegrationSettings
from adapters.integrations.wiring import Trackers, build_ticket_sync, build_trackers
from adapters.storage.sql.insights import SqlInsightSource
from adapters.storage.sql.tickets import SqlTicketLedger
from assistant.config import Settings
from assistant.errors import NotFoundError
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.integrations.bug_tickets import BugTicketSync, Teacher
from assistant.integrations.tickets import FixNotifier, TicketSyncReport
from assistant.models import utcnow
from assistant.ports import Embedder

if TYPE_CHECKING:
    from adapters.integrations.site_ingest import SiteReport
    from assistant.service import Assistant

log = logging.getLogger(__name__)

TICKET_SYNC = "ticket_sync"
CRM_SYNC = "crm_sync"
SITE_CRAWL = "site_crawl"


@dataclass(slots=True)
class IntegrationRuntime:
    """What a ticket sync works with; close it when done."""

    settings: IntegrationSettings
    sync: BugTicketSync
    trackers: Trackers
    ledger: SqlTicketLedger
    source: SqlInsightSource
    service: InsightService
    hubspot: HubSpotCompanies | None = None
    database_url: str = ""

    async def close(self) -> None:
        await self.trackers.close()
        if self.hubspot is not None:
            await self.hubspot.http.close()
        await self.ledger.close()
        await self.source.close()


@asynccontextmanager
async def open_integrations(
    settings: Settings,
    integration_settings: IntegrationSettings,
    insight_settings: InsightSettings,
    *,
    embedder: Embedder | None,
    teacher: Teacher | None,
    notifier: FixNotifier | None = None,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[IntegrationRuntime | None]:
    """The runtime of the configured integrations (None when there is none), closed on exit."""
    if not integration_settings.anything:
        yield None
        return
    source = build_insight_source(settings, insight_settings, embedder=embedder)
    ledger = SqlTicketLedger(settings.database_url)
    trackers = build_trackers(integration_settings, sleep=sleep)
    service = build_insight_service(source, insight_settings, embedder)
    runtime = IntegrationRuntime(
        settings=integration_settings,
        database_url=settings.database_url,
        service=service,
        hubspot=hubspot_companies(integration_settings),
        sync=build_ticket_sync(
            integration_settings,
            service=service,
            ledger=ledger,
            trackers=trackers.trackers,
            teacher=teacher,
            threads=ledger,
            notifier=notifier,
        ),
        trackers=trackers,
        ledger=ledger,
        source=source,
    )
    try:
        await source.initialize()
        await ledger.initialize()
        yield runtime
    finally:
        await runtime.close()


def sync_period(now: datetime, minutes: float) -> str:
    """The period a scheduled sync claims: the ``minutes``-long slot ``now`` falls in."""
    return str(int(now.timestamp() // (minutes * 60)))


async def run_ticket_sync(
    runtime: IntegrationRuntime, *, dry_run: bool = False, claim_at: datetime | None = None
) -> TicketSyncReport | None:
    """One sync; with ``claim_at`` (the scheduled job) only when this instance claims the period."""
    if claim_at is None:
        return await runtime.sync.sync(dry_run=dry_run)
    period = sync_period(claim_at, runtime.settings.assistant_tickets_sync_minutes)
    if not await runtime.source.claim_job_run(TICKET_SYNC, period):
        return None
    try:
        report = await runtime.sync.sync(dry_run=dry_run)
    except Exception as exc:
        await runtime.source.finish_job_run(TICKET_SYNC, period, ok=False, summary=type(exc).__name__)
        raise
    await runtime.source.finish_job_run(TICKET_SYNC, period, ok=not report.failed, summary=report.summary())
    return report


async def run_churn_push(
    runtime: IntegrationRuntime, *, dry_run: bool = False, claim_at: datetime | None = None
) -> ChurnPush | None:
    """The latest week's churn risk to HubSpot (None: no HubSpot, no data, or claimed elsewhere)."""
    if runtime.hubspot is None:
        return None
    try:
        since, until = await runtime.service.latest_week()
    except NotFoundError:
        return None
    period = sync_period(claim_at, runtime.settings.assistant_tickets_sync_minutes) if claim_at else None
    if period is not None and not await runtime.source.claim_job_run(CRM_SYNC, period):
        return None
    try:
        risks = await runtime.service.churn(since, until)
        accounts = list(await runtime.source.account_first_seen())
        pushed = await runtime.hubspot.push_churn(risks, accounts, dry_run=dry_run)
    except Exception as exc:
        if period is not None:
            await runtime.source.finish_job_run(CRM_SYNC, period, ok=False, summary=type(exc).__name__)
        raise
    if period is not None:
        summary = f"{len(pushed.written)} written, {len(pushed.entered)} entered, {len(pushed.left)} left"
        await runtime.source.finish_job_run(CRM_SYNC, period, ok=True, summary=summary)
    return pushed


async def run_site_crawls(
    runtime: IntegrationRuntime, assistant: Assistant, *, claim_at: datetime | None = None
) -> list[SiteReport] | None:
    """Re-crawl ``ASSISTANT_CRAWL_URLS`` (None: none configured, or this period claimed elsewhere)."""
    from adapters.integrations.site_ingest import ingest_site
    from adapters.storage.sql.crawl import SqlCrawlState

    urls = runtime.settings.crawl_urls
    if not urls:
        return None
    period = sync_period(claim_at, runtime.settings.assistant_crawl_hours * 60) if claim_at else None
    if period is not None and not await runtime.source.claim_job_run(SITE_CRAWL, period):
        return None
    state = SqlCrawlState(runtime.database_url)
    reports = []
    try:
        await state.initialize()
        for url in urls:
            reports.append(await ingest_site(assistant, state, url))
    except Exception as exc:
        if period is not None:
            await runtime.source.finish_job_run(SITE_CRAWL, period, ok=False, summary=type(exc).__name__)
        raise
    finally:
        await state.close()
    if period is not None:
        summary = ", ".join(
            f"{r.ingest.added} added {r.ingest.updated} updated {len(r.retired)} retired" for r in reports
        )
        await runtime.source.finish_job_run(
            SITE_CRAWL, period, ok=not any(r.failed for r in reports), summary=summary
        )
    return reports


class IntegrationJobs:
    """The scheduled ticket sync of a running ``serve``: a task, stopped with the service."""

    def __init__(
        self,
        runtime: IntegrationRuntime,
        *,
        assistant: Assistant | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.runtime = runtime
        self._assistant = assistant
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="ticket-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        seconds = self.runtime.settings.assistant_tickets_sync_minutes * 60
        while True:
            now = self._clock()
            try:
                if self.runtime.trackers.trackers:
                    report = await run_ticket_sync(self.runtime, claim_at=now)
                    if report is not None:
                        log.info("ticket sync: %s", report.summary())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a tracker or the database down: try again next period
                log.warning("ticket sync failed: %s", type(exc).__name__)
            try:
                pushed = await run_churn_push(self.runtime, claim_at=now)
                if pushed is not None:
                    log.info("HubSpot churn push: %d companies written", len(pushed.written))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("HubSpot churn push failed: %s", type(exc).__name__)
            try:
                if self._assistant is not None:
                    crawled = await run_site_crawls(self.runtime, self._assistant, claim_at=now)
                    for site in crawled or []:
                        log.info(
                            "site re-crawl: %d updated, %d retired", site.ingest.updated, len(site.retired)
                        )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("site re-crawl failed: %s", type(exc).__name__)
            await asyncio.sleep(seconds)
