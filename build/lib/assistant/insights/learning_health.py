"""Learning health: is the assistant getting better? Weekly figures and a verdict with its doubt.

The verdict (``verdict``) compares two equal windows, the last ``learning_window_days`` and the
same number of days before them: each metric's change with a 95% confidence interval (Newcombe's
hybrid score interval, from scipy's Wilson intervals). A window with fewer than
``learning_min_questions`` questions gives "not enough data"; an interval that straddles zero
gives "same" (no clear change). Months and their month-over-month directions remain for charts,
but they compare unequal periods and decide nothing.

The figures follow ``KnowledgeStore.stats``: auto-resolution is answers sent and not found wrong
over questions; precision is right answers over answers whose outcome is known; the hand-off rate
is hand-offs over questions; corrections are answers an agent corrected (per question, so months
of different volume compare). A rate with nothing to divide by is None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from scipy.stats import binomtest

from assistant.insights.records import ConversationRecord
from assistant.insights.text import iso_week, local_day, week_start

Direction = Literal["improved", "worse", "same", "unknown"]
Verdict = Literal["improving", "worse", "same", "not enough data"]
#: What each metric counts: (numerator, denominator) of ``PeriodHealth``.
COUNTS: dict[str, tuple[str, str]] = {
    "auto_resolution": ("resolved", "questions"),
    "precision": ("correct", "judged"),
    "handoff_rate": ("handoffs", "questions"),
    "correction_rate": ("corrections", "questions"),
}
#: The metric a verdict is about.
PRIMARY = "auto_resolution"
TOLERANCE = 0.01
#: Each metric and whether higher is better.
METRICS: dict[str, bool] = {
    "auto_resolution": True,
    "precision": True,
    "handoff_rate": False,
    "correction_rate": False,
}


@dataclass(frozen=True, slots=True)
class PeriodHealth:
    """The learning figures of one week or month."""

    period: str
    start: date
    questions: int
    answered: int
    handoffs: int
    correct: int
    wrong: int
    corrections: int
    auto_resolution: float | None
    precision: float | None
    handoff_rate: float | None
    correction_rate: float | None


@dataclass(frozen=True, slots=True)
class MetricChange:
    """One metric in two equal windows, the change and its 95% interval (None: no data)."""

    metric: str
    before: float | None
    after: float | None
    change: float | None
    low: float | None
    high: float | None
    direction: Direction


@dataclass(frozen=True, slots=True)
class LearningVerdict:
    """Equal windows compared: the verdict on ``PRIMARY``, each metric's change, the sample."""

    verdict: Verdict
    window_days: int
    before_start: date
    after_start: date
    before_questions: int
    after_questions: int
    min_questions: int
    changes: list[MetricChange]
    summary: str


@dataclass(frozen=True, slots=True)
class LearningHealth:
    """Weeks and months, newest last, the month-over-month directions, and the verdict."""

    weeks: list[PeriodHealth]
    months: list[PeriodHealth]
    month_over_month: dict[str, Direction] = field(default_factory=dict)
    verdict: LearningVerdict | None = None

    @property
    def improving(self) -> bool | None:
        """True when the verdict is "improving", False when "worse", else None (unclear)."""
        if self.verdict is None:
            return None
        return {"improving": True, "worse": False}.get(self.verdict.verdict)


def period_health(period: str, start: date, records: Sequence[ConversationRecord]) -> PeriodHealth:
    questions = len(records)
    answered = sum(1 for r in records if r.answered)
    handoffs = questions - answered
    correct = sum(1 for r in records if r.answered and r.outcome is True)
    wrong = sum(1 for r in records if r.answered and r.outcome is False)
    corrections = sum(1 for r in records if r.corrected)

    def rate(numerator: int, denominator: int) -> float | None:
        return round(numerator / denominator, 4) if denominator else None

    return PeriodHealth(
        period=period,
        start=start,
        questions=questions,
        answered=answered,
        handoffs=handoffs,
        correct=correct,
        wrong=wrong,
        corrections=corrections,
        auto_resolution=rate(answered - wrong, questions),
        precision=rate(correct, correct + wrong),
        handoff_rate=rate(handoffs, questions),
        correction_rate=rate(corrections, questions),
    )


def learning_health(
    records: Sequence[ConversationRecord],
    zone: ZoneInfo,
    *,
    until: date,
    weeks: int = 8,
    window_days: int = 14,
    min_questions: int = 50,
) -> LearningHealth:
    """The last ``weeks`` weeks and every month of ``records`` up to ``until`` (inclusive), and
    the verdict of the last ``window_days`` against as many days before."""
    kept = [r for r in records if local_day(r.asked_at, zone) <= until]
    week_list = _grouped(kept, zone, lambda d: week_start(d), iso_week)[-weeks:]
    month_list = _grouped(kept, zone, lambda d: d.replace(day=1), lambda d: f"{d:%Y-%m}")
    comparison: dict[str, Direction] = {}
    if len(month_list) >= 2:
        before, last = month_list[-2], month_list[-1]
        for metric, higher_is_better in METRICS.items():
            comparison[metric] = _direction(getattr(before, metric), getattr(last, metric), higher_is_better)
    verdict = compare_windows(kept, zone, until=until, window_days=window_days, min_questions=min_questions)
    return LearningHealth(weeks=week_list, months=month_list, month_over_month=comparison, verdict=verdict)


def compare_windows(
    records: Sequence[ConversationRecord],
    zone: ZoneInfo,
    *,
    until: date,
    window_days: int,
    min_questions: int,
) -> LearningVerdict:
    """The last ``window_days`` up to ``until`` against the ``window_days`` before them."""
    after_start = until - timedelta(days=window_days - 1)
    before_start = after_start - timedelta(days=window_days)
    before = [r for r in records if before_start <= local_day(r.asked_at, zone) < after_start]
    after = [r for r in records if after_start <= local_day(r.asked_at, zone) <= until]
    old, new = _counts(before), _counts(after)
    changes = [_change(metric, old, new, higher) for metric, higher in METRICS.items()]
    primary = next(c for c in changes if c.metric == PRIMARY)
    if min(len(before), len(after)) < min_questions:
        verdict: Verdict = "not enough data"
        summary = (
            f"not enough data: {len(before)} and {len(after)} questions in the two {window_days}-day "
            f"windows, {min_questions} needed in each"
        )
    else:
        verdict = {"improved": "improving", "worse": "worse"}.get(primary.direction, "same")  # type: ignore[assignment]
        summary = (
            f"auto-resolution {_pct(primary.before)} → {_pct(primary.after)} "
            f"over two {window_days}-day windows "
            f"(change {_signed(primary.change)}, 95% CI {_signed(primary.low)} to {_signed(primary.high)})"
        )
    return LearningVerdict(
        verdict,
        window_days,
        before_start,
        after_start,
        len(before),
        len(after),
        min_questions,
        changes,
        summary,
    )


def _counts(records: Sequence[ConversationRecord]) -> dict[str, int]:
    health = period_health("", date.min, records)
    return {
        "questions": health.questions,
        "resolved": health.answered - health.wrong,
        "correct": health.correct,
        "judged": health.correct + health.wrong,
        "handoffs": health.handoffs,
        "corrections": health.corrections,
    }


def _change(metric: str, old: dict[str, int], new: dict[str, int], higher_is_better: bool) -> MetricChange:
    top, bottom = COUNTS[metric]
    if not old[bottom] or not new[bottom]:
        return MetricChange(metric, None, None, None, None, None, "unknown")
    p1, p2 = old[top] / old[bottom], new[top] / new[bottom]
    l1, u1 = _wilson(old[top], old[bottom])
    l2, u2 = _wilson(new[top], new[bottom])
    change = p2 - p1
    low = change - ((p2 - l2) ** 2 + (u1 - p1) ** 2) ** 0.5
    high = change + ((u2 - p2) ** 2 + (p1 - l1) ** 2) ** 0.5
    if low > 0:
        direction: Direction = "improved" if higher_is_better else "worse"
    elif high < 0:
        direction = "worse" if higher_is_better else "improved"
    else:
        direction = "same"
    return MetricChange(
        metric, round(p1, 4), round(p2, 4), round(change, 4), round(low, 4), round(high, 4), direction
    )


def _wilson(successes: int, trials: int) -> tuple[float, float]:
    interval = binomtest(successes, trials).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.1f} pts"


def _grouped(
    records: Sequence[ConversationRecord],
    zone: ZoneInfo,
    bucket: Callable[[date], date],
    name: Callable[[date], str],
) -> list[PeriodHealth]:
    groups: dict[date, list[ConversationRecord]] = defaultdict(list)
    for record in records:
        groups[bucket(local_day(record.asked_at, zone))].append(record)
    return [period_health(name(start), start, groups[start]) for start in sorted(groups)]


def _direction(before: float | None, after: float | None, higher_is_better: bool) -> Direction:
    if before is None or after is None:
        return "unknown"
    change = after - before if higher_is_better else before - after
    if abs(change) < TOLERANCE:
        return "same"
    return "improved" if change > 0 else "worse"
