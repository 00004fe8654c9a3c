"""Scheduled insight jobs: the weekly digest, the daily anomaly check and the hourly bug scan.

``start_insight_jobs`` wires it all (the SQL insight source, the service, the runtime the jobs
use, and an APScheduler on the app's database); ``serve`` and other long-running processes call
it and ``stop`` the returned handle on shutdown; ``insight_publisher`` builds what the jobs post
with (Slack and/or Teams, from the configured channels).
"""

from adapters.scheduler.jobs import InsightRuntime, install_runtime
from adapters.scheduler.publishers import check_destinations, insight_publisher
from adapters.scheduler.runner import InsightJobs, start_insight_jobs
from adapters.scheduler.scheduler import build_scheduler, sync_url

__all__ = [
    "InsightJobs",
    "InsightRuntime",
    "build_scheduler",
    "check_destinations",
    "insight_publisher",
    "install_runtime",
    "start_insight_jobs",
    "sync_url",
]
