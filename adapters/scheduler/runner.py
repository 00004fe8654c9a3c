"""Starting and stopping the insight jobs in a long-running process."""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters.insights_wiring import build_insight_service, build_insight_source
from adapters.scheduler.jobs import InsightRuntime, install_runtime
from adapters.scheduler.scheduler import build_scheduler
from adapters.storage.sql.insights import SqlInsightSource
from assistant.config import Settings
from assistant.insights.publishing import DigestPublisher
from assistant.insights.settings import InsightSettings
from assistant.ports import Embedder


@dataclass(slots=True)
class InsightJobs:
    """A running scheduler and what it owns."""

    scheduler: AsyncIOScheduler
    source: SqlInsightSource
    runtime: InsightRuntime

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        install_runtime(None)
        await self.source.close()


async def start_insight_jobs(
    settings: Settings,
    insight_settings: InsightSettings,
    *,
    publisher: DigestPublisher,
    embedder: Embedder | None,
) -> InsightJobs:
    """Open the source, install the jobs' runtime and start the scheduler (in the running loop)."""
    source = build_insight_source(settings, insight_settings, embedder=embedder)
    await source.initialize()
    runtime = InsightRuntime(
        service=build_insight_service(source, insight_settings, embedder), publisher=publisher
    )
    install_runtime(runtime)
    scheduler = build_scheduler(database_url=settings.database_url, settings=insight_settings)
    scheduler.start()
    return InsightJobs(scheduler=scheduler, source=source, runtime=runtime)
