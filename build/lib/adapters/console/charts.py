"""The console's pictures: inline SVG drawn with matplotlib's object API (no pyplot, no global
state, so charts can be drawn in worker threads while the server keeps serving).

Each function takes plain figures and returns an SVG string without the XML prologue, ready to be
placed in a page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from adapters.storage.sql.console_queries import DayActivity
from assistant.replay.metrics import ReplayReport

BLUE, GREEN, ORANGE, RED, GREY = "#2563eb", "#16a34a", "#ea580c", "#dc2626", "#6b7280"


def _svg(figure: Figure, title: str) -> str:
    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _figure(width: float = 8.0, height: float = 3.2) -> Figure:
    figure = Figure(figsize=(width, height), dpi=96)
    figure.set_layout_engine("tight")
    return figure


def _labels(days: Sequence[date]) -> list[str]:
    return [day.strftime("%d %b") for day in days]


def learning_curve(activity: Sequence[DayActivity], target: float | None = None) -> str:
    """Auto-resolution rate and precision per day: the learning curve."""
    figure = _figure()
    axis = figure.add_subplot()
    x = list(range(len(activity)))
    auto = [a.auto_resolution_rate for a in activity]
    precision = [a.precision for a in activity]
    axis.plot(
        x,
        [v if v is not None else float("nan") for v in auto],
        marker="o",
        color=BLUE,
        label="auto-resolution rate",
    )
    axis.plot(
        x,
        [v if v is not None else float("nan") for v in precision],
        marker="s",
        color=GREEN,
        label="precision of answers sent",
    )
    if target is not None:
        axis.axhline(target, color=GREY, linestyle="--", linewidth=1, label=f"target precision {target:.2f}")
    axis.set_ylim(0, 1.05)
    axis.set_xticks(x, _labels([a.day for a in activity]), rotation=0 if len(x) < 12 else 45)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right", fontsize=8)
    axis.set_title("Learning curve", fontsize=11)
    return _svg(figure, "Learning curve")


def learning_by_question(exchanges: Sequence[tuple[bool, bool | None]], target: float | None = None) -> str:
    """The learning curve over the latest questions (rolling window), for a store only days old."""
    window = max(3, min(20, len(exchanges) // 4 or 3))
    auto, precision = [], []
    for end in range(1, len(exchanges) + 1):
        recent = exchanges[max(0, end - window) : end]
        auto.append(sum(1 for sent, outcome in recent if sent and outcome is not False) / len(recent))
        judged = [outcome for sent, outcome in recent if sent and outcome is not None]
        precision.append(sum(judged) / len(judged) if judged else float("nan"))
    figure = _figure()
    axis = figure.add_subplot()
    x = list(range(1, len(exchanges) + 1))
    axis.plot(x, auto, marker="o", color=BLUE, label=f"auto-resolution (last {window} questions)")
    axis.plot(x, precision, marker="s", color=GREEN, label=f"precision (last {window} judged)")
    if target is not None:
        axis.axhline(target, color=GREY, linestyle="--", linewidth=1, label=f"target precision {target:.2f}")
    axis.set_ylim(0, 1.05)
    axis.set_xlabel("questions, oldest first")
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right", fontsize=8)
    axis.set_title("Learning curve", fontsize=11)
    return _svg(figure, "Learning curve")


def workload(activity: Sequence[DayActivity]) -> str:
    """Answers sent, hand-offs and corrections per day, as grouped bars."""
    figure = _figure()
    axis = figure.add_subplot()
    x = list(range(len(activity)))
    width = 0.27
    axis.bar([i - width for i in x], [a.answered for a in activity], width, color=BLUE, label="answered")
    axis.bar(x, [a.handed_off for a in activity], width, color=ORANGE, label="handed off")
    axis.bar(
        [i + width for i in x],
        [a.corrected for a in activity],
        width,
        color=RED,
        label="corrected / resolved by agents",
    )
    axis.set_xticks(x, _labels([a.day for a in activity]), rotation=0 if len(x) < 12 else 45)
    axis.grid(alpha=0.3, axis="y")
    axis.legend(loc="upper left", fontsize=8)
    axis.set_title("Answers, hand-offs and corrections", fontsize=11)
    return _svg(figure, "Workload")


def ranked_bars(labels: Sequence[str], values: Sequence[float], title: str, color: str = BLUE) -> str:
    """Horizontal bars, largest on top (topics by volume, churn risk)."""
    figure = _figure(height=max(2.0, 0.42 * len(labels) + 0.9))
    axis = figure.add_subplot()
    order = list(reversed(range(len(labels))))
    axis.barh([labels[i][:48] for i in order], [values[i] for i in order], color=color)
    axis.grid(alpha=0.3, axis="x")
    axis.set_title(title, fontsize=11)
    axis.tick_params(axis="y", labelsize=8)
    return _svg(figure, title)


def replay_arms(reports: Sequence[ReplayReport]) -> str:
    """Both arms of a replay: auto-resolution and precision per window."""
    figure = _figure(width=10.0, height=3.6)
    left, right = figure.subplots(1, 2)
    for report, color in zip(reports, (BLUE, ORANGE), strict=False):
        ends = [w["end"] for w in report.windows]
        left.plot(
            ends,
            [w["auto_resolution_rate"] for w in report.windows],
            marker="o",
            color=color,
            label=f"{report.arm} arm",
        )
        right.plot(
            ends, [w["precision"] for w in report.windows], marker="o", color=color, label=f"{report.arm} arm"
        )
    left.set_title("Auto-resolution per window", fontsize=11)
    right.set_title("Precision of answers sent per window", fontsize=11)
    for axis in (left, right):
        axis.set_xlabel("questions played")
        axis.set_ylim(0, 1.05)
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right", fontsize=8)
    return _svg(figure, "Replay")
