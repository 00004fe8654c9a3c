"""The digest's two charts: questions per day by topic, and the weekly learning trend.

Drawn off-screen (matplotlib's Agg backend, an explicit ``Figure``, no pyplot state), so it is
safe in a server and in threads; each chart comes back as ``(file name, PNG bytes)``.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from assistant.insights.digest import Digest

VOLUME_CHART = "volume-by-topic.png"
LEARNING_CHART = "learning-trend.png"
_LABEL_CHARS = 40


def render_digest_charts(digest: Digest) -> list[tuple[str, bytes]]:
    """The charts that have data (none for an empty period)."""
    charts = []
    if digest.volume and digest.days:
        charts.append((VOLUME_CHART, volume_chart(digest)))
    if digest.learning.weeks:
        charts.append((LEARNING_CHART, learning_chart(digest)))
    return charts


def volume_chart(digest: Digest) -> bytes:
    """Stacked bars: each day's questions in the busiest topics."""
    figure = Figure(figsize=(8, 4), dpi=110)
    axes = figure.add_subplot()
    labels = [f"{day:%a %d}" for day in digest.days]
    bottom = [0] * len(labels)
    for series in digest.volume:
        name = series.name if len(series.name) <= _LABEL_CHARS else series.name[: _LABEL_CHARS - 1] + "…"
        axes.bar(labels, series.daily, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, series.daily, strict=True)]
    axes.set_title("Questions per day, busiest topics")
    axes.set_ylabel("questions")
    axes.legend(fontsize=7, loc="upper left", frameon=False)
    return _png(figure)


def learning_chart(digest: Digest) -> bytes:
    """Lines: auto-resolution, precision and hand-off rate per week."""
    figure = Figure(figsize=(8, 4), dpi=110)
    axes = figure.add_subplot()
    weeks = digest.learning.weeks
    labels = [week.period for week in weeks]
    for metric, title in (
        ("auto_resolution", "auto-resolution"),
        ("precision", "precision"),
        ("handoff_rate", "hand-off rate"),
    ):
        values = [getattr(week, metric) for week in weeks]
        axes.plot(labels, [float("nan") if v is None else v for v in values], marker="o", label=title)
    axes.set_ylim(0, 1)
    axes.set_title("Learning, week by week")
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.legend(fontsize=8, frameon=False)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
