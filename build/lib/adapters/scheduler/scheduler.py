"""APScheduler (3.11) set-up: a ``BackgroundScheduler`` whose jobs persist in the app's database.

The job store is APScheduler's ``SQLAlchemyJobStore`` on the same database as the knowledge
store, through a synchronous driver (``sync_url``): APScheduler 3 job stores are synchronous,
which is why the scheduler has a thread of its own rather than the service's event loop (a
blocking SQLite write on the loop's thread can wait on a lock held by a coroutine of that very
loop). Its jobs hand their work back to the loop (``jobs._run_on_service_loop``).
Schedules are cron expressions in the configured time zone (``InsightSettings``); every start
replaces the stored definitions (``replace_existing``), so a changed schedule takes effect.

APScheduler does not stop two schedulers sharing a job store from both firing a job; the jobs
themselves claim their period first (``jobs.run_once``), which is what makes a run happen once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import make_url

from adapters.scheduler.jobs import (
    ANOMALY_CHECK,
    BUG_SCAN,
    WEEKLY_DIGEST,
    anomaly_check_job,
    bug_scan_job,
    weekly_digest_job,
)
from assistant.errors import ConfigurationError
from assistant.insights.settings import InsightSettings

JOBSTORE_TABLE = "apscheduler_jobs"
MISFIRE_GRACE_SECONDS = 3600
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def sync_url(async_url: str) -> str:
    """The synchronous twin of the store's URL (aiosqlite → sqlite, asyncpg → psycopg)."""
    url = make_url(async_url)
    driver = _SYNC_DRIVERS.get(url.get_backend_name())
    if driver is None:
        raise ConfigurationError(f"No synchronous driver is known for {url.get_backend_name()} job stores.")
    return url.set(drivername=driver).render_as_string(hide_password=False)


def job_table(settings: InsightSettings) -> list[tuple[str, Callable[[], Any], str]]:
    """(id, module-level function, cron expression) of each scheduled job."""
    return [
        (WEEKLY_DIGEST, weekly_digest_job, settings.weekly_digest_cron),
        (ANOMALY_CHECK, anomaly_check_job, settings.anomaly_check_cron),
        (BUG_SCAN, bug_scan_job, settings.bug_scan_cron),
    ]


def build_scheduler(*, database_url: str, settings: InsightSettings) -> BackgroundScheduler:
    """A scheduler with the three insight jobs; start it off the event loop (it writes the store)."""
    zone = settings.zone
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=sync_url(database_url), tablename=JOBSTORE_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=zone,
    )
    for job_id, function, cron in job_table(settings):
        try:
            trigger = CronTrigger.from_crontab(cron, timezone=zone)
        except ValueError as exc:
            raise ConfigurationError(
                f"The {job_id} schedule '{cron}' is not a valid cron expression."
            ) from exc
        scheduler.add_job(function, trigger, id=job_id, name=job_id, replace_existing=True)
    return scheduler


async def start_scheduler(scheduler: BackgroundScheduler) -> None:
    """Start it from a worker thread: starting creates and writes the job table."""
    await asyncio.to_thread(scheduler.start)


async def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    """Stop it from a worker thread: stopping joins the scheduler's thread, which may be mid-write."""
    await asyncio.to_thread(scheduler.shutdown, wait=False)
