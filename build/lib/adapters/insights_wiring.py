"""The insights layer's composition root: the SQL insight source and the service over it.

Kept beside ``adapters.wiring`` (which builds the assistant) so that the two grow apart freely;
the CLI and the scheduler build the insights service only through here.
"""

from __future__ import annotations

from datetime import timedelta

from adapters.storage.sql.insights import SqlInsightSource
from assistant.config import Settings
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.ports import Embedder


def build_insight_source(
    settings: Settings, insight_settings: InsightSettings, *, embedder: Embedder | None
) -> SqlInsightSource:
    """The insight source on the configured store (call ``initialize`` before use)."""
    return SqlInsightSource(
        settings.database_url,
        embedder=embedder,
        job_lease=timedelta(minutes=insight_settings.job_lease_minutes),
    )


def build_insight_service(
    source: SqlInsightSource, insight_settings: InsightSettings, embedder: Embedder | None
) -> InsightService:
    """The insights service, with the configured account profiles (a CRM's renewal dates weigh in
    churn risk; a bad accounts file fails here, at start)."""
    from adapters.integrations.accounts import account_context
    from adapters.integrations.settings import load_integration_settings

    accounts = account_context(load_integration_settings())
    return InsightService(source=source, settings=insight_settings, embedder=embedder, accounts=accounts)
