"""The Insights sections of the charts page, when ``assistant.insights`` is there and has data.

The digest of the latest week is computed in a background task (topic modelling and the message
classifier take seconds) and kept for ``FRESH_SECONDS``; until it is ready, or when the module is
missing or finds nothing, the page shows a "not available yet" panel with the reason. Insights
span every account, so only viewers who see every account get them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from assistant.errors import AssistantError
from assistant.service import Assistant

log = logging.getLogger(__name__)

FRESH_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class InsightsView:
    """What the page shows: a digest, or why there is none."""

    digest: Any | None
    reason: str
    pending: bool = False


class InsightsPanel:
    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._view: InsightsView | None = None
        self._at = 0.0
        self._task: asyncio.Task[None] | None = None

    def view(self) -> InsightsView:
        """The latest digest (refreshed in the background when stale)."""
        stale = self._view is None or time.monotonic() - self._at > FRESH_SECONDS
        if stale and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._refresh(), name="console-insights")
        if self._view is None:
            return InsightsView(
                None, "Insights are being computed; reload the page in a moment.", pending=True
            )
        return self._view

    async def _refresh(self) -> None:
        self._view = await self._compute()
        self._at = time.monotonic()

    async def _compute(self) -> InsightsView:
        try:
            from adapters.storage.sql.insights import SqlInsightSource
            from assistant.insights.service import InsightService
            from assistant.insights.settings import load_insight_settings
        except ImportError:
            return InsightsView(None, "The insights module is not installed in this version yet.")
        source = SqlInsightSource(self._assistant.settings.database_url, embedder=self._assistant.embedder)
        try:
            service = InsightService(
                source=source, settings=load_insight_settings(), embedder=self._assistant.embedder
            )
            since, until = await service.latest_week()
            digest = await service.digest(since, until)
        except AssistantError as exc:
            return InsightsView(None, exc.message)
        except Exception as exc:  # the console must render whatever insights do
            log.warning("insights unavailable: %s", type(exc).__name__)
            log.debug("insights traceback", exc_info=exc)
            return InsightsView(None, f"Insights could not be computed ({type(exc).__name__}).")
        finally:
            await source.close()
        if not digest.questions:
            return InsightsView(None, "No questions in the latest week to analyse yet.")
        return InsightsView(digest, "")

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
