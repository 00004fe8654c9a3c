"""The charts page: the learning curve, the workload, and the Insights sections."""

from __future__ import annotations

import asyncio
from datetime import date

from aiohttp import web

from adapters.console import charts
from adapters.console.auth import viewer
from adapters.console.deps import deps_of
from adapters.console.insights_panel import InsightsView
from adapters.storage.sql.console_queries import DayActivity

DAYS = 90
MIN_DAYS = 3  # fewer days than this: the curve is drawn per question instead of per day
MAX_BARS = 10


def register(app: web.Application) -> None:
    app.router.add_get("/charts", page)


def _totals(activity: list[DayActivity]) -> DayActivity:
    total = DayActivity(day=activity[-1].day if activity else date.today())
    for day in activity:
        total.answered += day.answered
        total.handed_off += day.handed_off
        total.correct += day.correct
        total.wrong += day.wrong
        total.corrected += day.corrected
    return total


async def page(request: web.Request) -> web.StreamResponse:
    deps, who = deps_of(request), viewer(request)
    activity = await deps.queries.activity(days=DAYS, scope=who.scope)
    target = deps.assistant.settings.target_precision
    curve = workload = ""
    if activity:
        if len(activity) < MIN_DAYS:
            exchanges = await deps.queries.exchanges(scope=who.scope)
            drawing = asyncio.to_thread(charts.learning_by_question, exchanges, target)
        else:
            drawing = asyncio.to_thread(charts.learning_curve, activity, target)
        curve, workload = await asyncio.gather(drawing, asyncio.to_thread(charts.workload, activity))
    insights = InsightsView(None, "Insights span every account: ask for a login that sees every account.")
    topics = churn = ""
    if who.scope is None:
        insights = deps.insights.view()
    if insights.digest is not None:
        volume = sorted(insights.digest.volume, key=lambda t: -sum(t.daily))[:MAX_BARS]
        risks = insights.digest.churn_risk[:MAX_BARS]
        if volume:
            topics = await asyncio.to_thread(
                charts.ranked_bars,
                [t.name for t in volume],
                [sum(t.daily) for t in volume],
                "Topics by volume",
            )
        if risks:
            churn = await asyncio.to_thread(
                charts.ranked_bars,
                [r.account for r in risks],
                [r.score for r in risks],
                "Churn risk",
                charts.RED,
            )
    return deps.render(
        request,
        "charts.html",
        activity=activity,
        totals=_totals(activity),
        curve=curve,
        workload=workload,
        insights=insights,
        topics=topics,
        churn=churn,
    )
