"""Starting and stopping the insight jobs in a long-running process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from adapters.insights_wiring import build_insight_service, build_insight_source
from adapters.scheduler.jobs import InsightRuntime, install_runtime
from adapters.scheduler.scheduler import build_scheduler, start_scheduler, stop_scheduler
from adapters.storage.sql.insights import SqlInsightSource
from assistant.config import Settings
from assistant.insights.publishing import DigestPublisher
from assistant.insights.settings import InsightSettings
from assistant.ports import Embedder


@dataclass(slots=True)
class InsightJobs:
    """A running scheduler and what it owns."""

    scheduler: BackgroundScheduler
    source: SqlInsightSource
    runtime: InsightRuntime

    async def stop(self) -> None:
        await stop_scheduler(self.scheduler)
        install_runtime(None)
        await self.source.close()


async def start_insight_jobs(
    settings: Settings,
    insight_settings: InsightSettings,
    *,
    publisher: DigestPublisher,
    embedder: Embedder | None,
) -> InsightJobs:
    """Open the source, install the jobs' runtime and start the scheduler on its own thread.

    The jobs' coroutines run on the calling (running) event loop.
    """
    source = build_insight_source(settings, insight_settings, embedder=embedder)
    await source.initialize()
    runtime = InsightRuntime(
        service=build_insight_service(source, insight_settings, embedder),
        publisher=publisher,
        loop=asyncio.get_running_loop(),
    )
    install_runtime(runtime)
    scheduler = build_scheduler(database_url=settings.database_url, settings=insight_settings)
    try:
        await start_scheduler(scheduler)
    except BaseException:
        install_runtime(None)
        await source.close()
        raise
    return InsightJobs(scheduler=scheduler, source=source, runtime=runtime)
