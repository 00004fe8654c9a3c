"""Learning health: is the assistant getting better? Weekly figures and month-over-month change.

The figures follow ``KnowledgeStore.stats``: auto-resolution is answers sent and not found wrong
over questions; precision is right answers over answers whose outcome is known; the hand-off rate
is hand-offs over questions; corrections are answers an agent corrected (per question, so months
of different volume compare). A rate with nothing to divide by is None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo

from assistant.insights.records import ConversationRecord
from assistant.insights.text import iso_week, local_day, week_start

Direction = Literal["improved", "worse", "same", "unknown"]
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
class LearningHealth:
    """Weeks and months, newest last, and how the last month compares with the one before."""

    weeks: list[PeriodHealth]
    months: list[PeriodHealth]
    month_over_month: dict[str, Direction] = field(default_factory=dict)

    @property
    def improving(self) -> bool | None:
        """True when more metrics improved than got worse month over month (None: unknown)."""
        directions = [d for d in self.month_over_month.values() if d != "unknown"]
        if not directions:
            return None
        return directions.count("improved") > directions.count("worse")


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
    records: Sequence[ConversationRecord], zone: ZoneInfo, *, until: date, weeks: int = 8
) -> LearningHealth:
    """The last ``weeks`` weeks and every month of ``records`` up to ``until`` (inclusive)."""
    kept = [r for r in records if local_day(r.asked_at, zone) <= until]
    week_list = _grouped(kept, zone, lambda d: week_start(d), iso_week)[-weeks:]
    month_list = _grouped(kept, zone, lambda d: d.replace(day=1), lambda d: f"{d:%Y-%m}")
    comparison: dict[str, Direction] = {}
    if len(month_list) >= 2:
        before, last = month_list[-2], month_list[-1]
        for metric, higher_is_better in METRICS.items():
            comparison[metric] = _direction(getattr(before, metric), getattr(last, metric), higher_is_better)
    return LearningHealth(weeks=week_list, months=month_list, month_over_month=comparison)


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
