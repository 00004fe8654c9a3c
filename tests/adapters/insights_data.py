"""What the digest publisher tests share: a likely bug asked by customers, and the jobs' runtime.

Three customers' messages about one failing CSV export (two accounts, within 48 h) make one
likely bug for the default thresholds; two more later make it an update of the same report.
``insight_runtime`` builds what ``start_insight_jobs`` builds (a SQL insight source on the app's
database, the service, a runtime with a fixed clock) around a given publisher.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from adapters.scheduler.jobs import InsightRuntime
from adapters.storage.sql.insights import SqlInsightSource
from assistant.insights.publishing import DigestPublisher
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.models import Question
from assistant.ports import Embedder
from assistant.service import Assistant

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a Monday: the weekly digest covers 2–8 March
BUG_TEXTS = (
    "Export to CSV fails with error 500",
    "CSV export gives a 500 error",
    "export to csv is broken, error 500",
)
MORE_BUG_TEXTS = ("CSV export still fails with a 500 error", "Exporting to CSV returns error 500 again")


def insight_settings(**overrides: object) -> InsightSettings:
    return InsightSettings(_env_file=None, **overrides)  # type: ignore[call-arg]


async def ask_bug(
    assistant: Assistant, texts: Sequence[str] = BUG_TEXTS, *, at: datetime | None = None
) -> None:
    """Customers of accounts acct0, acct1, … ask ``texts`` an hour apart, ending at ``at``."""
    end = at or NOW - timedelta(days=3)
    for i, text in enumerate(texts):
        asked = end - timedelta(hours=len(texts) - 1 - i)
        await assistant.ask(Question(text=text, account=f"acct{i % 2}", asked_at=asked))


@asynccontextmanager
async def insight_runtime(
    database_url: str, embedder: Embedder, publisher: DigestPublisher, *, owner: str = "instance-0"
) -> AsyncIterator[InsightRuntime]:
    source = SqlInsightSource(database_url, embedder=embedder, owner=owner)
    await source.initialize()
    try:
        service = InsightService(source=source, settings=insight_settings(), embedder=embedder)
        yield InsightRuntime(service=service, publisher=publisher, clock=lambda: NOW)
    finally:
        await source.close()
